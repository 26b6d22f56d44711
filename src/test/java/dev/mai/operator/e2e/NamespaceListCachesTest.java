package dev.mai.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.reconciler.MaiClientReconciler;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The operator watching a list of namespaces (deploy/overlays/namespaced, Helm's watchNamespaces) has
 * an informer per namespace. Each keeps its own cache: a namespace's informer listing again (a watch
 * answered 410 Gone, a namespace added) must leave the other namespaces' objects where they are. An
 * informer item store shared by all of them (what a cache transform through JOSDK's item store would
 * be) emptied them, and the operator then stopped repairing those tenants' Secrets.
 */
@QuarkusTest
@TestProfile(NamespaceListCachesTest.TwoNamespaces.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class NamespaceListCachesTest extends OperatorHarness {

    public static class TwoNamespaces implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.operator-sdk.controllers.maiclient.namespaces", "tenant-a,tenant-b");
        }
    }

    @Inject
    Operator operator;

    @SuppressWarnings("unchecked")
    private Controller<MaiClient> controller() {
        return (Controller<MaiClient>) operator.getRegisteredController(MaiClientReconciler.NAME).orElseThrow();
    }

    private boolean cached(String namespace) {
        return controller().getEventSourceManager().getControllerEventSource().get(new ResourceID("abc", namespace)).isPresent();
    }

    @Test
    void oneNamespacesInformerListingAgainLeavesTheOthersCachesAndTheirRepairs() {
        create(Clients.maiClient("tenant-a", "abc", "A Co", "10"));
        create(Clients.maiClient("tenant-b", "abc", "B Co", "10"));
        awaitReady("tenant-a", "abc");
        awaitReady("tenant-b", "abc");

        // a third namespace: its informers' first (empty) list is what any namespace's relist does
        controller().changeNamespaces(Set.of("tenant-a", "tenant-b", "tenant-c"));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> cached("tenant-a") && cached("tenant-b"));

        client.secrets().inNamespace("tenant-a").withName("abc-env").delete();
        await().atMost(PATIENCE).until(() -> client.secrets().inNamespace("tenant-a").withName("abc-env").get() != null);
        assertThat(cached("tenant-a")).isTrue();
        assertThat(cached("tenant-b")).isTrue();
    }

    @Test
    void theOperatorsClientReadsObjectsWithoutTheirManagedFields() {
        // the client the operator runs with (the application's one KubernetesClient bean), as Quarkus configured it
        KubernetesSerialization operatorsJson = io.quarkus.arc.Arc.container().instance(io.fabric8.kubernetes.client.KubernetesClient.class)
                .get().getKubernetesSerialization();
        Secret read = operatorsJson.unmarshal("""
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"tenant-a",
                 "managedFields":[{"manager":"kubectl","operation":"Update"}]}}""", Secret.class);

        assertThat(read.getMetadata().getName()).isEqualTo("s");
        assertThat(read.getMetadata().getManagedFields()).isNullOrEmpty();
    }
}
