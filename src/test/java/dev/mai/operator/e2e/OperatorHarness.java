package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.reconciler.DigestKey;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.testing.BudgetWatch;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.DryRun;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import dev.mai.operator.testing.ApiRequests;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.arc.Arc;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the operator-in-the-loop tests share: the client of the test API server, reading the cluster
 * and the simulator, waiting, and a leak scan after every test class. After every test: no request
 * the simulator received broke the budget invariant (a client's keys together able to spend more in
 * the period than its spec — as the operator last acted on it — allows; {@link BudgetWatch} tells
 * the simulator the specs) and none carried {@code limit: 0}.
 */
abstract class OperatorHarness {

    static final Duration PATIENCE = Duration.ofSeconds(45);
    static final Path TEST_LOG = Path.of("target/quarkus-test.log");

    /** The tier's name for the operator's recorded requests ({@link ApiRequests}). */
    static final String TIER = "in-process";
    /** The server of the class running now, for the static after-class checks. */
    private static volatile KubernetesServer current;
    /** Every request body the API server received (Secret data left out), and the keys tests typed into Secrets. */
    private static final LeakScan.Capture CAPTURED = new LeakScan.Capture();

    @KubernetesTestServer
    KubernetesServer testServer;


    /**
     * The tests' own client of the test API server: not the operator's (which announces itself as
     * mai-operator/...), so that what the operator asks for can be told from what the tests ask for.
     */
    KubernetesClient client;

    /** The watch that tells the simulator what each MaiClient may spend, for the server of the class running now. */
    private static volatile BudgetWatch budgets;
    private static volatile KubernetesServer watched;

    @BeforeEach
    void testClient() {
        current = testServer;
        client = testServer.getClient();
        // the mock stores what a dry run sends; the operator dry-runs a Secret before it makes a key for it
        DryRun.install(testServer.getKubernetesMockServer());
        synchronized (OperatorHarness.class) {
            if (watched != testServer || budgets == null) {
                if (budgets != null) {
                    budgets.close();
                }
                budgets = BudgetWatch.start(client, SimulatorResource.simulator());
                watched = testServer;
            }
        }
    }

    /** The simulator's checks on the operator's requests during the test. */
    @AfterEach
    void keptTheBudgetAndSentNoZeroLimit() {
        OpenRouterSimulator simulator = SimulatorResource.simulator();
        assertThat(simulator.takeBudgetBreaches()).as("requests after which a client's keys could spend more than its limit").isEmpty();
        assertThat(simulator.takeZeroLimitRequests()).as("requests with limit: 0 (refused with 400)").isEmpty();
    }

    /** Complete validation sweeps so far (the metric the operator keeps). */
    static long sweepsCompleted() {
        var registry = Arc.container().instance(io.micrometer.core.instrument.MeterRegistry.class).get();
        return Optional.ofNullable(registry.find("mai_sweep_duration_seconds").tag("outcome", "complete").timer())
                .map(io.micrometer.core.instrument.Timer::count).orElse(0L);
    }

    /**
     * Waits until the operator has had {@code sweeps} more complete validation sweeps than now: what
     * a "nothing happened" assertion waits for instead of a fixed pause. Each sweep hands what it saw
     * to the reconciles (a sweep every 2 s in tests, a periodic re-reconcile every 5 s besides).
     */
    static void awaitCompleteSweeps(int sweeps) {
        long before = sweepsCompleted();
        await().atMost(PATIENCE).until(() -> sweepsCompleted() >= before + sweeps);
    }

    /** Records what the operator asked of the API server during the test (for RbacIT). */
    @AfterEach
    void recordOperatorRequests() throws InterruptedException {
        drainRequests(testServer);
    }

    /**
     * Takes the API server's queued requests, recording the operator's and keeping every body for the
     * leak scan (events and status writes among them: the status history); returns all of them.
     */
    static List<RecordedRequest> drainRequests(KubernetesServer server) throws InterruptedException {
        String operatorNamespace = Arc.container().instance(KubernetesClient.class).get().getNamespace();
        List<RecordedRequest> drained = ApiRequests.drain(server.getKubernetesMockServer(), operatorNamespace);
        ApiRequests.write(TIER);
        drained.forEach(r -> CAPTURED.apiRequest(r.getMethod(), r.getPath(), r.getUtf8Body()));
        return drained;
    }

    KubernetesClient client() {
        return client;
    }

    OpenRouterSimulator simulator() {
        return SimulatorResource.simulator();
    }

    MaiClient create(MaiClient client) {
        return client().resource(client).create();
    }

    MaiClient get(String namespace, String name) {
        return client().resources(MaiClient.class).inNamespace(namespace).withName(name).get();
    }

    /**
     * Changes a MaiClient as a person would with kubectl edit: on a fresh read, with its
     * resourceVersion, again on a conflict (the operator may have written status meanwhile).
     */
    MaiClient edit(String namespace, String name, java.util.function.Consumer<MaiClient> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client().resources(MaiClient.class).inNamespace(namespace).withName(name).edit(mc -> {
                    change.accept(mc);
                    return mc;
                });
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** Waits until Ready=True for the current generation (what {@code kubectl wait --for=condition=Ready} checks). */
    MaiClient awaitReady(String namespace, String name) {
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get(namespace, name);
            assertThat(mc.getStatus()).as("status of %s/%s", namespace, name).isNotNull();
            assertThat(mc.getStatus().getObservedGeneration()).isEqualTo(mc.getMetadata().getGeneration());
            Condition ready = condition(mc, "Ready").orElseThrow(() -> new AssertionError("no Ready condition"));
            assertThat(ready.getStatus()).as("Ready of %s/%s: %s %s", namespace, name, ready.getReason(), ready.getMessage())
                    .isEqualTo("True");
            assertThat(ready.getObservedGeneration()).isEqualTo(mc.getMetadata().getGeneration());
        });
        return get(namespace, name);
    }

    Secret secret(String namespace, String name) {
        return client().secrets().inNamespace(namespace).withName(name).get();
    }

    static String data(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }

    String installationId() {
        String namespace = Optional.ofNullable(client().getNamespace()).orElse("default");
        return client().configMaps().inNamespace(namespace).withName(InstallationId.CONFIG_MAP).require()
                .getData().get(InstallationId.DATA_KEY);
    }

    /** The operator's digest secret (what only the operator holds), as a test that plays the operator needs it. */
    byte[] digestKey() {
        String namespace = Optional.ofNullable(client().getNamespace()).orElse("default");
        return Base64.getDecoder().decode(client().secrets().inNamespace(namespace).withName(DigestKey.SECRET).require()
                .getData().get(DigestKey.DATA_KEY));
    }

    /** The simulator's live keys that belong to this MaiClient (by the UID in the key name's suffix). */
    List<OpenRouterSimulator.Key> keysOf(MaiClient mc) {
        return ClientKeys.of(simulator(), mc);
    }

    List<Event> events(String namespace, String name) {
        return client().v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    /**
     * Everything the run captured so far, scanned for every secret the simulator issued and every key
     * a test typed into a Secret: log lines, every request body the API server received (Secret data
     * excepted; events and status writes included), every request body the simulator received, the
     * {@code /q/metrics} text, and the objects in the cluster now.
     */
    @AfterAll
    static void noSecretLeaked() throws IOException, InterruptedException {
        // runs with the application still up, after each test class
        // null when the application never booted: that failure is reported already
        org.junit.jupiter.api.Assumptions.assumeTrue(current != null, "no test of this class ran");
        KubernetesClient client = current.getClient();
        drainRequests(current);
        List<String> secrets = SimulatorResource.simulator().issuedSecrets();
        assertThat(secrets).isNotEmpty();
        assertThat(TEST_LOG).exists();
        // Quarkus rotates the log on every boot: read the current file and every rotated one
        try (var files = Files.list(TEST_LOG.getParent())) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(TEST_LOG.getFileName().toString())).toList()) {
                CAPTURED.add(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        assertThat(Files.readString(TEST_LOG, StandardCharsets.UTF_8)).contains("reconcile ");
        CAPTURED.add("events", Serialization.asJson(client.v1().events().inAnyNamespace().list()));
        CAPTURED.add("MaiClients", Serialization.asJson(client.resources(MaiClient.class).inAnyNamespace().list()));
        // the application's objects carry the key only by reference (secretKeyRef, Secret volume)
        CAPTURED.add("Deployments", Serialization.asJson(client.apps().deployments().inAnyNamespace().list()));
        CAPTURED.add("StatefulSets", Serialization.asJson(client.apps().statefulSets().inAnyNamespace().list()));
        CAPTURED.add("Services", Serialization.asJson(client.services().inAnyNamespace().list()));
        CAPTURED.add("/q/metrics", metrics());
        CAPTURED.simulator(SimulatorResource.simulator());
        List<String> hits = CAPTURED.leaks(secrets);
        CAPTURED.clearTexts();
        assertThat(hits).isEmpty();
    }

    /** What Prometheus would scrape from the running test application. */
    private static String metrics() throws IOException, InterruptedException {
        int port = org.eclipse.microprofile.config.ConfigProvider.getConfig().getOptionalValue("quarkus.http.test-port", Integer.class)
                .orElse(8081);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/q/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("mai_openrouter_requests_total");
        return response.body();
    }
}
