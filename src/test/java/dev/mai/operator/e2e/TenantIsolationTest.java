package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.core.KeyDigest;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import dev.mai.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whoever may edit Secrets in one namespace must not be able to make the operator touch another
 * tenant's OpenRouter key, or learn anything about it. Both tenants here share the operator-wide
 * management key (one OpenRouter account), the case where the two keys are one PATCH apart.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class TenantIsolationTest extends OperatorHarness {

    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    /** What a key looks like on OpenRouter: everything a write could change. */
    private record Snapshot(String name, BigDecimal limit, String limitReset, boolean disabled, boolean deleted) {
        static Snapshot of(OpenRouterSimulator.Key k) {
            return new Snapshot(k.name, k.limit, k.limitReset, k.disabled, k.deleted);
        }
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private OpenRouterSimulator.Key provisioned(String namespace, String organization) {
        MaiClient mc = Clients.maiClient(namespace, "abc", organization, "10");
        mc.getMetadata().setAnnotations(new HashMap<>());
        create(mc);
        return keysOf(awaitReady(namespace, "abc")).get(0);
    }

    /** Requests to OpenRouter that write to the key with this hash. */
    private long writesTo(String hash) {
        return simulator().count(r -> r.isWrite() && r.path().contains(hash));
    }

    /**
     * The attack as it was found: the tenant writes the other key's hash into its own Secret
     * (annotation and data) and a digest recomputed from its own key and its MaiClient's UID — all
     * things it can read — in the form earlier versions accepted.
     */
    private void pointSecretAt(String namespace, String foreignHash) {
        MaiClient mc = get(namespace, "abc");
        client.secrets().inNamespace(namespace).withName("abc-env").edit(s -> {
            String ownKey = data(s, "OPENROUTER_API_KEY");
            String digest = KeyDigest.legacy(mc.getMetadata().getUid(), foreignHash, ApiKey.of(ownKey));
            return new SecretBuilder(s).editMetadata()
                    .addToAnnotations("mai.dev/key-hash", foreignHash)
                    .addToAnnotations("mai.dev/key-digest", digest)
                    .endMetadata()
                    .addToData("OPENROUTER_KEY_HASH", base64(foreignHash))
                    .build();
        });
    }

    /** Everything the operator told tenant A: its events and its status, as JSON. */
    private String toldTo(String namespace) {
        List<Event> events = events(namespace, "abc");
        return Serialization.asJson(events) + Serialization.asJson(get(namespace, "abc").getStatus());
    }

    /** A ends with a new key of its own in its Secret, the tampering on record, its old key revoked. */
    private OpenRouterSimulator.Key awaitOwnNewKey(String namespace, OpenRouterSimulator.Key old) {
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get(namespace, "abc");
            assertThat(mc.getStatus().getKeyHash()).isNotEqualTo(old.hash);
            assertThat(keysOf(mc)).singleElement().satisfies(k -> {
                assertThat(k.hash).isEqualTo(mc.getStatus().getKeyHash());
                assertThat(data(secret(namespace, "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret);
                assertThat(data(secret(namespace, "abc-env"), "OPENROUTER_KEY_HASH")).isEqualTo(k.hash);
            });
            assertThat(old.deleted).as("A's own old key is revoked").isTrue();
            assertThat(condition(mc, "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SecretTampered"));
        });
        awaitReady(namespace, "abc");
        assertThat(events(namespace, "abc")).extracting(Event::getReason).contains("SecretTampered");
        return keysOf(get(namespace, "abc")).get(0);
    }

    @Test
    void anotherTenantsHashInTheSecretLeavesThatKeyAloneThroughReconcilesSweepsRotationAndDeletion() {
        OpenRouterSimulator.Key a = provisioned("iso-a", "Tenant A");
        OpenRouterSimulator.Key b = provisioned("iso-b", "Tenant B");
        Snapshot bBefore = Snapshot.of(b);
        long bWritesBefore = writesTo(b.hash);

        pointSecretAt("iso-a", b.hash);
        OpenRouterSimulator.Key aNew = awaitOwnNewKey("iso-a", a);
        awaitCompleteSweeps(2);

        // a rotation of A, asked for as people do
        clock.advance(Duration.ofMinutes(6));
        edit("iso-a", "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "1"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(aNew.deleted).isTrue();
            assertThat(keysOf(get("iso-a", "abc"))).singleElement().satisfies(k -> assertThat(k.hash).isNotEqualTo(aNew.hash));
        });
        awaitReady("iso-a", "abc");
        String told = toldTo("iso-a");

        // and the deletion of A
        client.resources(MaiClient.class).inNamespace("iso-a").withName("abc").delete();
        await().atMost(PATIENCE).until(() -> get("iso-a", "abc") == null);

        assertThat(Snapshot.of(b)).as("B's key: name, limit, reset, enabled, alive").isEqualTo(bBefore);
        assertThat(writesTo(b.hash)).as("no PATCH or DELETE of B's key").isEqualTo(bWritesBefore);
        assertThat(told).doesNotContain(b.hash, b.name, b.label(), "iso-b", "Tenant B");
        awaitReady("iso-b", "abc");
    }

    @Test
    void keysThatAreNotTheClientsOwnAreNeverWrittenWhateverTheirMark() {
        String management = SimulatorResource.managementKey();
        String installation = installationId();
        List<OpenRouterSimulator.Key> foreign = new ArrayList<>();
        foreign.add(simulator().createKey(management, "Someone's key made by hand"));
        foreign.add(simulator().createKey(management, "mAI Client: Gone Co (x/y) [mai:" + installation
                + ":0b7e5a52-2a57-4bde-9d7b-0e1f0a6b1c2d:retained]"));
        foreign.add(simulator().createKey(management, "mAI Client: Prod Co (x/y) [mai:another-install:"
                + "1c7e5a52-2a57-4bde-9d7b-0e1f0a6b1c2d]"));
        for (int i = 0; i < foreign.size(); i++) {
            OpenRouterSimulator.Key target = foreign.get(i);
            String ns = "iso-mark-" + i;
            OpenRouterSimulator.Key own = provisioned(ns, "Mark Co " + i);
            Snapshot before = Snapshot.of(target);

            pointSecretAt(ns, target.hash);
            awaitOwnNewKey(ns, own);

            assertThat(Snapshot.of(target)).as(target.name).isEqualTo(before);
            assertThat(writesTo(target.hash)).as(target.name).isZero();
            assertThat(toldTo(ns)).doesNotContain(target.hash, target.name, target.label());
        }
    }

    @Test
    void aHashThatIsNotAnOpenRouterHashNeverReachesOpenRouter() {
        String[] values = {"../keys", "F".repeat(64), "f".repeat(12), "%2e%2e%2fkeys"};
        for (int i = 0; i < values.length; i++) {
            String ns = "iso-hex-" + i;
            OpenRouterSimulator.Key own = provisioned(ns, "Hex Co " + i);
            String value = values[i];

            pointSecretAt(ns, value);
            awaitOwnNewKey(ns, own);

            assertThat(simulator().requests()).as(value).noneMatch(r -> r.path().contains(value));
        }
    }

    @Test
    void aKeyAnotherInstallationOwnsGetsNoSuccessorAndNoWriteUntilTheTakeOverAnnotation() {
        OpenRouterSimulator.Key key = provisioned("iso-clone", "Clone Co");
        List<OpenRouterSimulator.Key> siblings = List.of(provisioned("iso-clone-2", "Clone Two"), provisioned("iso-clone-3", "Clone Three"));
        String ours = installationId();
        // as a cloned cluster's operator sees it: status and Secret name keys marked with another id
        key.name = key.name.replace("[mai:" + ours + ":", "[mai:prod-cluster:");
        siblings.forEach(k -> k.name = k.name.replace("[mai:" + ours + ":", "[mai:prod-cluster:"));
        Snapshot before = Snapshot.of(key);
        List<Snapshot> siblingsBefore = siblings.stream().map(Snapshot::of).toList();
        long creates = simulator().count("POST /keys");

        for (String ns : List.of("iso-clone", "iso-clone-2", "iso-clone-3")) {
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "KeyProvisioned"))
                    .as(ns).hasValueSatisfying(c -> {
                        assertThat(c.getStatus()).isEqualTo("False");
                        assertThat(c.getReason()).isEqualTo("KeyOwnedElsewhere");
                        assertThat(c.getMessage()).contains("mai.dev/take-over: \"" + ours + "\"").doesNotContain("prod-cluster");
                    }));
        }
        assertThat(condition(get("iso-clone", "abc"), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        String version = get("iso-clone", "abc").getMetadata().getResourceVersion();
        awaitCompleteSweeps(3);
        // spec changes would PATCH the key: still nothing
        edit("iso-clone", "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("20")));
        // a take-over meant for another installation changes nothing either
        edit("iso-clone", "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/take-over", "prod-cluster"));
        awaitCompleteSweeps(2);
        assertThat(condition(get("iso-clone", "abc"), "KeyProvisioned")).hasValueSatisfying(c ->
                assertThat(c.getReason()).isEqualTo("KeyOwnedElsewhere"));
        assertThat(simulator().count("POST /keys")).as("no key created meanwhile").isEqualTo(creates);
        assertThat(writesTo(key.hash)).isZero();
        assertThat(Snapshot.of(key)).isEqualTo(before);
        assertThat(version).isNotNull();

        edit("iso-clone", "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/take-over", ours));
        MaiClient taken = awaitReady("iso-clone", "abc");
        assertThat(taken.getStatus().getKeyHash()).isNotEqualTo(key.hash);
        assertThat(keysOf(taken)).filteredOn(k -> !k.hash.equals(key.hash)).singleElement().satisfies(k -> {
            assertThat(k.name).contains("[mai:" + ours + ":");
            assertThat(k.limit).isEqualByComparingTo("20");
            assertThat(data(secret("iso-clone", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret);
        });
        assertThat(taken.getStatus().getPendingRevocations()).isNullOrEmpty();
        assertThat(events("iso-clone", "abc")).extracting(Event::getReason).contains("KeyOwnedElsewhere", "KeyTakenOver");

        client.resources(MaiClient.class).inNamespace("iso-clone").withName("abc").delete();
        await().atMost(PATIENCE).until(() -> get("iso-clone", "abc") == null);
        assertThat(Snapshot.of(key)).as("the other installation's key outlives the take-over and the deletion").isEqualTo(before);
        assertThat(writesTo(key.hash)).isZero();
        // the clients nobody took over stay as they were: reported, nothing written
        for (int i = 0; i < siblings.size(); i++) {
            assertThat(Snapshot.of(siblings.get(i))).isEqualTo(siblingsBefore.get(i));
            assertThat(writesTo(siblings.get(i).hash)).isZero();
            assertThat(condition(get("iso-clone-" + (i + 2), "abc"), "KeyProvisioned"))
                    .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("KeyOwnedElsewhere"));
        }
        assertThat(simulator().count("POST /keys")).as("one key: the taken-over client's").isEqualTo(creates + 1);
    }

    @Test
    void aRetainedClientDeletedRightAfterItsSecretNamedAnotherKeyKeepsTheKeyItsSecretHolds() {
        OpenRouterSimulator.Key b = provisioned("iso-keep-b", "Keep B");
        MaiClient mc = Clients.maiClient("iso-keep-a", "abc", "Keep A", "10");
        mc.getMetadata().setAnnotations(new HashMap<>());
        mc.getSpec().setDeletionPolicy("Retain");
        create(mc);
        awaitReady("iso-keep-a", "abc");
        Snapshot bBefore = Snapshot.of(b);

        pointSecretAt("iso-keep-a", b.hash);
        client.resources(MaiClient.class).inNamespace("iso-keep-a").withName("abc").delete();
        await().atMost(PATIENCE).until(() -> get("iso-keep-a", "abc") == null);

        // whichever came first, the replacement or the deletion: the key the kept Secret holds lives on, retained
        String kept = data(secret("iso-keep-a", "abc-env"), "OPENROUTER_API_KEY");
        assertThat(simulator().liveKeys()).filteredOn(k -> k.secret.equals(kept)).singleElement()
                .satisfies(k -> assertThat(k.name).endsWith(":retained]"));
        assertThat(Snapshot.of(b)).isEqualTo(bBefore);
        assertThat(writesTo(b.hash)).isZero();
    }

    @Test
    void theExternalUserCollisionTellsATenantNothingAboutOtherNamespaces() {
        provisioned("iso-user-a", "Same Org");
        provisioned("iso-user-b", "Same Org");
        MaiClient twin = Clients.maiClient("iso-user-b", "twin", "Same Org", "10");
        create(twin);
        awaitReady("iso-user-b", "twin");
        // the collision inside its own namespace is the tenant's to know, and names no one
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(events("iso-user-b", "twin"))
                .filteredOn(e -> "ExternalUserCollision".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("another MaiClient in this namespace")
                        .doesNotContain("iso-user-a").doesNotContain("iso-user-b/abc")));
        // one in another namespace is not: no event would tell "is this organization a client here?"
        assertThat(events("iso-user-b", "abc")).noneMatch(e -> "ExternalUserCollision".equals(e.getReason()));
    }

    @Test
    void aDigestOfTheOldFormOverTheClientsOwnHashButAnotherValueCertifiesNothing() {
        OpenRouterSimulator.Key own = provisioned("iso-legacy", "Legacy Co");
        String bogus = "sk-or-v1-" + "1".repeat(64);
        MaiClient mc = get("iso-legacy", "abc");
        client.secrets().inNamespace("iso-legacy").withName("abc-env").edit(s -> new SecretBuilder(s).editMetadata()
                .addToAnnotations("mai.dev/key-digest", KeyDigest.legacy(mc.getMetadata().getUid(), own.hash, ApiKey.of(bogus)))
                .endMetadata()
                .addToData("OPENROUTER_API_KEY", base64(bogus))
                .build());
        awaitOwnNewKey("iso-legacy", own);
        assertThat(data(secret("iso-legacy", "abc-env"), "OPENROUTER_API_KEY")).isNotEqualTo(bogus);
    }

    @Test
    void aTamperedSecretStaysOnRecordUntilTheNextKey() {
        OpenRouterSimulator.Key a = provisioned("iso-record", "Record Co");
        OpenRouterSimulator.Key other = provisioned("iso-record-b", "Other Co");
        pointSecretAt("iso-record", other.hash);
        awaitOwnNewKey("iso-record", a);
        awaitCompleteSweeps(2);
        assertThat(condition(get("iso-record", "abc"), "SecretSynced")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("SecretTampered");
        });
        Secret secret = secret("iso-record", "abc-env");
        assertThat(secret.getMetadata().getAnnotations().get("mai.dev/key-digest")).startsWith("v2:");
    }
}
