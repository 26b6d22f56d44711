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

    private static Path log(List<Path> logs, int run) {
        Path log = WORK.resolve("operator-" + run + ".log");
        logs.add(log);
        return log;
    }

}
