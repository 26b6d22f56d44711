package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CallerKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which existing key a key value is, whether it may be taken over, and what it becomes: as tables. */
class KeyAdoptionTest {

    private static final String FIELD = "spec.adoptKeyFrom";
    private static final ApiKey KEY = ApiKey.of("sk-or-v1-abc" + "0".repeat(58) + "def");
    private static final String LABEL = "sk-or-v1-abc...def";
    private static final String INSTALLATION = "prod";
    private static final String UID = "11111111-2222-3333-4444-555555555555";
    private static final String OTHER_UID = "99999999-2222-3333-4444-555555555555";

    @Test
    void theLabelIsComputedFromTheKeyItself() {
        assertThat(KeyAdoption.label(KEY)).contains(LABEL);
        assertThat(KeyAdoption.label(ApiKey.of("not-a-key"))).isEmpty();
        assertThat(KeyAdoption.label(ApiKey.of("sk-or-v1-abc"))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                                    | listed keys (label:limit:usage:name-mark) | asked | GET /key | verdict: adopt or resume a hash, or the refused field | rule says
            one key with the label and figures                        | abc:100:30:-                              | -     | ok       | adopt h0               | -
            spend moved by less than a dollar since the listing       | abc:100:30.60:-                           | -     | ok       | adopt h0               | -
            spend moved by more than the drift                        | abc:100:35:-                              | -     | ok       | spec.adoptKeyFrom      | another account
            the label matches, the limit does not                     | abc:50:30:-                               | -     | ok       | spec.adoptKeyFrom      | another account
            no key with the label: another account's key              | xyz:100:30:-                              | -     | ok       | spec.adoptKeyFrom      | another account
            two keys with the label and figures                       | abc:100:30:-, abc:100:30:-                | -     | ok       | spec.adoptKeyFrom.hash | 2 keys of the account
            two matches, a person names one                           | abc:100:30:-, abc:100:30:-                | h1    | ok       | adopt h1               | -
            a named hash must match: it cannot override               | abc:100:30:-, xyz:100:30:-                | h1    | ok       | spec.adoptKeyFrom.hash | names no key
            one match, a person names another key                     | abc:100:30:-, abc:50:30:-                 | h1    | ok       | spec.adoptKeyFrom.hash | names no key
            the key does not authenticate                             | abc:100:30:-                              | -     | 401      | spec.adoptKeyFrom      | GET /key answers 401
            a management key                                          | abc:100:30:-                              | -     | mgmt     | spec.adoptKeyFrom      | management key
            marked as this client's already: an adoption resumed      | abc:100:30:self                           | -     | ok       | resume h0              | -
            another MaiClient's key of this operator                  | abc:100:30:sibling                        | -     | ok       | spec.adoptKeyFrom      | another MaiClient
            another installation's key, moves not allowed             | abc:100:30:other                          | -     | ok       | spec.adoptKeyFrom      | another operator installation
            another installation's key, moves from it allowed         | abc:100:30:allowed                        | -     | ok       | adopt h0               | -
            a mai-env file's key, moves not allowed                   | abc:100:30:mai-env                        | -     | ok       | spec.adoptKeyFrom      | mai-env .env file
            a retained key, moves not allowed                         | abc:100:30:retained                       | -     | ok       | spec.adoptKeyFrom      | retained
            """)
    void whichKeyIsTakenOver(String name, String listed, String asked, String getKey, String expected, String because) {
        List<KeyInfo> keys = new ArrayList<>();
        String[] entries = listed.split(",");
        for (int i = 0; i < entries.length; i++) {
            String[] f = entries[i].strip().split(":");
            keys.add(listed("h" + i, "sk-or-v1-" + f[0] + "...def", new BigDecimal(f[1]), new BigDecimal(f[2]), mark(f[3])));
        }
        Optional<CallerKey> self = switch (getKey) {
            case "401" -> Optional.empty();
            case "mgmt" -> Optional.of(self(null, BigDecimal.ZERO, true));
            default -> Optional.of(self(new BigDecimal("100"), new BigDecimal("30"), false));
        };
        KeyAdoption.Adopter adopter = new KeyAdoption.Adopter(INSTALLATION, UID, o -> "allowed-install".equals(o.installationId()));
        KeyAdoption.Verdict verdict = KeyAdoption.choose(FIELD, KEY, self, keys, asked == null ? null : hash(asked), adopter);
        String got = verdict instanceof KeyAdoption.Adopt a ? (a.resumed() ? "resume " : "adopt ") + name(a.key().hash())
                : ((KeyAdoption.Refuse) verdict).field();
        assertThat(got).as(name).isEqualTo(expected);
        if (because != null) {
            assertThat(((KeyAdoption.Refuse) verdict).rule()).as(name).contains(because);
        }
    }

    @Test
    void refusalsSayWhatToDo() {
        KeyAdoption.Adopter adopter = new KeyAdoption.Adopter(INSTALLATION, UID, o -> false);
        List<KeyInfo> twins = List.of(listed(hash("h0"), LABEL, new BigDecimal("100"), new BigDecimal("30"), null),
                listed(hash("h1"), LABEL, new BigDecimal("100"), new BigDecimal("30"), null));
        assertThat(rule(KeyAdoption.choose(FIELD, KEY, Optional.of(self(new BigDecimal("100"), new BigDecimal("30"), false)), twins,
                null, adopter))).contains("2 keys", LABEL, "set it to the hash");
        assertThat(rule(KeyAdoption.choose(FIELD, KEY, Optional.of(self(null, BigDecimal.ZERO, true)), twins, null, adopter)))
                .contains("management key");
        List<KeyInfo> envKey = List.of(listed(hash("h0"), LABEL, new BigDecimal("100"), new BigDecimal("30"), mark("mai-env")));
        assertThat(rule(KeyAdoption.choose(FIELD, KEY, Optional.of(self(new BigDecimal("100"), new BigDecimal("30"), false)),
                envKey, null, adopter))).contains("mai-env", "administrator");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                        | key limit | key reset | spent this month | key disabled | spec limit | spec reset | patch
            the spec's limit, the spend kept              | 100       | monthly   | 30               | false        | 50         | monthly    | name, limit=50.00
            the same limit: only the name                 | 50        | monthly   | 30               | false        | 50         | monthly    | name
            a limit it has spent already: disabled        | 100       | monthly   | 30               | false        | 30         | monthly    | name, disabled=true
            a limit it has spent, disabled already        | 100       | monthly   | 30               | true         | 20         | monthly    | name
            unlimited spec removes the cap                | 100       | monthly   | 30               | false        | -          | monthly    | name, limit=null
            another reset period is the spec's            | 100       | -         | 30               | false        | 50         | monthly    | name, limitReset=monthly, limit=50.00
            """)
    void whatTheAdoptedKeyBecomes(String name, BigDecimal limit, String reset, BigDecimal spent, boolean disabled, BigDecimal specLimit,
            String specReset, String expected) {
        KeyInfo key = new KeyInfo(hash("h0"), "client-abc (old script)", LABEL, disabled, limit, limit.subtract(spent), reset, spent,
                BigDecimal.ZERO, BigDecimal.ZERO, spent, "2026-01-01T00:00:00Z");
        KeyPatch patch = KeyAdoption.patch(key, "mAI Client: Acme (ns/abc) [mai:prod:" + UID + "]", Optional.ofNullable(specLimit),
                specReset);
        assertThat(describe(patch)).as(name).isEqualTo(expected);
    }

    private static String describe(KeyPatch patch) {
        Map<String, Object> fields = patch.fields();
        List<String> parts = new ArrayList<>();
        for (String field : List.of("name", "limitReset", "limit", "disabled")) {
            String wire = switch (field) {
                case "limitReset" -> "limit_reset";
                default -> field;
            };
            if (fields.containsKey(wire)) {
                parts.add(field.equals("name") ? "name" : field + "=" + fields.get(wire));
            }
        }
        return String.join(", ", parts);
    }

    private static String rule(KeyAdoption.Verdict verdict) {
        assertThat(verdict).isInstanceOf(KeyAdoption.Refuse.class);
        return ((KeyAdoption.Refuse) verdict).rule();
    }

    private static CallerKey self(BigDecimal limit, BigDecimal usage, boolean management) {
        return new CallerKey(LABEL, limit, limit == null ? null : limit.subtract(usage), "monthly", usage, BigDecimal.ZERO,
                BigDecimal.ZERO, usage, management);
    }

    private static KeyInfo listed(String hash, String label, BigDecimal limit, BigDecimal usage, String name) {
        return new KeyInfo(hash(hash), name == null ? "client (old script)" : name, label, false, limit, limit.subtract(usage),
                "monthly", usage, BigDecimal.ZERO, BigDecimal.ZERO, usage, "2026-01-01T00:00:00Z");
    }

    /** The key name a mark stands for in the tables. */
    private static String mark(String who) {
        if (who == null || who.equals("-")) {
            return null;
        }
        return switch (who) {
            case "self" -> Names.keyName("Acme", "ns/abc", INSTALLATION, UID, false);
            case "sibling" -> Names.keyName("Acme", "ns/other", INSTALLATION, OTHER_UID, false);
            case "other" -> Names.keyName("Acme", "ns/abc", "other-install", OTHER_UID, false);
            case "allowed" -> Names.keyName("Acme", "ns/abc", "allowed-install", OTHER_UID, false);
            case "mai-env" -> Names.keyName("Acme", ".env", Names.ENV_INSTALLATION, OTHER_UID, false);
            case "retained" -> Names.keyName("Acme", "ns/abc", INSTALLATION, OTHER_UID, true);
            default -> throw new IllegalArgumentException(who);
        };
    }

    /** A hash from a short name in the tables (h0, h1, ...), and back. */
    private static String hash(String shortName) {
        return shortName.length() == 64 ? shortName : String.format("%-64s", shortName).replace(' ', '_');
    }

    private static String name(String hash) {
        return hash.replaceAll("_+$", "");
    }
}
