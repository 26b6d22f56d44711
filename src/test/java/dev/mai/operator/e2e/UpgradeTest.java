package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.core.KeyDigest;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.Rollouts;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * An upgrade changes nothing by surprise. The objects version 0.1.0 wrote (MaiClients with status,
 * their Secrets with that version's digests, app Deployments and Services, a claim, a rollout target,
 * a rotation waiting for its rollout) and the keys OpenRouter held for them are loaded from a
 * committed fixture ({@code src/test/resources/upgrade/0.1.0}, recorded as {@code build/upgrade-fixture}
 * describes) before this operator starts. It must create and delete no key, write to none, prove each
 * client's key on a fresh read before it rewrites the Secret's digest, and keep every key and
 * variable, so nothing rolls because of the Secrets.
 *
 * <p>The embedded API server assigns new UIDs on create; the fixture is translated consistently (key
 * names, owner references, and the digests, which 0.1.0 keyed with the UID), as a restore of the same
 * objects would be.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = UpgradeTest.LoadObjects.class)
@QuarkusTestResource(UpgradeTest.LoadKeys.class)
@TestProfile(UpgradeTest.Version010.class)
class UpgradeTest extends OperatorHarness {

    static final String FIXTURE = "/upgrade/0.1.0/";
    static final String NAMESPACES = "up-plain,up-reset,up-app,up-targets,up-rotating";

    /** The settings 0.1.0 ran with: its installation id, and the OPENROUTER_HOST its Secrets hold. */
    public static class Version010 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mai.installation-id", "fixture-0-1-0",
                    "mai.openrouter-host", "http://127.0.0.1:44717/api/v1",
                    "mai.app-allowed-images", "ghcr.io/acme/");
        }
    }

    /** What the fixture's objects became on this API server: old UID to new, and the keys to restore. */
    static final class Fixture {
        static final Map<String, String> UIDS = new HashMap<>();
        private static OpenRouterSimulator simulator;
        private static String managementKey;

        static synchronized OpenRouterSimulator simulator() {
            if (simulator == null) {
                simulator = new OpenRouterSimulator();
                managementKey = simulator.newManagementKey();
            }
            return simulator;
        }

        static synchronized String managementKey() {
            simulator();
            return managementKey;
        }

        /** The fixture's objects, each as its own type (MaiClients too). */
        static List<HasMetadata> objects() {
            List<HasMetadata> out = new ArrayList<>();
            for (String doc : text("objects.yaml").split("(?m)^---\\s*$")) {
                if (doc.isBlank()) {
                    continue;
                }
                out.add(doc.matches("(?s).*(?m:^kind: \"MaiClient\"$).*") ? Serialization.unmarshal(doc, MaiClient.class) : Serialization.unmarshal(doc));
            }
            return out;
        }

        static InputStream open(String file) {
            InputStream in = UpgradeTest.class.getResourceAsStream(FIXTURE + file);
            assertThat(in).as(FIXTURE + file).isNotNull();
            return in;
        }

        static String text(String file) {
            try (InputStream in = open(file)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Restores the keys as 0.1.0 left them, named with the UIDs the MaiClients have now. */
        static synchronized void restoreKeys() {
            JsonNode keys;
            try {
                keys = new ObjectMapper().readTree(text("openrouter-keys.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (JsonNode k : keys) {
                String name = k.get("name").asText();
                for (var uid : UIDS.entrySet()) {
                    name = name.replace(":" + uid.getKey() + "]", ":" + uid.getValue() + "]");
                }
                simulator().restore(k.get("secret").asText(), k.get("hash").asText(), managementKey(),
                        Instant.parse(k.get("createdAt").asText()), name, decimal(k.get("limit")),
                        k.get("limitReset").isNull() ? null : k.get("limitReset").asText(), k.get("disabled").asBoolean(),
                        decimal(k.get("usage")), decimal(k.get("usageInPeriod")));
            }
        }

        private static BigDecimal decimal(JsonNode n) {
            return n == null || n.isNull() ? null : new BigDecimal(n.asText());
        }
    }

    /** Loads the fixture's objects into the API server before the operator starts. */
    public static class LoadObjects implements Consumer<KubernetesServer> {
        @Override
        public void accept(KubernetesServer server) {
            KubernetesClient k = server.getClient();
            List<HasMetadata> objects = new ArrayList<>();
            objects.addAll(Fixture.objects());
            for (HasMetadata o : objects) {
                if (o instanceof MaiClient mc) {
                    String old = mc.getMetadata().getUid();
                    var status = mc.getStatus();
                    mc.setStatus(null);
                    MaiClient created = k.resource(fresh(mc)).create();
                    Fixture.UIDS.put(old, created.getMetadata().getUid());
                    created.setStatus(status);
                    k.resource(created).updateStatus();
                }
            }
            for (HasMetadata o : objects) {
                if (o instanceof MaiClient) {
                    continue;
                }
                if (o instanceof Secret secret && secret.getMetadata().getAnnotations().containsKey("mai.dev/key-digest")) {
                    redigest(secret);
                }
                fresh(o);
                if (o instanceof Deployment || o instanceof Service || o instanceof PersistentVolumeClaim || o instanceof Secret) {
                    k.resource(o).create();
                }
            }
            Fixture.restoreKeys();
        }

        /** The object as a create sends it: the server assigns UID and version; owners are the new UIDs. */
        private static <T extends HasMetadata> T fresh(T o) {
            ObjectMeta m = o.getMetadata();
            m.setUid(null);
            m.setResourceVersion(null);
            m.setCreationTimestamp(null);
            m.setManagedFields(null);
            if (m.getOwnerReferences() != null) {
                for (OwnerReference ref : m.getOwnerReferences()) {
                    ref.setUid(Fixture.UIDS.getOrDefault(ref.getUid(), ref.getUid()));
                }
            }
            return o;
        }

        /** 0.1.0's digest, keyed with the MaiClient's UID, for the UID it has now (and checked to be 0.1.0's first). */
        private static void redigest(Secret secret) {
            String oldUid = secret.getMetadata().getOwnerReferences().get(0).getUid();
            String newUid = Fixture.UIDS.get(oldUid);
            assertThat(newUid).as("the MaiClient of Secret %s", secret.getMetadata().getName()).isNotNull();
            ApiKey key = ApiKey.of(data(secret, "OPENROUTER_API_KEY"));
            String hash = secret.getMetadata().getAnnotations().get("mai.dev/key-hash");
            assertThat(secret.getMetadata().getAnnotations().get("mai.dev/key-digest"))
                    .as("the fixture holds 0.1.0's digest").isEqualTo(KeyDigest.legacy(oldUid, hash, key));
            secret.getMetadata().getAnnotations().put("mai.dev/key-digest", KeyDigest.legacy(newUid, hash, key));
        }
    }

    /** The simulator, holding the fixture's keys before the operator starts. */
    public static class LoadKeys extends SimulatorResource {
        @Override
        public Map<String, String> start() {
            return use(Fixture.simulator(), Fixture.managementKey());
        }
    }

    /** The fixture's objects of one kind, by namespace/name. */
    private static <T extends HasMetadata> Map<String, T> fixture(Class<T> kind) {
        Map<String, T> out = new LinkedHashMap<>();
        for (HasMetadata o : Fixture.objects()) {
            if (kind.isInstance(o)) {
                out.put(o.getMetadata().getNamespace() + "/" + o.getMetadata().getName(), kind.cast(o));
            }
        }
        return out;
    }

    @Test
    void theObjectsOfVersion010CostNoKeyAndRollNothingThroughTheirSecrets() {
        OpenRouterSimulator sim = simulator();
        List<OpenRouterSimulator.Key> before = List.copyOf(sim.liveKeys());
        assertThat(before).hasSize(6);
        Map<String, Secret> old = fixture(Secret.class);
        assertThat(old).hasSize(5);

        // every Secret gets the keyed digest, after a fresh read of its key
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (String id : old.keySet()) {
                String[] nsName = id.split("/");
                Secret now = secret(nsName[0], nsName[1]);
                assertThat(now.getMetadata().getAnnotations().get("mai.dev/key-digest")).as(id).startsWith("v2:");
            }
        });
        // the app's pod template gains what this version adds (its one restart): play the Deployment controller
        // for whatever generation the operator wrote last
        await().atMost(PATIENCE).ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class).untilAsserted(() -> {
            Rollouts.markRolledOut(client(), "up-app", "abc-app"); // a conflict with the operator's write: again
            assertThat(condition(get("up-app", "abc"), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        });
        for (String ns : List.of("up-plain", "up-reset", "up-app", "up-targets")) {
            awaitReady(ns, "abc");
        }
        MaiClient rotating = get("up-rotating", "abc");
        assertThat(rotating.getStatus().getPendingRevocations()).as("the rotation waits for its rollout as before").hasSize(1);

        assertThat(sim.count("POST /keys")).as("keys created by the upgrade").isZero();
        assertThat(sim.count(r -> "DELETE".equals(r.method()))).as("keys deleted by the upgrade").isZero();
        assertThat(sim.count(r -> "PATCH".equals(r.method()))).as("keys changed by the upgrade").isZero();
        assertThat(sim.liveKeys()).extracting(k -> k.hash + k.name + k.limit + k.disabled)
                .containsExactlyInAnyOrderElementsOf(before.stream().map(k -> k.hash + k.name + k.limit + k.disabled).toList());

        for (var e : old.entrySet()) {
            String[] nsName = e.getKey().split("/");
            Secret now = secret(nsName[0], nsName[1]);
            Secret was = e.getValue();
            assertThat(now.getData()).as("%s: every key and variable kept", e.getKey()).isEqualTo(was.getData());
            assertThat(now.getMetadata().getAnnotations().get("mai.dev/env-revision")).as(e.getKey())
                    .isEqualTo(was.getMetadata().getAnnotations().get("mai.dev/env-revision"));
            String hash = was.getMetadata().getAnnotations().get("mai.dev/key-hash");
            assertThat(sim.requests()).as("%s: its key was read before its digest was believed", e.getKey())
                    .anyMatch(r -> "GET".equals(r.method()) && r.path().endsWith("/keys/" + hash));
        }
        // the consumers' pod templates keep the revision: nothing rolls because of the Secrets
        for (var e : fixture(Deployment.class).entrySet()) {
            String[] nsName = e.getKey().split("/");
            Deployment now = client().apps().deployments().inNamespace(nsName[0]).withName(nsName[1]).get();
            assertThat(now.getSpec().getTemplate().getMetadata().getAnnotations().get("mai.dev/env-revision")).as(e.getKey())
                    .isEqualTo(e.getValue().getSpec().getTemplate().getMetadata().getAnnotations().get("mai.dev/env-revision"));
        }
        Deployment web = client().apps().deployments().inNamespace("up-targets").withName("web").get();
        assertThat(web.getSpec().getTemplate()).as("a rollout target's pod template is untouched")
                .isEqualTo(fixture(Deployment.class).get("up-targets/web").getSpec().getTemplate());
        assertThat(Base64.getDecoder().decode(secret("up-plain", "abc-env").getData().get("OPENROUTER_API_KEY"))).isNotEmpty();
    }
}
