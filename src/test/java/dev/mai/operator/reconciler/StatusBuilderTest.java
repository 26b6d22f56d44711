package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every outcome of a reconcile as the conditions it leaves, as tables: outcome in, each condition's
 * status and reason out (messages where they carry the instruction a person acts on).
 */
class StatusBuilderTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Long GENERATION = 4L;

    /** The outcomes of a reconcile that each decide the conditions alone, applied to a fresh status. */
    private static final Map<String, Function<StatusBuilder, StatusBuilder>> OUTCOMES = Map.ofEntries(
            Map.entry("invalidSpec", s -> s.invalidSpec("spec.spendingLimit: must be a decimal")),
            Map.entry("managementKeyMissing", s -> s.managementKeyMissing("No management key")),
            Map.entry("accountChanged", s -> s.accountChanged(null, ref("other-account"))),
            Map.entry("keyOfAnotherAccount", StatusBuilder::keyOfAnotherAccount),
            Map.entry("ownedElsewhere", s -> s.ownedElsewhere("install-1")),
            Map.entry("secretConflict", s -> s.secretConflict("Secret abc-env exists and is not this MaiClient's")),
            Map.entry("secretRefused", s -> s.secretRefused(Optional.of("The API server refused to write Secret abc-env"))),
            Map.entry("insufficientCredits", s -> s.openRouterRefused("InsufficientCredits", "402")),
            Map.entry("rateLimited", s -> s.openRouterFailing(true, "429")),
            Map.entry("openRouterDown", s -> s.openRouterFailing(false, "503")),
            Map.entry("unfinishedCreate", s -> s.initialise().waitingForUnfinishedCreate()),
            Map.entry("notShownYet", StatusBuilder::notShownYet),
            Map.entry("keyRevoked", s -> s.keyRevoked("c".repeat(64))),
            Map.entry("limitExhausted", s -> s.limitExhausted(spec("10"), "abc-env")));

    @ParameterizedTest(name = "{0}: Ready {1}/{2}, KeyProvisioned {3}/{4}, SecretSynced {5}/{6}, KeyValid {7}/{8}")
    @CsvSource(delimiter = '|', textBlock = """
            # outcome            | Ready  | reason                 | KeyProvisioned | reason                 | SecretSynced | reason            | KeyValid | reason
            invalidSpec          | False  | InvalidSpec            | Unknown        | InvalidSpec            | Unknown      | InvalidSpec       | Unknown  | InvalidSpec
            managementKeyMissing | False  | ProvisioningKeyMissing | False          | ProvisioningKeyMissing | Unknown      | Pending           | Unknown  | Pending
            accountChanged       | False  | ProvisioningKeyChanged | False          | ProvisioningKeyChanged | Unknown      | Pending           | Unknown  | Pending
            keyOfAnotherAccount  | False  | ProvisioningKeyChanged | False          | ProvisioningKeyChanged | Unknown      | Pending           | Unknown  | Pending
            ownedElsewhere       | False  | KeyOwnedElsewhere      | False          | KeyOwnedElsewhere      | Unknown      | Pending           | Unknown  | Pending
            secretConflict       | False  | SecretConflict         | Unknown        | SecretConflict         | False        | SecretConflict    | Unknown  | SecretConflict
            secretRefused        | False  | SecretWriteFailed      | Unknown        | SecretWriteFailed      | False        | SecretWriteFailed | Unknown  | SecretWriteFailed
            insufficientCredits  | False  | InsufficientCredits    | False          | InsufficientCredits    | Unknown      | Pending           | Unknown  | Pending
            rateLimited          | False  | RateLimited            | False          | RateLimited            | Unknown      | Pending           | Unknown  | Pending
            openRouterDown       | False  | OpenRouterUnavailable  | False          | OpenRouterUnavailable  | Unknown      | Pending           | Unknown  | Pending
            unfinishedCreate     | Unknown| Pending                | Unknown        | Pending                | Unknown      | Pending           | Unknown  | Pending
            notShownYet          | Unknown| Pending                | Unknown        | Pending                | Unknown      | Pending           | Unknown  | KeyNotAcceptedYet
            keyRevoked           | False  | KeyRevoked             | Unknown        | Pending                | Unknown      | Pending           | False    | KeyRevoked
            limitExhausted       | False  | LimitExhausted         | False          | LimitExhausted         | False        | LimitExhausted    | False    | LimitExhausted
            """)
    void everyOutcomeLeavesItsConditions(String outcome, String ready, String readyReason, String provisioned,
            String provisionedReason, String synced, String syncedReason, String valid, String validReason) {
        MaiClientStatus status = java.util.Objects.requireNonNull(OUTCOMES.get(outcome), "no outcome named " + outcome)
                .apply(builder(new MaiClientStatus())).status();
        assertThat(summary(status)).containsEntry("Ready", ready + "/" + readyReason)
                .containsEntry("KeyProvisioned", provisioned + "/" + provisionedReason)
                .containsEntry("SecretSynced", synced + "/" + syncedReason)
                .containsEntry("KeyValid", valid + "/" + validReason);
        assertThat(status.getConditions()).allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(GENERATION));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # case                                                 | disabled outside | key disabled | spec.disableKey | limit used up | KeyValid | reason
            enabled, budget left                                   | false            | false        | false           | false         | True     | Valid
            someone disabled it in OpenRouter's dashboard          | true             | true         | false           | false         | False    | KeyDisabledOutside
            the spec brakes it                                     | false            | true         | true            | false         | False    | KeyDisabled
            this operator disabled it: the period's budget is gone | false            | true         | false           | false         | False    | LimitExhausted
            its own limit is used up in this period                | false            | false        | false           | true          | False    | LimitExhausted
            """)
    void keyValidityFromWhatOpenRouterSaid(String name, boolean outside, boolean disabled, boolean brake, boolean usedUp, String expected,
            String reason) {
        MaiClientSpec spec = spec("10");
        spec.setDisableKey(brake ? Boolean.TRUE : null);
        KeyInfo key = new KeyInfo("a".repeat(64), "n", "sk-or-v1-abc...def", disabled, BigDecimal.TEN,
                usedUp ? BigDecimal.ZERO : BigDecimal.ONE, null, BigDecimal.ONE, null, null, null, NOW.toString());
        MaiClientStatus status = builder(new MaiClientStatus()).keyValidity(spec, key, outside).status();
        assertThat(summary(status)).as(name).containsEntry("KeyValid", expected + "/" + reason);
    }

    @ParameterizedTest(name = "key created {0} ago -> KeyValid {1}, back in {2}")
    @CsvSource(delimiter = '|', textBlock = """
            PT10S | Unknown | PT2S
            PT2M  | False   | PT30S
            """)
    void aKeyNotAcceptedYetIsUnknownWithinItsWindowThenFalse(Duration age, String expected, Duration recheck) {
        MaiClientStatus status = new MaiClientStatus();
        status.setKeyCreatedAt(NOW.minus(age).toString());
        assertThat(builder(status).notAcceptedYet()).isEqualTo(recheck);
        assertThat(summary(status)).containsEntry("KeyValid", expected + "/KeyNotAcceptedYet");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", delimiter = '|', textBlock = """
            # case                               | old keys waiting | stuck | Rotating | reason
            nothing waits                        | false            | false | False    | Idle
            an old key waits for the consumers   | true             | false | True     | RotationInProgress
            a consumer gave up rolling out       | true             | true  | True     | RolloutStuck
            """)
    void rotatingSaysWhetherOldKeysWait(String name, boolean waiting, boolean stuck, String expected, String reason) {
        List<PendingRevocation> remaining = waiting ? List.of(new PendingRevocation("b".repeat(64), NOW.toString(),
                PendingRevocation.SCHEDULED, "1.00", "0.00", "0.00")) : List.of();
        Rollout rollout = new Rollout(1, waiting ? List.of("Deployment/abc-app") : List.of(), List.of(), stuck, false);
        MaiClientStatus status = builder(new MaiClientStatus()).rotating(remaining, rollout, stuck).status();
        assertThat(summary(status)).as(name).containsEntry("Rotating", expected + "/" + reason);
    }

    @ParameterizedTest(name = "tampered {0}, on record before {1}, new key {2} -> SecretSynced {3}")
    @CsvSource(delimiter = '|', textBlock = """
            # tampered now | SecretTampered before | key changed | SecretSynced reason
            false          | false                 | false       | Synced
            true           | false                 | true        | SecretTampered
            false          | true                  | false       | SecretTampered
            false          | true                  | true        | Synced
            """)
    void aTamperedSecretStaysOnRecordUntilTheNextKey(boolean tampered, boolean before, boolean keyChanged, String reason) {
        MaiClientStatus was = new MaiClientStatus();
        if (before) {
            Conditions.set(was, Conditions.SECRET_SYNCED, "True", "SecretTampered", "edited", GENERATION, NOW);
        }
        MaiClientStatus status = builder(new MaiClientStatus(was)).provisioned("abc-env", List.of(), tampered, keyChanged, was)
                .status();
        assertThat(summary(status)).containsEntry("KeyProvisioned", "True/Provisioned").containsEntry("SecretSynced", "True/" + reason);
    }

    @Test
    void readyWaitsForTheApplicationWhenThereIsOne() {
        StatusBuilder status = builder(new MaiClientStatus());
        provisionedAndValid(status);
        status.app("abc-app", "r1", false, false).ready();
        assertThat(summary(status.status())).containsEntry("AppReady", "False/AppProgressing").containsEntry("Ready", "False/AppProgressing");
        status.app("abc-app", "r1", true, false).ready();
        assertThat(summary(status.status())).containsEntry("AppReady", "True/Available").containsEntry("Ready", "True/Provisioned");
        status.appRejected("Deployment refused by the API server (HTTP 422): bad").ready();
        assertThat(summary(status.status())).containsEntry("Ready", "False/AppRejected");
        status.noApp().ready();
        assertThat(summary(status.status())).doesNotContainKeys("AppReady", "AppRestricted").containsEntry("Ready", "True/Provisioned");
    }

    @Test
    void messagesCarryWhatAPersonDoesNext() {
        assertThat(message(s -> s.ownedElsewhere("install-1"), "KeyProvisioned")).contains("mai.dev/take-over: \"install-1\"");
        assertThat(message(s -> s.accountChanged(ref("old-account"), null), "KeyProvisioned"))
                .contains("the management key in Secret old-account").contains("the operator-wide management key");
        assertThat(message(s -> s.limitExhausted(spec("10"), "abc-env"), "SecretSynced"))
                .startsWith("Secret abc-env holds no usable key");
        assertThat(message(s -> s.openRouterFailing(false, "503 from OpenRouter"), "KeyProvisioned"))
                .isEqualTo("503 from OpenRouter; retrying with backoff");
    }

    @Test
    void anUnchangedOutcomeChangesNothing() {
        MaiClientStatus first = builder(new MaiClientStatus()).secretConflict("conflict").status();
        MaiClientStatus again = new StatusBuilder(new MaiClientStatus(first), GENERATION, NOW.plusSeconds(3600))
                .secretConflict("conflict").status();
        assertThat(again).isEqualTo(first);
    }

    private static void provisionedAndValid(StatusBuilder status) {
        status.provisioned("abc-env", List.of(), false, true, new MaiClientStatus());
        status.keyValidity(spec("10"), new KeyInfo("a".repeat(64), "n", "l", false, BigDecimal.TEN, BigDecimal.ONE, null,
                BigDecimal.ONE, null, null, null, NOW.toString()), false);
    }

    private static String message(Consumer<StatusBuilder> outcome, String type) {
        StatusBuilder status = builder(new MaiClientStatus());
        outcome.accept(status);
        return Conditions.find(status.status(), type).orElseThrow().getMessage();
    }

    private static StatusBuilder builder(MaiClientStatus status) {
        return new StatusBuilder(status, GENERATION, NOW);
    }

    private static Map<String, String> summary(MaiClientStatus status) {
        return status.getConditions().stream().collect(Collectors.toMap(Condition::getType, c -> c.getStatus() + "/" + c.getReason()));
    }

    private static MaiClientSpec spec(String limit) {
        MaiClientSpec spec = new MaiClientSpec();
        spec.setOrganizationName("Acme");
        spec.setSpendingLimit(new IntOrString(limit));
        return spec;
    }

    private static ProvisioningKeyRef ref(String name) {
        ProvisioningKeyRef ref = new ProvisioningKeyRef();
        ref.setName(name);
        ref.setKey("key");
        return ref;
    }
}
