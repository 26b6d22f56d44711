package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.AdoptionStatus;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.RotationSpec;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reconcile's decisions about the key as tables: observed facts in, decision out. Each row is a
 * branch of the key's lifecycle (keep, create, replace, rotate, wait); the end-to-end tests show the
 * same branches against the simulator and an API server.
 */
class KeyPlanTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                           | key in Secret | why status's key was replaced | rotation due, key proven | leaves budget | action
            the Secret holds the key status records          | a             | -                             | false                    | false         | KEEP
            the Secret holds a newer key (a finished create) | a             | a newer key is in Secret ...  | false                    | false         | KEEP
            a new client                                     | -             | -                             | false                    | false         | CREATE
            the Secret lost the key status records           | -             | the Secret holding it ...     | false                    | false         | REPLACE
            a rotation is due                                | a             | -                             | true                     | true          | ROTATE
            a rotation is due, the budget is used up         | a             | -                             | true                     | false         | KEEP_UNTIL_RESET
            """)
    void theKeyIsKeptCreatedReplacedOrRotated(String name, String hash, String replacedWhy, boolean due, boolean leavesBudget,
            KeyPlan.Action expected) {
        assertThat(KeyPlan.action(hash, replacedWhy, due, leavesBudget)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                                  | adoptKeyFrom | key in Secret | status records | unfinished create | adoption (status) | failed generation | step
            no adoptKeyFrom                                         | -            | -             | -              | false             | -                 | -                 | NONE
            a new client with adoptKeyFrom                          | old          | -             | -              | false             | -                 | -                 | ADOPT
            adopted already: once only                              | old          | a             | a              | false             | done              | -                 | NONE
            adopted, its Secret lost: replaced, never adopted again | old          | -             | a              | false             | done              | -                 | NONE
            a client with a key asks for adoption                   | old          | a             | a              | false             | -                 | -                 | HAS_KEY
            status lost, the Secret holds a key                     | old          | a             | -              | false             | -                 | -                 | HAS_KEY
            a create is unfinished                                  | old          | -             | -              | true              | -                 | -                 | HAS_KEY
            under way, nothing stored: resumed                      | old          | -             | -              | false             | underway          | -                 | RESUME
            under way, the field removed meanwhile: resumed         | -            | -             | -              | false             | underway          | -                 | RESUME
            under way, the Secret holds the key: finished           | old          | a             | -              | false             | underway          | -                 | FINISH
            the proof failed for this generation                    | old          | -             | -              | false             | failed            | 7                 | FAILED
            the proof failed for an earlier generation              | old          | -             | -              | false             | failed            | 6                 | ADOPT
            """)
    void adoptionHappensOnceAndOnlyForAClientWithoutAKey(String name, String from, String inSecret, String recorded,
            boolean unfinished, String adoption, Long failedGeneration, KeyPlan.AdoptionStep expected) {
        AdoptKeyFrom field = null;
        if (from != null) {
            field = new AdoptKeyFrom();
            field.setName(from);
        }
        MaiClientStatus before = new MaiClientStatus();
        before.setKeyHash(hash(recorded));
        if (adoption != null) {
            AdoptionStatus status = new AdoptionStatus();
            status.setAdoptedAt("done".equals(adoption) ? NOW.toString() : null);
            status.setStartedAt("underway".equals(adoption) ? NOW.toString() : null);
            status.setFailedGeneration(failedGeneration);
            before.setAdoption(status);
        }
        assertThat(KeyPlan.adoption(field, before, hash(inSecret), unfinished, 7L)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                      | key in Secret | status records | create unfinished | may rotate
            the key status records                      | a             | a              | false             | true
            a key status does not record yet            | b             | a              | false             | false
            no key in the Secret                        | -             | a              | false             | false
            a create did not finish                     | a             | a              | true              | false
            """)
    void onlyTheKeyStatusRecordsIsRotated(String name, String inSecret, String recorded, boolean unfinished, boolean expected) {
        MaiClientStatus before = new MaiClientStatus();
        before.setKeyHash(hash(recorded));
        assertThat(KeyPlan.mayRotate(hash(inSecret), before, unfinished)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest(name = "status {0}, Secret {1}, tampered {2} -> {3}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # status records | Secret holds | tampered | why the recorded key is replaced
            -                | -            | false    | -
            -                | a            | false    | -
            a                | a            | false    | -
            a                | b            | false    | a newer key is in Secret abc-env
            a                | -            | true     | the key in Secret abc-env was changed by hand: it holds or names a key other than this MaiClient's
            a                | -            | false    | the Secret holding it was deleted
            """)
    void aRecordedKeyTheSecretNoLongerHoldsIsReplacedWithTheReason(String recorded, String inSecret, boolean tampered,
            String expected) {
        assertThat(KeyPlan.replacedWhy(hash(recorded), hash(inSecret), tampered, "abc-env")).isEqualTo(expected);
    }

    @ParameterizedTest(name = "Secret holds {0}, accounted {1}, waited {2}s -> wait {3}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # Secret holds | list showed it | waited s | wait for OpenRouter's list
            -              | false          | 0        | true
            -              | false          | 29       | true
            -              | false          | 30       | false
            -              | true           | 5        | false
            a              | false          | 5        | false
            """)
    void anUnfinishedCreateIsWaitedForOnlyWhileItsKeyMayStillShowUp(String inSecret, boolean accounted, long waited,
            boolean expected) {
        assertThat(KeyPlan.waitForUnfinishedCreate(hash(inSecret), accounted, Duration.ofSeconds(waited))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                  | mai.dev/rotate | status.rotationRequest | key age | every | disableKey | waiting old key | KeyValid reason | due (- none)
            nothing asked, no schedule              | -              | -        | PT1H      | -     | false      | false           | Valid              | -
            schedule passed                         | -              | -        | PT721H    | 720h  | false      | false           | Valid              | Scheduled
            schedule not yet                        | -              | -        | PT719H    | 720h  | false      | false           | Valid              | -
            schedule passed, key braked by spec     | -              | -        | PT721H    | 720h  | true       | false           | KeyDisabled        | -
            schedule passed, key disabled outside   | -              | -        | PT721H    | 720h  | false      | false           | KeyDisabledOutside | -
            new rotate value                        | r1             | -        | PT1H      | -     | false      | false           | Valid              | Requested
            rotate value already answered           | r1             | r1       | PT1H      | -     | false      | false           | Valid              | -
            new rotate value within the spacing     | r2             | r1       | PT4M      | -     | false      | false           | Valid              | -
            new rotate value after the spacing      | r2             | r1       | PT5M      | -     | false      | false           | Valid              | Requested
            asked for while the spec brakes the key | r1             | -        | PT1H      | -     | true       | false           | KeyDisabled        | Requested
            one rotation at a time (asked)          | r1             | -        | PT1H      | -     | false      | true            | Valid              | -
            one rotation at a time (schedule)       | -              | -        | PT721H    | 720h  | false      | true            | Valid              | -
            """)
    void aRotationIsDueOnANewRequestOrTheSchedule(String name, String asked, String answered, Duration age, String every,
            boolean disableKey, boolean oldKeyWaiting, String keyValid, String expected) {
        MaiClientSpec spec = spec(every, disableKey);
        MaiClientStatus before = status(A, NOW.minus(age), keyValid);
        before.setRotationRequest(answered);
        if (oldKeyWaiting) {
            before.setPendingRevocations(List.of(new PendingRevocation(B, NOW.plusSeconds(60).toString(),
                    PendingRevocation.SCHEDULED, "1.00", "0.00", "0.00")));
        }
        assertThat(KeyPlan.rotationDue(asked, spec, before, NOW)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                                   | mai.dev/rotate | key age | every | next rotation
            no schedule, nothing asked               | -              | PT1H    | -     | -
            the schedule                             | -              | PT1H    | 24h   | 2026-12-06T11:00:00Z
            asked, waiting for its spacing           | r1             | PT1M    | -     | 2026-12-05T12:04:00Z
            asked and due now: not in the future     | r1             | PT10M   | -     | -
            asked before the schedule: the sooner    | r1             | PT1M    | 24h   | 2026-12-05T12:04:00Z
            """)
    void statusShowsTheNextRotation(String name, String asked, Duration age, String every, String expected) {
        MaiClientStatus status = status(A, NOW.minus(age), "Valid");
        assertThat(KeyPlan.nextRotationAt(asked, spec(every, false), status, NOW)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest(name = "status key {0}, current {1}, field {2}, KeyValid {3} -> {4}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # status key | key in use | keyDisabledByOperator | KeyValid reason | disabled by this operator
            a            | a          | true                  | Valid           | true
            a            | a          | false                 | KeyDisabled     | false
            a            | a          | -                     | KeyDisabled     | true
            a            | a          | -                     | Valid           | false
            a            | b          | true                  | KeyDisabled     | false
            """)
    void whetherThisOperatorDisabledTheKeyInUse(String recorded, String current, Boolean field, String keyValid, boolean expected) {
        MaiClientStatus before = status(hash(recorded), NOW, keyValid);
        before.setKeyDisabledByOperator(field);
        assertThat(KeyPlan.disabledByOperator(before, hash(current))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "gone {0}, foreign {1}, patch {2}, disabled outside {3} (status says {4}) -> read {5}")
    @CsvSource(delimiter = '|', textBlock = """
            # gone | foreign | something to patch | sweep sees it disabled outside | status shows it | fresh read
            false  | false   | false              | false                          | false           | false
            true   | false   | false              | false                          | false           | true
            false  | true    | false              | false                          | false           | true
            false  | false   | true               | false                          | false           | true
            false  | false   | false              | true                           | false           | true
            false  | false   | false              | true                           | true            | false
            false  | false   | false              | false                          | true            | true
            """)
    void theSweepsViewCallsForAFreshReadWhenItDisagrees(boolean gone, boolean foreign, boolean patch, boolean outside,
            boolean known, boolean expected) {
        KeyInfo key = gone ? null : key(A);
        Observation seen = new Observation(A, key, Set.of(), foreign);
        KeyRules.Plan plan = gone || foreign ? null : new KeyRules.Plan(patch ? new KeyPatch().name("x") : new KeyPatch(), outside);
        assertThat(KeyPlan.sweepCallsForRead(seen, plan, known)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "revoked {0}, proven this reconcile {1}, must read {2}, sweep {3}, awaiting {4}, provisioned {5} -> {6}")
    @CsvSource(delimiter = '|', textBlock = """
            # revoked | proven this reconcile | must read (disagreement, undone rotation) | sweep disagrees | not accepted yet | KeyProvisioned True now | ask OpenRouter
            false     | false            | false                       | false           | false            | true                    | false
            true      | false            | false                       | false           | false            | true                    | true
            false     | true             | false                       | false           | false            | true                    | true
            false     | false            | true                        | false           | false            | true                    | true
            false     | false            | false                       | true            | false            | true                    | true
            false     | false            | false                       | false           | true             | true                    | true
            false     | false            | false                       | false           | false            | false                   | true
            """)
    void steadyStateAsksOpenRouterNothing(boolean revoked, boolean provenThisReconcile, boolean mustRead, boolean sweep, boolean awaiting,
            boolean provisioned, boolean expected) {
        MaiClientStatus before = new MaiClientStatus();
        Conditions.set(before, Conditions.KEY_PROVISIONED, provisioned ? "True" : "False", "Provisioned", "m", 3L, NOW);
        assertThat(KeyPlan.readKey(revoked, provenThisReconcile, mustRead, sweep, awaiting, before, 3L)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "just created {0}, awaiting {1}, sweep found it gone {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            # just created | not accepted last time | the sweep found it gone | GET /key with the key
            false | false | false | false
            true  | false | false | true
            false | true  | false | true
            false | false | true  | true
            """)
    void theKeyItselfIsTriedOnlyWhenNewOrInDoubt(boolean created, boolean awaiting, boolean gone, boolean expected) {
        assertThat(KeyPlan.verifyWithKey(created, awaiting, gone)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "created {0} ago -> young {1}")
    @CsvSource(delimiter = '|', textBlock = """
            PT0S  | true
            PT59S | true
            PT60S | false
            PT1H  | false
            """)
    void aKeyIsYoungWithinItsPropagationWindow(Duration age, boolean expected) {
        MaiClientStatus status = status(A, NOW.minus(age), "Valid");
        assertThat(KeyPlan.young(status, new MaiClientStatus(), NOW)).isEqualTo(expected);
        assertThat(KeyPlan.young(new MaiClientStatus(), new MaiClientStatus(), NOW)).as("no creation time known").isTrue();
    }

    private static MaiClientSpec spec(String every, boolean disableKey) {
        MaiClientSpec spec = new MaiClientSpec();
        spec.setOrganizationName("Acme");
        if (every != null) {
            RotationSpec rotation = new RotationSpec();
            rotation.setEvery(every);
            spec.setRotation(rotation);
        }
        spec.setDisableKey(disableKey ? Boolean.TRUE : null);
        return spec;
    }

    private static MaiClientStatus status(String hash, Instant created, String keyValidReason) {
        MaiClientStatus status = new MaiClientStatus();
        status.setKeyHash(hash);
        status.setKeyCreatedAt(created.toString());
        Conditions.set(status, Conditions.KEY_VALID, "Valid".equals(keyValidReason) ? "True" : "False", keyValidReason, "m", 1L, NOW);
        return status;
    }

    private static String hash(String letter) {
        return letter == null ? null : letter.repeat(64);
    }

    private static KeyInfo key(String hash) {
        return new KeyInfo(hash, "n", "sk-or-v1-abc...def", false, BigDecimal.TEN, BigDecimal.TEN, null, BigDecimal.ZERO,
                BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, NOW.toString());
    }
}
