package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two shards by watched namespace installed in one namespace without their own installation ids (two Helm
 * releases in mai-system, each with its own watchNamespaces, installationId left empty): both read the one
 * id of the ConfigMap mai-operator-installation. Shard b provisions its MaiClients; then shard a leads
 * (shard b's pod restarted, a node drained). Shard a's sweep sees shard b's keys carry its own id, finds
 * their MaiClients in none of its watched namespaces, and must still not revoke them.
 */
class SharedNamespaceShardsIT {

    private static final Path WORK = Path.of("target/shared-namespace-shards");

    @Test
    void aShardNeverRevokesTheKeysOfAShardThatSharesItsNamespaceAndId() throws Exception {
        Files.createDirectories(WORK);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"))) {
            Map<String, String> base = OperatorProcess.environment(cluster, openRouter, WORK, "mai-system");
            KubernetesClient client = cluster.client();
            // no MAI_INSTALLATION_ID: each reads (or the first creates) the ConfigMap of mai-system, as the chart leaves it
            Map<String, String> envB = OperatorProcess.replica(base, "shard-b-0", "unused");
            envB.remove("MAI_INSTALLATION_ID");
            envB.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES", "tenant-b");
            Map<String, String> envA = OperatorProcess.replica(base, "shard-a-0", "unused");
            envA.remove("MAI_INSTALLATION_ID");
            envA.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES", "tenant-a");
            for (String ns : List.of("tenant-a", "tenant-b")) {
                client.resource(Clients.maiClient(ns, "c0", "Shared Co " + ns, "10")).create();
            }
            try (OperatorProcess b = OperatorProcess.start(envB, WORK.resolve("b.log"))) {
                awaitReady(client, "tenant-b");
            }
            List<OpenRouterSimulator.Key> keysOfB = openRouter.liveKeys();
            assertThat(keysOfB).hasSize(1);
            try (OperatorProcess a = OperatorProcess.start(envA, WORK.resolve("a.log"))) {
                awaitReady(client, "tenant-a");
                // a dozen sweeps of shard a, each past the 2 s orphan grace
                long before = openRouter.count("GET /keys");
                await().atMost(Duration.ofSeconds(60)).until(() -> openRouter.count("GET /keys") >= before + 12);
                assertThat(keysOfB).as("shard b's key, after shard a swept a dozen times")
                        .allSatisfy(k -> assertThat(k.deleted).as("%s deleted", k).isFalse());
            }
            // the warning that names the kept key names it by hash only
            assertThat(cluster.leaks(openRouter, List.of(WORK.resolve("a.log"), WORK.resolve("b.log")))).isEmpty();
        }
    }

    @Test
    void droppingANamespaceFromTheWatchedOnesRevokesNoKeyThere() throws Exception {
        Path work = WORK.resolve("narrowed");
        Files.createDirectories(work);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"))) {
            Map<String, String> env = OperatorProcess.replica(OperatorProcess.environment(cluster, openRouter, work, "mai-system"),
                    "operator-0", "narrowed");
            KubernetesClient client = cluster.client();
            for (String ns : List.of("tenant-a", "tenant-b")) {
                client.resource(Clients.maiClient(ns, "c0", "Narrowed Co " + ns, "10")).create();
            }
            env.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES", "tenant-a,tenant-b");
            try (OperatorProcess before = OperatorProcess.start(env, work.resolve("before.log"))) {
                awaitReady(client, "tenant-a");
                awaitReady(client, "tenant-b");
            }
            assertThat(openRouter.liveKeys()).hasSize(2);
            // helm upgrade --set watchNamespaces={tenant-a}: tenant-b's MaiClient and the Secret its app mounts stay
            env.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES", "tenant-a");
            try (OperatorProcess after = OperatorProcess.start(env, work.resolve("after.log"))) {
                long listed = openRouter.count("GET /keys");
                await().atMost(Duration.ofSeconds(90)).until(() -> openRouter.count("GET /keys") >= listed + 12);
                assertThat(openRouter.liveKeys()).as("keys after a dozen sweeps watching tenant-a only").hasSize(2);
            }
            assertThat(cluster.leaks(openRouter, List.of(work.resolve("before.log"), work.resolve("after.log")))).isEmpty();
        }
    }

    private static void awaitReady(KubernetesClient client, String namespace) {
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(client.resources(MaiClient.class).inNamespace(namespace)
                .withName("c0").get()).matches(Clients::isReady, "Ready"));
    }
}
