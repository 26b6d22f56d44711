package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ApiRequests.ApiRequest;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.BudgetWatch;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * High availability: two packaged operators of one installation against one API server and
 * one OpenRouter account, leader election on (as in production). Only the holder of the Lease
 * reconciles and sweeps; the standby makes no OpenRouter request and no Kubernetes write. When the
 * leader is killed (SIGKILL, while it provisions), the standby takes the lease once it expires and
 * provisioning goes on: every MaiClient ends with exactly one live key, the one in its Secret. A
 * leader frozen (SIGSTOP) past its lease loses it to a third replica and halts as soon as it runs
 * again, instead of reconciling next to the new leader.
 */
class LeaderElectionIT {

    private static final Path WORK = Path.of("target/leader-election");
    private static final String NAMESPACE = "mai-system";
    private static final String INSTALLATION = "ha-test";
    private static final String LEASE = "mai-operator-" + INSTALLATION;

    @Test
    void oneReplicaWorksAndTheStandbyTakesOverWhenItDies() throws Exception {
        Files.createDirectories(WORK);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator().latency(200);
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"));
                BudgetWatch budgets = BudgetWatch.start(cluster.client(), openRouter)) {
            Map<String, String> base = OperatorProcess.environment(cluster, openRouter, WORK, NAMESPACE);
            KubernetesClient client = cluster.client();

            OperatorProcess a = OperatorProcess.start(env(base, "operator-a"), WORK.resolve("a.log"));
            await().atMost(Duration.ofMinutes(1)).until(() -> "operator-a".equals(holder(client)));
            try (OperatorProcess b = OperatorProcess.start(env(base, "operator-b"), WORK.resolve("b.log"))) {
                // the standby is up when its informers have listed MaiClients
                await().atMost(Duration.ofMinutes(1)).until(() -> cluster.requestsOf("operator-b").stream()
                        .anyMatch(r -> r.resource().equals("maiclients") && r.verb().equals("watch")));
                for (int i = 0; i < 5; i++) {
                    client.resource(Clients.maiClient("ha", "first" + i, "HA Co " + i, "10")).create();
                }
                await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(maiClients(client))
                        .hasSize(5).allSatisfy(mc -> assertThat(Clients.isReady(mc)).as(mc.getMetadata().getName()).isTrue()));
                long sweeps = openRouter.count("GET /keys");
                await().atMost(Duration.ofSeconds(30)).until(() -> openRouter.count("GET /keys") >= sweeps + 3);

                // only the leader worked: reconciles, sweeps, every OpenRouter request and every write
                assertThat(openRouter.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.userAgent()).endsWith("(operator-a)"));
                assertThat(writes(cluster.requestsOf("operator-b"))).as("the standby's Kubernetes writes").isEmpty();
                assertThat(writes(cluster.requestsOf("operator-a"))).extracting(ApiRequest::rbacResource)
                        .contains("maiclients", "maiclients/status", "secrets", "leases");
                assertThat(Files.readString(b.log())).doesNotContain("reconcile ha/").doesNotContain("this replica leads");
                // the standby is ready all the same: rollouts (maxUnavailable 0) and the PodDisruptionBudget count it
                assertThat(b.get("/q/health/ready").statusCode()).isEqualTo(200);
                assertThat(Files.readString(a.log())).contains("reconcile ha/").contains("this replica leads");

                // the leader dies while provisioning the next five
                for (int i = 0; i < 5; i++) {
                    client.resource(Clients.maiClient("ha", "second" + i, "HA Co second " + i, "10")).create();
                }
                long creates = openRouter.count("POST /keys");
                await().atMost(Duration.ofMinutes(1)).until(() -> openRouter.count("POST /keys") > creates);
                a.kill();
                java.time.Instant killed = java.time.Instant.now();

                await().atMost(Duration.ofMinutes(2)).until(() -> "operator-b".equals(holder(client)));
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    assertThat(b.isAlive()).isTrue();
                    assertThat(maiClients(client)).hasSize(10)
                            .allSatisfy(mc -> assertThat(Clients.isReady(mc)).as(mc.getMetadata().getName()).isTrue());
                    // unfinished creates of the killed leader are resolved: one live key per MaiClient
                    assertThat(openRouter.liveKeys()).hasSize(10);
                });
                assertThat(Files.readString(b.log())).contains("this replica leads").contains("reconcile ha/second");
                // requests are stamped with their arrival: the killed leader's in flight (recorded when its
                // connection dropped) arrived before the kill
                assertThat(openRouter.requests()).filteredOn(r -> r.at().isAfter(killed))
                        .isNotEmpty().allSatisfy(r -> assertThat(r.userAgent()).endsWith("(operator-b)"));

                // a leader frozen past its lease (a hung node, a long pause) loses it, and halts when it runs again
                try (OperatorProcess c = OperatorProcess.start(env(base, "operator-c"), WORK.resolve("c.log"))) {
                    await().atMost(Duration.ofMinutes(1)).until(() -> cluster.requestsOf("operator-c").stream()
                            .anyMatch(r -> r.resource().equals("maiclients") && r.verb().equals("watch")));
                    b.pause();
                    await().atMost(Duration.ofMinutes(1)).until(() -> "operator-c".equals(holder(client)));
                    for (int i = 0; i < 3; i++) {
                        client.resource(Clients.maiClient("ha", "third" + i, "HA Co third " + i, "10")).create();
                    }
                    b.resume();
                    await().atMost(Duration.ofSeconds(30)).until(() -> !b.isAlive());
                    assertThat(b.exitValue()).isEqualTo(1);
                    assertThat(Files.readString(b.log())).contains("lost its lease to another: halting now");
                    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        assertThat(c.isAlive()).isTrue();
                        assertThat(maiClients(client)).hasSize(13)
                                .allSatisfy(mc -> assertThat(Clients.isReady(mc)).as(mc.getMetadata().getName()).isTrue());
                        assertThat(openRouter.liveKeys()).hasSize(13);
                    });
                    assertThat(Files.readString(c.log())).contains("this replica leads").contains("reconcile ha/third");
                }
                ClientKeys.assertOneLiveKeyEachInItsSecret(openRouter, client, maiClients(client));
            } finally {
                a.close();
            }
            // logs, /q/metrics, every request body the API server and the simulator received (events and statuses among them)
            assertThat(cluster.leaks(openRouter, List.of("a.log", "b.log", "c.log").stream().map(WORK::resolve).toList())).isEmpty();
            // the simulator judged every create and PATCH against what each MaiClient's spec allowed
            assertThat(openRouter.takeBudgetBreaches()).as("requests after which a client's keys could spend more than its limit").isEmpty();
            assertThat(openRouter.takeZeroLimitRequests()).as("requests with limit: 0").isEmpty();
        }
    }

    /** Replica {@code pod} of the one installation: its name is the lease identity and the user agent. */
    private static Map<String, String> env(Map<String, String> base, String pod) {
        return OperatorProcess.replica(base, pod, INSTALLATION);
    }

    private static String holder(KubernetesClient client) {
        Lease lease = client.resources(Lease.class).inNamespace(NAMESPACE).withName(LEASE).get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static List<MaiClient> maiClients(KubernetesClient client) {
        return client.resources(MaiClient.class).inNamespace("ha").list().getItems();
    }

    /** Writes, leaving out the access review every replica makes once at start (JOSDK checks its Lease rights). */
    private static List<ApiRequest> writes(Set<ApiRequest> requests) {
        return requests.stream().filter(r -> Set.of("create", "update", "patch", "delete").contains(r.verb()))
                .filter(r -> !r.resource().equals("selfsubjectrulesreviews")).toList();
    }
}
