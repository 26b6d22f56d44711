package dev.mai.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.reconciler.InstallationId;
import dev.mai.operator.reconciler.Labels;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import dev.mai.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Records the UPGRADE FIXTURE of release 0.1.0 (commit f92d905): the objects this operator version
 * writes for five typical MaiClients, and the keys the OpenRouter simulator holds for them, so that
 * a later test can load them on an embedded API server, start the new operator and check that the
 * upgrade creates and deletes no key. Run: {@code mvn -B -ntp -o test -Dtest=RecordUpgradeFixture};
 * writes target/upgrade-fixture/0.1.0/{objects.yaml,openrouter-keys.json} and, as a side experiment,
 * crud-probe.txt (what fabric8's CRUD mock server keeps of uid and status on create).
 */
@QuarkusTest
@TestProfile(RecordUpgradeFixture.Fixture.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class RecordUpgradeFixture extends OperatorHarness {

    static final String INSTALLATION_ID = "fixture-0-1-0";
    static final Path OUT = Path.of("target/upgrade-fixture/0.1.0");
    static final List<String> NAMESPACES = List.of("up-plain", "up-reset", "up-app", "up-targets", "up-rotating");
    static final String NAME = "abc";
    static final String MANAGEMENT_KEY_PLACEHOLDER = "MANAGEMENT_KEY";

    /** A known installation id, so that key names carry it. */
    public static class Fixture implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // a random HTTP port: other test runs on this machine may hold 8081
            return Map.of("mai.installation-id", INSTALLATION_ID, "quarkus.http.test-port", "0");
        }
    }

    @Inject
    TestClock clock;

    @Inject
    MeterRegistry registry;

    private long completeSweeps() {
        return Optional.ofNullable(registry.find("mai_sweep_duration_seconds").tag("outcome", "complete").timer())
                .map(Timer::count).orElse(0L);
    }

    @Test
    void record() throws Exception {
        try {
            build();
            settle();
            dump();
        } finally {
            // after the dump: what the CRUD mock server keeps on a create (not part of the fixture)
            Files.createDirectories(OUT);
            Files.writeString(OUT.resolve("crud-probe.txt"), probeCrudServer(), StandardCharsets.UTF_8);
            clock.reset();
        }
    }

    // ---- the world of 0.1.0 ---------------------------------------------------------------------

    private void build() {
        // up-plain: the minimum
        create(Clients.maiClient("up-plain", NAME, "Plain Co", "10"));

        // up-reset: every key and Secret option
        MaiClient reset = Clients.with(Clients.maiClient("up-reset", NAME, "Reset Co", "25.50"), s -> {
            s.setLimitReset("monthly");
            s.setExternalUser("reset_user");
            s.setDeletionPolicy("Retain");
            s.setSecret(Clients.secret("reset-env", Map.of("team", "finance"), Map.of("example.com/owner", "billing")));
        });
        create(reset);

        // up-app: the application with retained storage
        create(Clients.with(Clients.maiClient("up-app", NAME, "App Co", "100"), s -> s.setApp(app())));

        // up-targets: an existing Deployment restarted on Secret changes
        client().apps().deployments().inNamespace("up-targets").resource(ClientAppTest.target("up-targets", "web")).create();
        create(Clients.with(Clients.maiClient("up-targets", NAME, "Targets Co", "50"),
                s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "web")))));

        // up-rotating: the application, then a requested rotation whose rollout never finishes
        MaiClient rotating = Clients.with(Clients.maiClient("up-rotating", NAME, "Rotating Co", "40"), s -> {
            AppSpec app = new AppSpec();
            app.setImage("ghcr.io/acme/mai:1.0");
            app.setPort(8080);
            s.setApp(app);
        });
        rotating.getMetadata().setAnnotations(new HashMap<>());
        create(rotating);

        awaitReady("up-plain", NAME);
        awaitReady("up-reset", NAME);
        awaitDeployment("up-app", NAME + "-app");
        ClientAppTest.markRolledOut(client(), "up-app", NAME + "-app");
        awaitReady("up-app", NAME);
        await().atMost(PATIENCE).until(() -> revision("up-targets", "web") != null);
        ClientAppTest.markRolledOut(client(), "up-targets", "web");
        awaitReady("up-targets", NAME);
        awaitDeployment("up-rotating", NAME + "-app");
        ClientAppTest.markRolledOut(client(), "up-rotating", NAME + "-app");
        MaiClient before = awaitReady("up-rotating", NAME);
        String oldHash = before.getStatus().getKeyHash();
        String oldRevision = revision("up-rotating", NAME + "-app");

        clock.advance(Duration.ofMinutes(6)); // a rotation may be asked for at most once per 5 minutes
        edit("up-rotating", NAME, m -> {
            if (m.getMetadata().getAnnotations() == null) {
                m.getMetadata().setAnnotations(new HashMap<>());
            }
            m.getMetadata().getAnnotations().put(Labels.ROTATE, "1");
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient now = get("up-rotating", NAME);
            assertThat(now.getStatus().getKeyHash()).isNotEqualTo(oldHash);
            assertThat(now.getStatus().getPendingRevocations()).extracting(p -> p.getHash()).containsExactly(oldHash);
            assertThat(revision("up-rotating", NAME + "-app")).isNotEqualTo(oldRevision);
        });
        assertThat(simulator().key(oldHash)).hasValueSatisfying(k -> assertThat(k.deleted).isFalse());
    }

    private static AppSpec app() {
        AppSpec app = new AppSpec();
        app.setImage("ghcr.io/acme/mai:1.0");
        app.setPort(8080);
        AppStorage storage = new AppStorage();
        storage.setSize("1Gi");
        app.setStorage(storage);
        return app;
    }

    private Deployment awaitDeployment(String namespace, String name) {
        return await().atMost(PATIENCE).until(() -> client().apps().deployments().inNamespace(namespace).withName(name).get(),
                d -> d != null);
    }

    private String revision(String namespace, String name) {
        Deployment d = client().apps().deployments().inNamespace(namespace).withName(name).get();
        var annotations = d == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Labels.ENV_REVISION);
    }

    /** Waits for sweeps until two sweeps in a row change no object of the fixture. */
    private void settle() {
        String previous = null;
        for (int round = 0; round < 8; round++) {
            long sweeps = completeSweeps();
            await().atMost(PATIENCE).until(() -> completeSweeps() >= sweeps + 2);
            String versions = versions();
            if (versions.equals(previous)) {
                return;
            }
            previous = versions;
        }
        throw new AssertionError("the fixture's objects kept changing: " + previous);
    }

    private String versions() {
        StringBuilder sb = new StringBuilder();
        for (HasMetadata o : objects()) {
            sb.append(o.getKind()).append(' ').append(o.getMetadata().getNamespace()).append('/')
                    .append(o.getMetadata().getName()).append('@').append(o.getMetadata().getResourceVersion()).append('\n');
        }
        return sb.toString();
    }

    // ---- the dump -------------------------------------------------------------------------------

    /** Everything the fixture holds, in the fixture's order. */
    private List<HasMetadata> objects() {
        List<HasMetadata> out = new ArrayList<>();
        String operatorNamespace = Optional.ofNullable(client().getNamespace()).orElse("default");
        ConfigMap installation = client().configMaps().inNamespace(operatorNamespace).withName(InstallationId.CONFIG_MAP).get();
        if (installation != null) {
            out.add(installation);
        }
        for (String ns : NAMESPACES) {
            out.addAll(sorted(client().resources(MaiClient.class).inNamespace(ns).list().getItems()));
        }
        for (String ns : NAMESPACES) {
            out.addAll(sorted(client().apps().deployments().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
                    .list().getItems()));
        }
        for (String ns : NAMESPACES) {
            out.addAll(sorted(client().services().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
                    .list().getItems()));
        }
        for (String ns : NAMESPACES) {
            out.addAll(sorted(client().persistentVolumeClaims().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
                    .list().getItems()));
        }
        for (String ns : NAMESPACES) {
            out.addAll(sorted(client().secrets().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
                    .list().getItems()));
        }
        out.add(client().apps().deployments().inNamespace("up-targets").withName("web").require());
        return out;
    }

    private static <T extends HasMetadata> List<T> sorted(List<T> items) {
        return items.stream().sorted(Comparator.comparing(o -> o.getMetadata().getName())).toList();
    }

    private void dump() throws IOException {
        List<HasMetadata> objects = objects();
        StringBuilder yaml = new StringBuilder();
        for (HasMetadata o : objects) {
            o.getMetadata().setManagedFields(null);
            String doc = Serialization.asYaml(o);
            yaml.append(doc.startsWith("---") ? "" : "---\n").append(doc);
            if (!doc.endsWith("\n")) {
                yaml.append('\n');
            }
        }
        Files.createDirectories(OUT);
        Files.writeString(OUT.resolve("objects.yaml"), yaml.toString(), StandardCharsets.UTF_8);

        String managementKey = SimulatorResource.managementKey();
        List<Map<String, Object>> keys = new ArrayList<>();
        for (OpenRouterSimulator.Key k : simulator().allKeys().stream()
                .sorted(Comparator.comparing((OpenRouterSimulator.Key k) -> k.createdAt).thenComparing(k -> k.hash)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("secret", k.secret);
            m.put("hash", k.hash);
            m.put("managementKey", managementKey.equals(k.managementKey) ? MANAGEMENT_KEY_PLACEHOLDER : k.managementKey);
            m.put("name", k.name);
            m.put("disabled", k.disabled);
            m.put("limit", k.limit == null ? null : k.limit.toPlainString());
            m.put("limitReset", k.limitReset);
            m.put("usage", k.usage == null ? null : k.usage.toPlainString());
            m.put("usageInPeriod", k.usageInPeriod == null ? null : k.usageInPeriod.toPlainString());
            m.put("createdAt", k.createdAt == null ? null : k.createdAt.toString());
            m.put("updatedAt", k.updatedAt == null ? null : k.updatedAt.toString());
            m.put("deleted", k.deleted);
            keys.add(m);
        }
        String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(keys);
        Files.writeString(OUT.resolve("openrouter-keys.json"), json + "\n", StandardCharsets.UTF_8);

        // what the fixture must show
        List<MaiClient> clients = objects.stream().filter(MaiClient.class::isInstance).map(MaiClient.class::cast).toList();
        assertThat(clients).hasSize(5);
        for (MaiClient mc : clients) {
            if (mc.getMetadata().getNamespace().equals("up-rotating")) {
                assertThat(mc.getStatus().getPendingRevocations()).hasSize(1);
            } else {
                assertThat(Clients.isReady(mc)).as("Ready: %s", mc.getMetadata().getNamespace()).isTrue();
            }
        }
        assertThat(keys).extracting(k -> (String) k.get("name")).allSatisfy(n -> assertThat(n).contains(INSTALLATION_ID));
    }

    // ---- the side experiment: what fabric8's CRUD mock server keeps on a create ------------------

    private String probeCrudServer() {
        String ns = "probe-crud";
        String givenUid = "11111111-2222-3333-4444-555555555555";
        StringBuilder out = new StringBuilder();
        probe(out, "ConfigMap uid", () -> {
            ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName("probe").withNamespace(ns).withUid(givenUid)
                    .endMetadata().addToData("a", "b").build();
            ConfigMap created = client().resource(cm).create();
            out.append("ConfigMap create with uid ").append(givenUid).append(": response uid=").append(created.getMetadata().getUid())
                    .append(", stored uid=").append(client().configMaps().inNamespace(ns).withName("probe").get().getMetadata().getUid())
                    .append('\n');
            ConfigMap put = client().configMaps().inNamespace(ns).withName("probe").edit(c -> {
                c.getMetadata().setUid(givenUid);
                return c;
            });
            out.append("ConfigMap update (PUT) with that uid: response uid=").append(put.getMetadata().getUid()).append('\n');
            ConfigMap patched = client().configMaps().inNamespace(ns).withName("probe")
                    .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                            "{\"metadata\":{\"uid\":\"" + givenUid + "\"}}");
            out.append("ConfigMap merge patch of metadata.uid: response uid=").append(patched.getMetadata().getUid()).append('\n');
        });
        probe(out, "uid counter", () -> {
            // the mock's uids come from io.fabric8.kubernetes.client.utils.Utils.generateId(): a JVM-wide counter
            java.lang.reflect.Field f = io.fabric8.kubernetes.client.utils.Utils.class.getDeclaredField("leastSigBits");
            f.setAccessible(true);
            java.util.concurrent.atomic.AtomicLong counter = (java.util.concurrent.atomic.AtomicLong) f.get(null);
            long target = 0x5eL;
            long before = counter.get();
            counter.set(target - 1);
            ConfigMap created = client().resource(new ConfigMapBuilder().withNewMetadata().withName("probe-counter").withNamespace(ns)
                    .endMetadata().build()).create();
            counter.set(Math.max(before, counter.get()));
            out.append("ConfigMap create after setting Utils.leastSigBits to 0x5d (reflection): uid=")
                    .append(created.getMetadata().getUid()).append('\n');
        });
        probe(out, "MaiClient status", () -> {
            // spendingLimit 0 is invalid: the operator makes no key for it
            MaiClient mc = Clients.maiClient(ns, "probe", "Probe Co", "0");
            mc.getMetadata().setUid(givenUid);
            MaiClientStatus status = new MaiClientStatus();
            status.setKeyHash("probe-hash");
            status.setObservedGeneration(7L);
            mc.setStatus(status);
            MaiClient created = client().resource(mc).create();
            out.append("MaiClient create with uid ").append(givenUid).append(" and status.keyHash=probe-hash: response uid=")
                    .append(created.getMetadata().getUid()).append(", response status=").append(Serialization.asJson(created.getStatus()))
                    .append(", generation=").append(created.getMetadata().getGeneration()).append('\n');
            MaiClient updated = retry(() -> {
                MaiClient m = get(ns, "probe");
                MaiClientStatus s = new MaiClientStatus();
                s.setKeyHash("probe-hash-2");
                m.setStatus(s);
                return client().resource(m).updateStatus();
            });
            out.append("MaiClient updateStatus (PUT .../status, with resourceVersion) keyHash=probe-hash-2: response status.keyHash=")
                    .append(updated.getStatus() == null ? null : updated.getStatus().getKeyHash()).append(", uid=")
                    .append(updated.getMetadata().getUid()).append('\n');
            MaiClient put = retry(() -> {
                MaiClient m = get(ns, "probe");
                if (m.getStatus() == null) {
                    m.setStatus(new MaiClientStatus());
                }
                m.getStatus().setKeyHash("probe-hash-3");
                m.getMetadata().setLabels(Map.of("probe", "3"));
                return client().resource(m).update();
            });
            out.append("MaiClient update (PUT main resource) with status.keyHash=probe-hash-3: response status.keyHash=")
                    .append(put.getStatus() == null ? null : put.getStatus().getKeyHash()).append('\n');
        });
        probe(out, "Deployment status", () -> {
            Deployment d = ClientAppTest.target(ns, "probe");
            d.getMetadata().setUid(givenUid);
            d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(1L).withReplicas(1).withReadyReplicas(1)
                    .withAvailableReplicas(1).withUpdatedReplicas(1).build());
            Deployment created = client().resource(d).create();
            out.append("Deployment create with uid and status: response uid=").append(created.getMetadata().getUid())
                    .append(", response status=").append(Serialization.asJson(created.getStatus())).append('\n');
            Deployment fresh = client().apps().deployments().inNamespace(ns).withName("probe").get();
            fresh.setStatus(null);
            fresh.getMetadata().setLabels(Map.of("app", "probe", "probe", "put"));
            Deployment put = client().resource(fresh).update();
            out.append("Deployment update (PUT) of an object without status: response status=")
                    .append(Serialization.asJson(put.getStatus())).append('\n');
        });
        return out.toString();
    }

    interface Step {
        void run() throws Exception;
    }

    private static void probe(StringBuilder out, String what, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            out.append(what).append(": probe failed: ").append(e).append('\n');
        }
    }

    private static <T> T retry(java.util.function.Supplier<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }
}
