package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.BudgetWatch;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The packaged operator, as its own process against the embedded API server and the simulator, is
 * killed with SIGKILL at random moments while it provisions 100 MaiClients, and started again,
 * three times, each time while a create is in flight (answers take a second: 400 ms latency, then
 * 600 ms after the key is made). Every run logs at DEBUG (every category), and every log is scanned
 * for keys. The simulator holds every request to the budget invariant and refuses {@code limit: 0}.
 */
class ProcessKillIT {

    private static final int CLIENTS = 100;
    private static final Path WORK = Path.of("target/process-kill");

    @Test
    void sigkillAtRandomMomentsLeavesOneLiveKeyPerClientInItsSecret() throws Exception {
        Files.createDirectories(WORK);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("ProcessKillIT seed " + seed);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator().latency(400).createAnswerDelay(Duration.ofMillis(600));
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"));
                BudgetWatch budgets = BudgetWatch.start(cluster.client(), openRouter)) {
            Map<String, String> env = OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator");
            env.put("QUARKUS_LOG_LEVEL", "DEBUG");
            KubernetesClient client = cluster.client();

            List<Path> logs = new ArrayList<>();
            OperatorProcess operator = OperatorProcess.start(env, log(logs, 0));
            for (int i = 0; i < CLIENTS; i++) {
                client.resource(Clients.maiClient("kill", "c" + i, "Kill Test " + i, "10")).create();
            }
            for (int kill = 1; kill <= 3; kill++) {
                // kill while creates are in flight: after this run's first few answers, at a random moment
                // within 500 ms of a create's arrival (it takes 1 s to answer)
                long creates = openRouter.count("POST /keys");
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10)).until(() -> openRouter.count("POST /keys") >= creates + 3
                        && openRouter.inFlight().stream().anyMatch(r -> r.operation().equals("POST /keys")
                                && r.since().isAfter(java.time.Instant.now().minusMillis(200))));
                Thread.sleep(random.nextInt(300));
                operator.kill();
                operator = OperatorProcess.start(env, log(logs, kill));
            }
            try (OperatorProcess last = operator) {
                await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    assertThat(last.isAlive()).isTrue();
                    List<MaiClient> all = client.resources(MaiClient.class).inNamespace("kill").list().getItems();
                    assertThat(all).hasSize(CLIENTS).allSatisfy(mc -> assertThat(Clients.isReady(mc)).as(mc.getMetadata().getName()).isTrue());
                });
            }

            List<MaiClient> all = client.resources(MaiClient.class).inNamespace("kill").list().getItems();
            ClientKeys.assertOneLiveKeyEachInItsSecret(openRouter, client, all);
            for (MaiClient mc : all) {
                assertThat(mc.getStatus().getKeyHash()).isEqualTo(ClientKeys.theOne(openRouter, mc).hash);
            }
            assertThat(openRouter.liveKeys()).hasSize(CLIENTS);
            // counts are true after a SIGKILL: a create whose operator died before the answer is recorded too
            assertThat(openRouter.count(r -> r.operation().equals("POST /keys") && r.outcome() == OpenRouterSimulator.Outcome.CLIENT_GONE))
                    .as("creates a kill cut off before their answer").isPositive();
            assertThat(openRouter.takeBudgetBreaches()).as("requests after which a client's keys could spend more than its limit").isEmpty();
            assertThat(openRouter.takeZeroLimitRequests()).as("requests with limit: 0").isEmpty();
            // the kills did interrupt creates: a later run had to look for their keys
            assertThat(openRouter.count("GET /keys")).as("unfinished creates resolved by listing").isPositive();
            System.out.printf("ProcessKillIT: %d creates, %d deletes, %d list requests for %d clients%n",
                    openRouter.count("POST /keys"), openRouter.count("DELETE /keys/{hash}"), openRouter.count("GET /keys"), CLIENTS);

            for (Path log : logs) {
                assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("DEBUG");
            }
            // logs, every request body the API server and the simulator received (events and statuses among them)
            assertThat(cluster.leaks(openRouter, logs)).isEmpty();
        }
    }

    /**
     * Twenty clients of the old script adopt their keys (30 of 100 spent each) while the operator is
     * killed three times with a PATCH in flight — between the proof's PATCH and the rename, or after
     * it. With sweeps every second and orphans collected after 2 s, each client ends with exactly its
     * old key, renamed, its spend kept, and nothing was created.
     */
    @Test
    void sigkillDuringAdoptionsLeavesEachClientItsOwnOldKey() throws Exception {
        Path work = WORK.resolve("adoption");
        Random random = new Random(System.nanoTime());
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator().latency(400);
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"));
                BudgetWatch budgets = BudgetWatch.start(cluster.client(), openRouter)) {
            Map<String, String> env = OperatorProcess.environment(cluster, openRouter, work, "mai-operator");
            env.put("MAI_ADOPTION_NAMESPACES", "mai.dev/adoption=open");
            env.put("MAI_VALIDATION_INTERVAL", "1s");
            env.put("MAI_ORPHAN_GRACE", "2s");
            String account = Files.readString(work.resolve("management-key"), StandardCharsets.UTF_8).strip();
            KubernetesClient client = cluster.client();
            client.resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("adopt")
                    .withLabels(Map.of("mai.dev/adoption", "open")).endMetadata().build()).create();
            Map<String, OpenRouterSimulator.Key> old = new java.util.HashMap<>();
            for (int i = 0; i < 20; i++) {
                OpenRouterSimulator.Key key = openRouter.createKey(account, "client " + i + " (old script)");
                key.limit = new java.math.BigDecimal("100");
                key.limitReset = "monthly";
                openRouter.spend(key.hash, new java.math.BigDecimal("30"));
                old.put("c" + i, key);
                client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("c" + i + "-old")
                        .withNamespace("adopt").endMetadata().addToStringData("OPENROUTER_API_KEY", key.secret).build()).create();
                MaiClient mc = Clients.maiClient("adopt", "c" + i, "Adopt Test " + i, "80");
                mc.getSpec().setLimitReset("monthly");
                dev.mai.operator.api.v1alpha1.AdoptKeyFrom from = new dev.mai.operator.api.v1alpha1.AdoptKeyFrom();
                from.setName("c" + i + "-old");
                mc.getSpec().setAdoptKeyFrom(from);
                client.resource(mc).create();
            }
            List<Path> logs = new ArrayList<>();
            OperatorProcess operator = OperatorProcess.start(env, adoptionLog(work, logs, 0));
            for (int kill = 1; kill <= 3; kill++) {
                long patches = openRouter.count("PATCH /keys/{hash}");
                // a PATCH of this run in flight (it arrived within the last 200 ms: the killed run's last ones are done)
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10)).until(() -> openRouter.count(
                        "PATCH /keys/{hash}") >= patches + 2 && openRouter.inFlight().stream().anyMatch(r -> r.operation()
                                .equals("PATCH /keys/{hash}") && r.since().isAfter(java.time.Instant.now().minusMillis(200))));
                Thread.sleep(random.nextInt(300));
                operator.kill();
                operator = OperatorProcess.start(env, adoptionLog(work, logs, kill));
            }
            try (OperatorProcess last = operator) {
                await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    assertThat(last.isAlive()).isTrue();
                    assertThat(client.resources(MaiClient.class).inNamespace("adopt").list().getItems())
                            .hasSize(20).allSatisfy(mc -> assertThat(Clients.isReady(mc)).as(mc.getMetadata().getName()).isTrue());
                });
                Thread.sleep(3000); // sweeps and orphan collection have had their chance
            }
            List<MaiClient> all = client.resources(MaiClient.class).inNamespace("adopt").list().getItems();
            ClientKeys.assertOneLiveKeyEachInItsSecret(openRouter, client, all);
            for (MaiClient mc : all) {
                OpenRouterSimulator.Key key = old.get(mc.getMetadata().getName());
                assertThat(mc.getStatus().getKeyHash()).as(mc.getMetadata().getName()).isEqualTo(key.hash);
                assertThat(key.deleted).isFalse();
                assertThat(key.name).contains(mc.getMetadata().getUid());
                assertThat(key.limit).isEqualByComparingTo("80");
                assertThat(key.usageInPeriod).isEqualByComparingTo("30");
            }
            assertThat(openRouter.count("POST /keys")).as("no key created").isZero();
            assertThat(openRouter.count(r -> r.operation().equals("PATCH /keys/{hash}")
                    && r.outcome() == OpenRouterSimulator.Outcome.CLIENT_GONE)).as("PATCHes a kill cut off").isPositive();
            System.out.printf("ProcessKillIT: %d PATCHes (%d of the limit alone: proofs and limits put back) for 20 adoptions%n",
                    openRouter.count("PATCH /keys/{hash}"), openRouter.count(r -> r.operation().equals("PATCH /keys/{hash}")
                            && !r.body().contains("\"name\"")));
            assertThat(openRouter.liveKeys()).hasSize(20);
            assertThat(openRouter.takeBudgetBreaches()).isEmpty();
            assertThat(cluster.leaks(openRouter, logs)).isEmpty();
        }
    }

    private static Path adoptionLog(Path work, List<Path> logs, int run) {
        Path log = work.resolve("operator-" + run + ".log");
        logs.add(log);
        return log;
    }

    private static Path log(List<Path> logs, int run) {
        Path log = WORK.resolve("operator-" + run + ".log");
        logs.add(log);
        return log;
    }

}
