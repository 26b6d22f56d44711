package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Names;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Adoption of an existing key (spec.adoptKeyFrom) on the simulator: the key is kept with its spend
 * and renamed, no key is created; every refusal writes nothing to OpenRouter; a key of another
 * account dressed up as one of this account fails the proof of possession and is put back.
 */
@QuarkusTest
@TestProfile(AdoptionTest.Opened.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class AdoptionTest extends OperatorHarness {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String OPENED = "mai.dev/adoption";

    /** Namespaces labelled mai.dev/adoption=open may adopt; no moves from other owners. */
    public static class Opened implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mai.adoption-namespaces", OPENED + "=open");
        }
    }

    @Test
    void aKeyWithThirtyOfAHundredSpentIsAdoptedWithItsSpendAndNoNewKey() {
        namespace("a-keep", true);
        OpenRouterSimulator.Key old = legacy(SimulatorResource.managementKey(), "mAI ACME (made by the old script)", "100",
                "monthly", "30");
        source("a-keep", "abc-old", "\"" + old.secret + "\""); // as kubectl create secret --from-env-file keeps quotes
        long creates = simulator().count("POST /keys");

        create(adopting("a-keep", "abc", "ACME Corp", "100", "abc-old", null));
        MaiClient ready = awaitReady("a-keep", "abc");

        assertThat(simulator().count("POST /keys")).as("no key created").isEqualTo(creates);
        assertThat(ready.getStatus().getKeyHash()).isEqualTo(old.hash);
        assertThat(old.name).isEqualTo(Names.keyName(ready, installationId(), false));
        assertThat(old.limit).isEqualByComparingTo("100");
        assertThat(old.limitReset).isEqualTo("monthly");
        assertThat(old.usage).isEqualByComparingTo("30");
        assertThat(old.usageInPeriod).isEqualByComparingTo("30");
        assertThat(old.disabled).isFalse();
        assertThat(data(secret("a-keep", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(old.secret);
        assertThat(ready.getStatus().getAdoption().getAdoptedAt()).isNotNull();
        assertThat(ready.getStatus().getAdoption().getCandidate()).isNull();
        assertThat(condition(ready, "Adopted")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        assertThat(ready.getStatus().getUsageInPeriod()).isEqualTo("30.00");
        assertThat(events("a-keep", "abc")).filteredOn(e -> "KeyAdopted".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("its spend of 30.00 USD in this period kept"));
        assertThat(simulator().liveKeys()).filteredOn(k -> k.name.contains(ready.getMetadata().getUid())).hasSize(1);

        // adoption happens once: a new value in the source Secret changes nothing
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);
        OpenRouterSimulator.Key other = legacy(SimulatorResource.managementKey(), "another old key", "50", null, "0");
        client().secrets().inNamespace("a-keep").withName("abc-old").edit(s -> new SecretBuilder(s)
                .withData(Map.of("OPENROUTER_API_KEY", base64(other.secret))).build());
        edit("a-keep", "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("120")));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(old.limit).isEqualByComparingTo("120"));
        awaitReady("a-keep", "abc");
        assertThat(get("a-keep", "abc").getStatus().getKeyHash()).isEqualTo(old.hash);
        assertThat(other.name).isEqualTo("another old key");
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).as("only the limit's PATCH").isEqualTo(writes + 1);
    }

    @Test
    void aKeyThatSpentMoreThanTheSpecAllowsIsAdoptedDisabledAndStaysSo() {
        namespace("a-spent", true);
        OpenRouterSimulator.Key old = legacy(SimulatorResource.managementKey(), "old key", "100", "monthly", "30");
        source("a-spent", "abc-old", old.secret);
        create(adopting("a-spent", "abc", "Spent Co", "20", "abc-old", null));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("a-spent", "abc"), "KeyValid"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("LimitExhausted")));
        assertThat(old.disabled).isTrue();
        assertThat(old.limit).isEqualByComparingTo("20");
        assertThat(old.usageInPeriod).isEqualByComparingTo("30");
        assertThat(get("a-spent", "abc").getStatus().getKeyDisabledByOperator()).isTrue();
        long patches = simulator().count("PATCH /keys/{hash}");
        edit("a-spent", "abc", m -> m.getMetadata().setAnnotations(Map.of("touched", "1"))); // another reconcile
        await().pollDelay(java.time.Duration.ofSeconds(2)).atMost(PATIENCE).untilAsserted(() -> assertThat(old.disabled).isTrue());
        assertThat(simulator().count("PATCH /keys/{hash}")).as("not enabled again").isEqualTo(patches);
    }

    @Test
    void aNamespaceNotOpenedToAdoptionCannotAdoptWhateverItWrites() {
        namespace("a-closed", false);
        OpenRouterSimulator.Key old = legacy(SimulatorResource.managementKey(), "old key", "100", null, "5");
        source("a-closed", "abc-old", old.secret);
        long requests = simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()));
        create(adopting("a-closed", "abc", "Closed Co", "100", "abc-old", old.hash));
        awaitRefusal("a-closed", "abc", "MAI_ADOPTION_NAMESPACES");
        assertThat(simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()))).as("not even a read")
                .isEqualTo(requests);
        assertThat(old.name).isEqualTo("old key");
        // a label on the MaiClient or the source Secret opens nothing: only the Namespace's label does
        edit("a-closed", "abc", m -> m.getMetadata().setLabels(Map.of(OPENED, "open")));
        awaitRefusal("a-closed", "abc", "MAI_ADOPTION_NAMESPACES");
        assertThat(old.name).isEqualTo("old key");
    }

    @Test
    void badKeysAreRefusedWithTheirRuleAndNoOpenRouterWrite() {
        namespace("a-bad", true);
        String account = SimulatorResource.managementKey();
        OpenRouterSimulator.Key disabled = legacy(account, "disabled old key", "100", null, "0");
        disabled.disabled = true;
        OpenRouterSimulator.Key deleted = legacy(account, "deleted old key", "100", null, "0");
        deleted.deleted = true;
        OpenRouterSimulator.Key envFiles = legacy(account, "mAI Client: X [mai:" + Names.ENV_INSTALLATION + ":"
                + java.util.UUID.randomUUID() + "]", "100", null, "0");
        OpenRouterSimulator.Key elsewhere = legacy(simulator().newManagementKey(), "another account's key", "100", null, "0");
        source("a-bad", "s-disabled", disabled.secret);
        source("a-bad", "s-deleted", deleted.secret);
        source("a-bad", "s-management", account);
        source("a-bad", "s-marked", envFiles.secret);
        source("a-bad", "s-elsewhere", elsewhere.secret);
        source("a-bad", "s-garbage", "not a key");
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);

        Map<String, String> expected = Map.of(
                "s-disabled", "does not accept",
                "s-deleted", "does not accept",
                "s-management", "management key",
                "s-marked", "cannot be adopted here",
                "s-elsewhere", "cannot be adopted here",
                "s-garbage", "shape",
                "s-missing", "names no Secret");
        expected.forEach((from, rule) -> create(adopting("a-bad", from, "Bad Co", "100", from, null)));
        expected.forEach((from, rule) -> awaitRefusal("a-bad", from, rule));

        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).as("no OpenRouter write").isEqualTo(writes);
        assertThat(envFiles.name).contains("[mai:mai-env:");
        // a key of this account that is managed and a key of another account get the same answer: a tenant holding a
        // leaked value learns nothing about where its key lives
        assertThat(condition(get("a-bad", "s-marked"), "KeyProvisioned").orElseThrow().getMessage())
                .isEqualTo(condition(get("a-bad", "s-elsewhere"), "KeyProvisioned").orElseThrow().getMessage());
        for (String from : expected.keySet()) {
            assertThat(condition(get("a-bad", from), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        }
        // a Secret that exists, with the key under another entry: the entry is at fault, and the names it has are listed
        create(Clients.with(adopting("a-bad", "wrong-entry", "Bad Co", "100", "s-disabled", null),
                s -> s.getAdoptKeyFrom().setKey("API_KEY")));
        awaitRefusal("a-bad", "wrong-entry", "spec.adoptKeyFrom.key names no entry of Secret s-disabled");
        assertThat(condition(get("a-bad", "wrong-entry"), "KeyProvisioned").orElseThrow().getMessage())
                .contains("it has OPENROUTER_API_KEY");
    }

    @Test
    void twoKeysThatLookAlikeAreRefusedUntilTheHashPicksOne() {
        namespace("a-twins", true);
        String account = SimulatorResource.managementKey();
        String start = hex(3);
        String end = hex(3);
        OpenRouterSimulator.Key first = legacy(account, "twin one", "100", null, "7", start, end);
        OpenRouterSimulator.Key second = legacy(account, "twin two", "100", null, "7", start, end);
        OpenRouterSimulator.Key unlike = legacy(account, "unlike", "55", null, "1");
        source("a-twins", "abc-old", second.secret);
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);

        create(adopting("a-twins", "abc", "Twins Co", "100", "abc-old", null));
        awaitRefusal("a-twins", "abc", "spec.adoptKeyFrom.hash is needed");
        edit("a-twins", "abc", m -> m.getSpec().getAdoptKeyFrom().setHash(unlike.hash));
        awaitRefusal("a-twins", "abc", "cannot be adopted here");
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).as("no write while refused").isEqualTo(writes);

        // the user names the hash of the key it holds: that one is adopted, the look-alike is left alone
        edit("a-twins", "abc", m -> m.getSpec().getAdoptKeyFrom().setHash(second.hash));
        MaiClient ready = awaitReady("a-twins", "abc");
        assertThat(ready.getStatus().getKeyHash()).isEqualTo(second.hash);
        assertThat(first.name).isEqualTo("twin one");
        assertThat(first.limit).isEqualByComparingTo("100");
        assertThat(unlike.name).isEqualTo("unlike");
    }

    @Test
    void aKeyOfAnotherAccountDressedAsOneOfThisAccountFailsTheProofAndTheVictimIsPutBack() {
        namespace("a-forged", true);
        OpenRouterSimulator.Key victim = victimAndForgery("a-forged")[0];
        long creates = simulator().count("POST /keys");

        create(adopting("a-forged", "abc", "Forged Co", "5000", "abc-old", null));
        awaitRefusal("a-forged", "abc", "cannot be adopted here");

        assertThat(victim.name).isEqualTo("victim's key");
        assertThat(victim.limit).isEqualByComparingTo("100");
        assertThat(victim.limitReset).isEqualTo("monthly");
        assertThat(victim.disabled).isFalse();
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
        MaiClient refused = get("a-forged", "abc");
        assertThat(refused.getStatus().getKeyHash()).isNull();
        assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(refused.getStatus())
                + io.fabric8.kubernetes.client.utils.Serialization.asJson(events("a-forged", "abc"))).doesNotContain(victim.hash)
                .doesNotContain("victim's key");
        // not tried again for this generation: no more writes to the victim
        long patches = simulator().count("PATCH /keys/{hash}");
        edit("a-forged", "abc", m -> m.getMetadata().setAnnotations(Map.of("touched", "1")));
        await().pollDelay(java.time.Duration.ofSeconds(2)).atMost(PATIENCE)
                .untilAsserted(() -> awaitRefusal("a-forged", "abc", "cannot be adopted here"));
        assertThat(simulator().count("PATCH /keys/{hash}")).isEqualTo(patches);
        // nor by another MaiClient (a new UID, an empty status): proofs of that key wait after a failure
        create(adopting("a-forged", "again", "Forged Co", "5000", "abc-old", null));
        awaitRefusal("a-forged", "again", "cannot be adopted here");
        assertThat(simulator().count("PATCH /keys/{hash}")).isEqualTo(patches);
        assertThat(victim.limit).isEqualByComparingTo("100");
    }

    @Test
    void aClientThatHasAKeyKeepsItAndSaysTheAdoptionWasNotDone() {
        namespace("a-has", true);
        create(Clients.maiClient("a-has", "abc", "Has Co", "10"));
        String hash = awaitReady("a-has", "abc").getStatus().getKeyHash();
        OpenRouterSimulator.Key old = legacy(SimulatorResource.managementKey(), "old key", "100", null, "0");
        source("a-has", "abc-old", old.secret);
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);
        edit("a-has", "abc", m -> m.getSpec().setAdoptKeyFrom(from("abc-old", null)));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("a-has", "abc"), "Adopted"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo("AdoptionRefused");
                    assertThat(c.getMessage()).contains("has one");
                }));
        MaiClient after = awaitReady("a-has", "abc");
        assertThat(events("a-has", "abc")).filteredOn(e -> "AdoptionRefused".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
        assertThat(after.getStatus().getKeyHash()).isEqualTo(hash);
        assertThat(old.name).isEqualTo("old key");
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).isEqualTo(writes);
        // the field removed, the condition goes
        edit("a-has", "abc", m -> m.getSpec().setAdoptKeyFrom(null));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("a-has", "abc"), "Adopted")).isEmpty());
    }

    /**
     * An adoption whose proof was cut short (the second GET /key failed after the challenge PATCH: a
     * crash, a 429 or a 5xx) keeps its intent; the MaiClient deleted then, its finalizer puts the
     * challenged key's limit back (the attacker used another account's look-alike of a victim key).
     */
    @Test
    void aMaiClientDeletedWhileItsProofIsCutShortPutsTheVictimsLimitBack() {
        OpenRouterSimulator.Key victim;
        try {
            victim = cutShortProof("a-cut", "Cut Co");
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(get("a-cut", "abc").getStatus().getAdoption().getStartedAt())
                    .isNotNull());
            client().resource(get("a-cut", "abc")).delete();
            await().atMost(PATIENCE).until(() -> client().resources(MaiClient.class).inNamespace("a-cut").withName("abc").get() == null);
        } finally {
            simulator().heal();
        }
        awaitCompleteSweeps(3);
        assertThat(victim.name).isEqualTo("victim's key");
        assertThat(victim.limit).as("the victim's limit put back after the attacker's MaiClient is gone")
                .isEqualByComparingTo("100");
    }

    /**
     * An adoption that renamed the key but did not store it yet (the rename's answer lost, then GET /key
     * failing) keeps its intent; when the MaiClient is deleted the key the user brought in is neither
     * deleted nor left marked for a MaiClient that is gone: it is kept, marked retained, whatever the
     * deletionPolicy (the adoption never finished, and the old client may still use the key).
     */
    @Test
    void aKeyRenamedButNotStoredWhenItsMaiClientIsDeletedIsKeptRetained() {
        namespace("a-lost", true);
        OpenRouterSimulator.Key old = legacy(SimulatorResource.managementKey(), "old key", "100", "monthly", "12");
        source("a-lost", "abc-old", old.secret);
        simulator().failRenameAnswer(old.hash, 503).failCurrentKeyAfter(old.secret, 2, 503);
        String uid;
        try {
            MaiClient mc = adopting("a-lost", "abc", "Lost Co", "100", "abc-old", null);
            mc.getSpec().setDeletionPolicy("Retain");
            create(mc);
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(old.name).contains(get("a-lost", "abc").getMetadata().getUid()));
            uid = get("a-lost", "abc").getMetadata().getUid();
            assertThat(get("a-lost", "abc").getStatus().getAdoption().getStartedAt()).isNotNull();
            client().resource(get("a-lost", "abc")).delete();
            await().atMost(PATIENCE).until(() -> client().resources(MaiClient.class).inNamespace("a-lost").withName("abc").get() == null);
        } finally {
            simulator().heal();
        }
        awaitCompleteSweeps(6);
        assertThat(old.deleted).as("a key adopted under Retain is not deleted with its MaiClient").isFalse();
        assertThat(old.name).as("kept as retained or put back, not left marked for a deleted MaiClient")
                .satisfiesAnyOf(n -> assertThat(n).endsWith(":retained]"), n -> assertThat(n).isEqualTo("old key"));
    }

    /**
     * The proof cut short, the tenant points spec.provisioningKeySecretRef at a management key of its
     * own account: the challenge is undone on the account the intent recorded (another account's listing
     * would never find the victim), then the client starts afresh on the new account.
     */
    @Test
    void aManagementKeySwitchedMidProofUndoesTheChallengeOnTheRecordedAccount() {
        namespace("b-switch", true);
        String start = hex(3);
        String end = hex(3);
        OpenRouterSimulator.Key victim = legacy(SimulatorResource.managementKey(), "victim's key", "100", "monthly", "12",
                start, end);
        String tenantAccount = simulator().newManagementKey();
        OpenRouterSimulator.Key forged = legacy(tenantAccount, "attacker's key", "100", "monthly", "12", start, end);
        source("b-switch", "abc-old", forged.secret);
        client().resource(new SecretBuilder().withNewMetadata().withName("tenant-key").withNamespace("b-switch")
                .withLabels(Map.of("mai.dev/provisioning-key", "true")).endMetadata()
                .addToData("key", base64(tenantAccount)).build()).create();
        simulator().failCurrentKeyAfter(forged.secret, 1, 503); // the proof's GET /key fails
        try {
            create(adopting("b-switch", "abc", "Switch Co", "100", "abc-old", null));
            await().atMost(PATIENCE).pollInterval(java.time.Duration.ofMillis(20)).until(() ->
                    victim.limit.compareTo(new BigDecimal("100")) != 0);
            edit("b-switch", "abc", m -> {
                dev.mai.operator.api.v1alpha1.ProvisioningKeyRef ref = new dev.mai.operator.api.v1alpha1.ProvisioningKeyRef();
                ref.setName("tenant-key");
                ref.setKey("key");
                m.getSpec().setProvisioningKeySecretRef(ref);
            });
            // the cut-short reconcile must not be answered late by a healed GET /key: heal once the resume runs on the new account
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(get("b-switch", "abc").getStatus().getAdoption().underWay())
                    .as("intent kept while the resume looks for the victim on the tenant's account").isTrue());
            Thread.sleep(6_000);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            simulator().heal();
        }
        await().pollDelay(java.time.Duration.ofSeconds(40)).atMost(java.time.Duration.ofSeconds(90)).until(() -> {
            var adoption = get("b-switch", "abc").getStatus().getAdoption();
            return adoption == null || !adoption.underWay();
        });
        awaitCompleteSweeps(3);
        assertThat(victim.name).isEqualTo("victim's key");
        assertThat(victim.limit).as("the victim's limit put back").isEqualByComparingTo("100");
    }

    /**
     * mai.dev/abandon-key (an annotation the tenant sets) gives up the client's own key, not the change a
     * cut-short proof made to someone else's: the finalizer still undoes it.
     */
    @Test
    void anAbandonedMaiClientStillUndoesItsCutShortChallenge() {
        OpenRouterSimulator.Key victim;
        try {
            victim = cutShortProof("b-abandon", "Abandon Co");
            edit("b-abandon", "abc", m -> m.getMetadata().setAnnotations(Map.of("mai.dev/abandon-key", "true")));
            client().resource(get("b-abandon", "abc")).delete();
            await().atMost(PATIENCE).until(() -> client().resources(MaiClient.class).inNamespace("b-abandon").withName("abc").get() == null);
        } finally {
            simulator().heal();
        }
        awaitCompleteSweeps(3);
        assertThat(victim.limit).as("the victim's limit put back").isEqualByComparingTo("100");
    }

    /**
     * A put-back writes only while the key still has the challenge's limit (its keyed digest is in the
     * intent). The tenant holds its intent open (a missing provisioningKeySecretRef stops every reconcile
     * before the resume), the victim's owner lowers the limit to 10 meanwhile, the tenant removes the
     * ref: the owner's 10 stays.
     */
    @Test
    void aPutBackNeverLiftsALimitTheOwnerSetSinceTheChallenge() {
        OpenRouterSimulator.Key victim;
        try {
            victim = cutShortProof("b-lift", "Lift Co");
            edit("b-lift", "abc", m -> {
                dev.mai.operator.api.v1alpha1.ProvisioningKeyRef ref = new dev.mai.operator.api.v1alpha1.ProvisioningKeyRef();
                ref.setName("no-such-secret");
                ref.setKey("key");
                m.getSpec().setProvisioningKeySecretRef(ref);
            });
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("b-lift", "abc"), "KeyProvisioned"))
                    .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("ProvisioningKeyMissing")));
        } finally {
            simulator().heal();
        }
        assertThat(get("b-lift", "abc").getStatus().getAdoption().underWay()).as("intent held open").isTrue();
        victim.limit = new BigDecimal("10"); // the owner lowers its key's limit (a leak suspected)
        edit("b-lift", "abc", m -> m.getSpec().setProvisioningKeySecretRef(null));
        await().atMost(PATIENCE).until(() -> {
            var adoption = get("b-lift", "abc").getStatus().getAdoption();
            return adoption == null || !adoption.underWay();
        });
        awaitCompleteSweeps(2);
        assertThat(victim.limit).as("the owner's lower limit is not lifted by a stale put-back").isEqualByComparingTo("10");
    }

    /**
     * A proof of possession cut short in an opened {@code namespace}: MaiClient abc adopts a forgery of a
     * victim key, the proof's GET /key (and every one after, until the simulator heals) answers 503
     * after the challenge PATCH. Returns the victim, its limit raised by the challenge.
     */
    private OpenRouterSimulator.Key cutShortProof(String namespace, String organization) {
        namespace(namespace, true);
        OpenRouterSimulator.Key[] pair = victimAndForgery(namespace);
        simulator().failCurrentKeyAfter(pair[1].secret, 1, 503);
        create(adopting(namespace, "abc", organization, "100", "abc-old", null));
        await().atMost(PATIENCE).pollInterval(java.time.Duration.ofMillis(20)).until(() ->
                pair[0].limit.compareTo(new BigDecimal("100")) != 0);
        return pair[0];
    }

    /**
     * A victim key on the operator's account, and an attacker's key on another account with the same
     * label and figures, in Secret abc-old of {@code namespace}.
     */
    private OpenRouterSimulator.Key[] victimAndForgery(String namespace) {
        String start = hex(3);
        String end = hex(3);
        OpenRouterSimulator.Key victim = legacy(SimulatorResource.managementKey(), "victim's key", "100", "monthly", "12",
                start, end);
        OpenRouterSimulator.Key forged = legacy(simulator().newManagementKey(), "attacker's key", "100", "monthly", "12",
                start, end);
        source(namespace, "abc-old", forged.secret);
        return new OpenRouterSimulator.Key[] {victim, forged};
    }

    private void awaitRefusal(String namespace, String name, String rule) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(namespace, name), "KeyProvisioned"))
                .as("%s/%s", namespace, name).hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("AdoptionRefused");
                    assertThat(c.getMessage()).contains(rule);
                }));
    }

    private void namespace(String name, boolean opened) {
        client().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .withLabels(opened ? Map.of(OPENED, "open") : Map.of()).endMetadata().build()).create();
    }

    private void source(String namespace, String name, String value) {
        client().resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .addToData("OPENROUTER_API_KEY", base64(value)).build()).create();
    }

    private static MaiClient adopting(String namespace, String name, String organization, String limit, String from, String hash) {
        MaiClient mc = Clients.maiClient(namespace, name, organization, limit);
        mc.getSpec().setLimitReset("monthly");
        mc.getSpec().setAdoptKeyFrom(from(from, hash));
        return mc;
    }

    private static AdoptKeyFrom from(String name, String hash) {
        AdoptKeyFrom from = new AdoptKeyFrom();
        from.setName(name);
        from.setHash(hash);
        return from;
    }

    private OpenRouterSimulator.Key legacy(String account, String name, String limit, String reset, String spent) {
        return legacy(account, name, limit, reset, spent, hex(3), hex(3));
    }

    /** A key made outside the operator, its value starting and ending with the hex digits given (its label). */
    private OpenRouterSimulator.Key legacy(String account, String name, String limit, String reset, String spent, String start,
            String end) {
        String secret = "sk-or-v1-" + start + hex(58) + end;
        return simulator().restore(secret, hex(64), account, Instant.now().minusSeconds(86_400), name,
                limit == null ? null : new BigDecimal(limit), reset, false, new BigDecimal(spent), new BigDecimal(spent));
    }

    private static String hex(int digits) {
        byte[] bytes = new byte[(digits + 1) / 2];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes).substring(0, digits);
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}
