package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Names;
import dev.mai.operator.testing.ApiRequests;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.BudgetWatch;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Installation ids and shards: two packaged operators with their own installation
 * ids share one OpenRouter account (one management key); one watches a namespace, the other all
 * namespaces but only MaiClients with its shard label (the two runtime settings of docs/operate.md,
 * "Sharding"), and each provisions exactly its own MaiClients. Each sweeps the
 * whole account every second and collects orphans after 2 s; neither touches the other's keys, and
 * each collects only its own orphans.
 */
class TwoInstallationsIT {

    private static final Path WORK = Path.of("target/two-installations");
    private static final int CLIENTS = 5;

    @Test
    void twoInstallationsOnOneAccountNeverTouchEachOthersKeys() throws Exception {
        Files.createDirectories(WORK);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"));
                BudgetWatch budgets = BudgetWatch.start(cluster.client(), openRouter)) {
            Map<String, String> base = OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator");
            String managementKey = Files.readString(Path.of(base.get("MAI_PROVISIONING_KEY_FILE")));
            KubernetesClient client = cluster.client();
            // the two ways of sharding: shard a by watched namespace, shard b by a label selector on MaiClients
            Map<String, String> envA = OperatorProcess.replica(base, "shard-a", "shard-a");
            envA.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES", "tenant-a");
            Map<String, String> envB = OperatorProcess.replica(base, "shard-b", "shard-b");
            envB.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_SELECTOR", "mai.dev/shard=b");
            try (OperatorProcess a = OperatorProcess.start(envA, WORK.resolve("a.log"));
                    OperatorProcess b = OperatorProcess.start(envB, WORK.resolve("b.log"))) {
                for (String ns : List.of("tenant-a", "tenant-b")) {
                    for (int i = 0; i < CLIENTS; i++) {
                        MaiClient mc = Clients.maiClient(ns, "c" + i, "Shard Co " + ns + " " + i, "10");
                        if (ns.equals("tenant-b")) {
                            mc.getMetadata().setLabels(Map.of("mai.dev/shard", "b"));
                        }
                        client.resource(mc).create();
                    }
                }
                await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
                    assertThat(a.isAlive()).isTrue();
                    assertThat(b.isAlive()).isTrue();
                    for (String ns : List.of("tenant-a", "tenant-b")) {
                        assertThat(client.resources(MaiClient.class).inNamespace(ns).list().getItems()).hasSize(CLIENTS)
                                .allSatisfy(mc -> assertThat(Clients.isReady(mc)).as(ns + "/" + mc.getMetadata().getName()).isTrue());
                    }
                });
                List<OpenRouterSimulator.Key> provisioned = openRouter.liveKeys();
                assertThat(provisioned).hasSize(2 * CLIENTS);
                assertThat(openRouter.keysNamed("[mai:shard-a:")).hasSize(CLIENTS);
                assertThat(openRouter.keysNamed("[mai:shard-b:")).hasSize(CLIENTS);

                // each installation has an orphan (its MaiClient vanished) and a retained key
                OpenRouterSimulator.Key orphanA = openRouter.createKey(managementKey, Names.keyName(stranger("tenant-a"), "shard-a", false));
                OpenRouterSimulator.Key orphanB = openRouter.createKey(managementKey, Names.keyName(stranger("tenant-b"), "shard-b", false));
                OpenRouterSimulator.Key retainedA = openRouter.createKey(managementKey, Names.keyName(stranger("tenant-a"), "shard-a", true));
                OpenRouterSimulator.Key retainedB = openRouter.createKey(managementKey, Names.keyName(stranger("tenant-b"), "shard-b", true));

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(orphanA.deleted).isTrue();
                    assertThat(orphanB.deleted).isTrue();
                });
                // several more sweeps of both operators over the same account, counted by their listings
                java.util.function.ToLongFunction<String> listings = shard -> openRouter.count(r -> r.operation().equals("GET /keys")
                        && r.userAgent().contains("(" + shard + ")"));
                long listedA = listings.applyAsLong("shard-a");
                long listedB = listings.applyAsLong("shard-b");
                await().atMost(Duration.ofSeconds(60)).until(() -> listings.applyAsLong("shard-a") >= listedA + 6
                        && listings.applyAsLong("shard-b") >= listedB + 6);
                assertThat(retainedA.deleted).isFalse();
                assertThat(retainedB.deleted).isFalse();
                assertThat(provisioned).allSatisfy(k -> {
                    assertThat(k.deleted).as("%s deleted", k).isFalse();
                    assertThat(k.disabled).as("%s disabled", k).isFalse();
                    assertThat(k.updatedAt).as("%s patched", k).isNull();
                });
                assertThat(openRouter.count("DELETE /keys/{hash}")).as("only the two orphans were deleted").isEqualTo(2);
                assertThat(openRouter.count("PATCH /keys/{hash}")).isZero();
                // the shard that watches one namespace never reads or writes beyond it (bar the start-up
                // access review and the list and watch of Namespaces, for their spending caps): per-namespace
                // Roles and the namespace reader, as deploy/overlays/namespaced grants, are enough
                assertThat(cluster.requestsOf("shard-a")).isNotEmpty()
                        .filteredOn(r -> !r.resource().equals("selfsubjectrulesreviews"))
                        .filteredOn(r -> !(r.resource().equals("namespaces") && List.of("list", "watch").contains(r.verb())))
                        .allSatisfy(r -> assertThat(r.scope()).as(r.toString()).isIn(ApiRequests.NAMESPACE, ApiRequests.OWN_NAMESPACE));
                assertThat(a.log()).content().contains("revoked orphan OpenRouter key " + orphanA.hash)
                        .doesNotContain("revoked orphan OpenRouter key " + orphanB.hash);
                assertThat(b.log()).content().contains("revoked orphan OpenRouter key " + orphanB.hash)
                        .doesNotContain("revoked orphan OpenRouter key " + orphanA.hash);
            }
            // logs, /q/metrics, every request body the API server and the simulator received (events and statuses among them)
            assertThat(cluster.leaks(openRouter, List.of("a.log", "b.log").stream().map(WORK::resolve).toList())).isEmpty();
            // the simulator judged every create and PATCH against what each MaiClient's spec allowed
            assertThat(openRouter.takeBudgetBreaches()).as("requests after which a client's keys could spend more than its limit").isEmpty();
            assertThat(openRouter.takeZeroLimitRequests()).as("requests with limit: 0").isEmpty();
        }
    }

    /** A MaiClient that does not exist in the cluster. */
    private static MaiClient stranger(String namespace) {
        MaiClient mc = Clients.maiClient(namespace, "vanished-" + UUID.randomUUID().toString().substring(0, 8), "Gone Co", "10");
        mc.getMetadata().setUid(UUID.randomUUID().toString());
        return mc;
    }

}
