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
            # case                                                    | listed keys (label:limit:usage:mark[:off]) | asked | GET /key | moves from | verdict: adopt or resume a key, or the refused field | rule says
            one key with the label and figures                        | abc:100:30:-                              | -     | ok       | none       | adopt h0               | -
            spend grew by less than a dollar since the listing        | abc:100:29.40:-                           | -     | ok       | none       | adopt h0               | -
            spend grew by more than the drift                         | abc:100:25:-                              | -     | ok       | none       | spec.adoptKeyFrom      | cannot be adopted
            spend in the listing above GET /key's (it only grows)     | abc:100:30.50:-                           | -     | ok       | none       | spec.adoptKeyFrom      | cannot be adopted
            the label matches, the limit does not                     | abc:50:30:-                               | -     | ok       | none       | spec.adoptKeyFrom      | cannot be adopted
            no key with the label: another account's key              | xyz:100:30:-                              | -     | ok       | none       | spec.adoptKeyFrom      | cannot be adopted
            a disabled key is no candidate (GET /key proved enabled)  | abc:100:30:-:off                          | -     | ok       | none       | spec.adoptKeyFrom      | cannot be adopted
            two keys with the label and figures                       | abc:100:30:-, abc:100:30:-                | -     | ok       | none       | spec.adoptKeyFrom.hash | more than one key
            two matches, a person names one                           | abc:100:30:-, abc:100:30:-                | h1    | ok       | none       | adopt h1               | -
            a named hash must match: it cannot override               | abc:100:30:-, xyz:100:30:-                | h1    | ok       | none       | spec.adoptKeyFrom.hash | names no key
            one match, a person names another key                     | abc:100:30:-, abc:50:30:-                 | h1    | ok       | none       | spec.adoptKeyFrom.hash | names no key
            a named hash that is no hash                              | abc:100:30:-                              | xyz   | ok       | none       | spec.adoptKeyFrom.hash | 64 lower-case hex
            the key does not authenticate                             | abc:100:30:-                              | -     | 401      | none       | spec.adoptKeyFrom      | GET /key answers 401
            a management key                                          | abc:100:30:-                              | -     | mgmt     | none       | spec.adoptKeyFrom      | management key
            OpenRouter labels the key otherwise                       | abc:100:30:-                              | -     | relabel  | none       | spec.adoptKeyFrom      | whose label OpenRouter gives
            marked as this client's already: an adoption resumed      | abc:100:30:self                           | -     | ok       | none       | resume h0              | -
            another MaiClient's key of this operator, never           | abc:100:30:sibling                        | -     | ok       | all        | spec.adoptKeyFrom      | managed already
            another installation's key, moves not allowed             | abc:100:30:other                          | -     | ok       | none       | spec.adoptKeyFrom      | managed already
            another installation's key, moves from it allowed         | abc:100:30:other                          | -     | ok       | all        | adopt h0               | -
            a mai-env file's key, moves not allowed                   | abc:100:30:mai-env                        | -     | ok       | none       | spec.adoptKeyFrom      | managed already
            a retained key, moves not allowed                         | abc:100:30:retained                       | -     | ok       | none       | spec.adoptKeyFrom      | managed already
            a mark edited by hand is no mark to ignore                | abc:100:30:edited                         | -     | ok       | all        | spec.adoptKeyFrom      | managed already
            """)
    void whichKeyIsTakenOver(String name, String listed, String asked, String getKey, String moves, String expected, String because) {
        List<KeyInfo> keys = new ArrayList<>();
        String[] entries = listed.split(",");
        for (int i = 0; i < entries.length; i++) {
            String[] f = entries[i].strip().split(":");
            keys.add(listed(hash(i), "sk-or-v1-" + f[0] + "...def", new BigDecimal(f[1]), new BigDecimal(f[2]), mark(f[3]),
                    f.length > 4));
        }
        Optional<CallerKey> self = switch (getKey) {
            case "401" -> Optional.empty();
            case "mgmt" -> Optional.of(self(LABEL, null, BigDecimal.ZERO, true));
            case "relabel" -> Optional.of(self("sk-or-v1-abc0...0def", new BigDecimal("100"), new BigDecimal("30"), false));
            default -> Optional.of(self(LABEL, new BigDecimal("100"), new BigDecimal("30"), false));
        };
        KeyAdoption.Adopter adopter = new KeyAdoption.Adopter(INSTALLATION, UID, o -> "all".equals(moves));
        String askedHash = asked == null ? null : asked.startsWith("h") ? hash(Integer.parseInt(asked.substring(1))) : asked;
        KeyAdoption.Verdict verdict = KeyAdoption.choose(FIELD, KEY, self, keys, askedHash, adopter);
        String got = verdict instanceof KeyAdoption.Adopt a ? (a.resumed() ? "resume " : "adopt ") + "h" + a.key().hash().charAt(0)
                : ((KeyAdoption.Refuse) verdict).field();
        assertThat(got).as(name).isEqualTo(expected);
        if (because != null) {
            assertThat(((KeyAdoption.Refuse) verdict).rule()).as(name).contains(because);
        }
    }

    @Test
    void refusalsSayWhatToDoAndNothingAboutTheAccountsKeys() {
        KeyAdoption.Adopter adopter = new KeyAdoption.Adopter(INSTALLATION, UID, o -> false);
        CallerKey self = self(LABEL, new BigDecimal("100"), new BigDecimal("30"), false);
        List<KeyInfo> twins = List.of(listed(hash(0), LABEL, new BigDecimal("100"), new BigDecimal("30"), null, false),
                listed(hash(1), LABEL, new BigDecimal("100"), new BigDecimal("30"), null, false));
        assertThat(rule(KeyAdoption.choose(FIELD, KEY, Optional.of(self), twins, null, adopter)))
                .contains("set it to the hash").doesNotContain("2").doesNotContain(hash(0));
        List<KeyInfo> other = List.of(listed(hash(0), LABEL, new BigDecimal("100"), new BigDecimal("30"), mark("other"), false));
        assertThat(rule(KeyAdoption.choose(FIELD, KEY, Optional.of(self), other, null, adopter)))
                .contains("administrator").doesNotContain("other-install").doesNotContain(OTHER_UID);
        assertThat(rule(KeyAdoption.choose(FIELD, ApiKey.of("sk-or-v1-abc\r\nX-Injected: 1"), Optional.of(self), other, null,
                adopter))).contains("shape");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                        | key limit | key reset | spent this month | key disabled | spec limit | spec reset | patch
            the spec's limit, the spend kept              | 100       | monthly   | 30               | false        | 50         | monthly    | name, limit=50.00
            the same limit: only the name                 | 50        | monthly   | 30               | false        | 50         | monthly    | name
            a limit it has spent already: disabled        | 100       | monthly   | 30               | false        | 30         | monthly    | name, limit=30.00, disabled=true
            a limit it has spent, disabled already        | 100       | monthly   | 30               | true         | 20         | monthly    | name, limit=20.00
            unlimited spec removes the cap                | 100       | monthly   | 30               | false        | -          | monthly    | name, limit=null
            another reset period is the spec's            | 100       | -         | 30               | false        | 50         | monthly    | name, limitReset=monthly, limit=50.00
            """)
    void whatTheAdoptedKeyBecomes(String name, BigDecimal limit, String reset, BigDecimal spent, boolean disabled, BigDecimal specLimit,
            String specReset, String expected) {
        KeyInfo key = new KeyInfo(hash(0), "client-abc (old script)", LABEL, disabled, limit, limit.subtract(spent), reset, spent,
                BigDecimal.ZERO, BigDecimal.ZERO, spent, "2026-01-01T00:00:00Z");
        KeyPatch patch = KeyAdoption.patch(key, "mAI Client: Acme (ns/abc) [mai:prod:" + UID + "]", Optional.ofNullable(specLimit),
                specReset);
        assertThat(describe(patch)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest(name = "limit {0} + {1} cents -> {2}")
    @CsvSource(nullValues = "-", textBlock = """
            100,    1,    100.01
            100,    9999, 199.99
            12.34,  66,   13.00
            -,      5,    1000000.05
            """)
    void theChallengeRaisesTheLimitByAnAmountOnlyTheHolderSees(BigDecimal previous, int cents, BigDecimal expected) {
        BigDecimal challenge = KeyAdoption.challengeLimit(previous, cents);
        assertThat(challenge).isEqualByComparingTo(expected);
        assertThat(KeyAdoption.proves(Optional.of(self(LABEL, challenge, BigDecimal.ONE, false)), challenge)).isTrue();
        assertThat(KeyAdoption.proves(Optional.of(self(LABEL, previous, BigDecimal.ONE, false)), challenge))
                .as("a key that did not change (another account's)").isFalse();
        assertThat(KeyAdoption.proves(Optional.empty(), challenge)).as("a key that stopped authenticating").isFalse();
        assertThat(KeyAdoption.proves(Optional.of(self(LABEL, challenge, BigDecimal.ONE, true)), challenge))
                .as("a management key proves nothing").isFalse();
    }

    @Test
    void challengesOutsideTheirRangeAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KeyAdoption.challengeLimit(BigDecimal.TEN, 0))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KeyAdoption.challengeLimit(BigDecimal.TEN, KeyAdoption.CHALLENGES + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0} with MAI_ADOPTION_FROM={1} -> {2}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            other       | -                         | false
            other       | other-install             | true
            other       | mai-env,retained          | false
            mai-env     | mai-env                   | true
            retained    | prod                      | false
            retained    | retained                  | true
            """)
    void administratorsNameTheOwnersKeysMayMoveFrom(String who, String owners, boolean expected) {
        var movable = KeyAdoption.movableFrom(owners == null ? List.of() : List.of(owners.split(",")));
        assertThat(movable.test(Names.keyOwner(mark(who)).orElseThrow())).isEqualTo(expected);
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

    private static CallerKey self(String label, BigDecimal limit, BigDecimal usage, boolean management) {
        return new CallerKey(label, limit, limit == null ? null : limit.subtract(usage), "monthly", usage, BigDecimal.ZERO,
                BigDecimal.ZERO, usage, management);
    }

    private static KeyInfo listed(String hash, String label, BigDecimal limit, BigDecimal usage, String name, boolean disabled) {
        return new KeyInfo(hash, name == null ? "client (old script)" : name, label, disabled, limit, limit.subtract(usage),
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
            case "edited" -> Names.keyName("Acme", "ns/abc", "other-install", OTHER_UID, false) + " "; // a space after the mark
            default -> throw new IllegalArgumentException(who);
        };
    }

    /** The hash of the i-th listed key: its digit 64 times. */
    private static String hash(int i) {
        return String.valueOf(i).repeat(64);
    }
}
