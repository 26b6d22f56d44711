package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Validation at any scale: with 250 MaiClients and a sweep every 2 s, an unchanged world
 * costs ⌊250/100⌋+1 = 3 list requests per sweep, no request per client, and no write to any
 * MaiClient or Secret, and no event.
 */
@QuarkusTest
@TestProfile(SweepScaleTest.Fast.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class SweepScaleTest extends OperatorHarness {

    static final int CLIENTS = 250;
    static final String NAMESPACE = "v-scale";

    /** The rate limiter out of the way, so that 250 creates do not take half a minute. */
    public static class Fast implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mai.openrouter-max-rps", "1000");
        }
    }


    private Map<String, String> versions() {
        return client.resources(MaiClient.class).inNamespace(NAMESPACE).list().getItems().stream()
                .collect(Collectors.toMap(mc -> mc.getMetadata().getName(), mc -> mc.getMetadata().getResourceVersion()));
    }

    private Map<String, String> secretVersions() {
        return client.secrets().inNamespace(NAMESPACE).list().getItems().stream()
                .collect(Collectors.toMap(s -> s.getMetadata().getName(), s -> s.getMetadata().getResourceVersion()));
    }

    @Test
    void anUnchangedWorldCostsThreeListRequestsPerSweepAndNoWrites() {
        for (int i = 0; i < CLIENTS; i++) {
            create(Clients.maiClient(NAMESPACE, String.format("c%03d", i), "Scale Co " + i, "10"));
        }
        await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> assertThat(client.resources(MaiClient.class).inNamespace(NAMESPACE)
                .list().getItems()).filteredOn(mc -> condition(mc, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false))
                .hasSize(CLIENTS));
        assertThat(simulator().liveKeys()).hasSize(CLIENTS);
        // let every reconcile and sweep that the creation caused settle
        long settled = sweepsCompleted();
        await().atMost(PATIENCE).until(() -> sweepsCompleted() >= settled + 2);

        Map<String, String> clientVersions = versions();
        Map<String, String> secretVersions = secretVersions();
        int events = client.v1().events().inNamespace(NAMESPACE).list().getItems().size();
        simulator().clearRequests();
        long sweepsBefore = sweepsCompleted();
        await().atMost(PATIENCE).until(() -> sweepsCompleted() >= sweepsBefore + 3);
        long sweeps = sweepsCompleted() - sweepsBefore;
        long lists = simulator().count("GET /keys");
        assertThat(lists).as("list requests in %d sweeps", sweeps).isBetween(3 * sweeps, 3 * (sweeps + 1));
        assertThat(simulator().requests()).as("no request for a single client")
                .filteredOn(r -> !"GET /keys".equals(r.operation())).isEmpty();
        assertThat(versions()).as("MaiClients unwritten").isEqualTo(clientVersions);
        assertThat(secretVersions()).as("Secrets unwritten").isEqualTo(secretVersions);
        assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems()).hasSize(events);
        assertThat(simulator().liveKeys()).extracting(k -> k.hash)
                .doesNotHaveDuplicates().hasSize(CLIENTS);
        assertThat(SimulatorResource.simulator().count(OpenRouterSimulator.Request::isWrite)).isZero();
    }
}
