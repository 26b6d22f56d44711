package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.testing.ClientConditions;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.BudgetWatch;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import dev.mai.operator.testing.Revisions;
import dev.mai.operator.testing.Rollouts;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An operator restart rolls nothing: the packaged operator provisions a MaiClient with
 * spec.app and a rollout target, is stopped and started again, and after the new process has
 * reconciled and swept, the app Deployment, the target and the Secret are exactly as before —
 * same resourceVersion, same revision on the pod templates.
 */
class AppRestartIT {

    private static final Path WORK = Path.of("target/app-restart");

    /**
     * An allow-list entry with a tag is a mistake in the operator's settings: the process refuses to
     * start and says which entry, instead of starting and failing every reconcile later.
     */
    @Test
    void anAllowedImagesEntryWithATagStopsTheStart() throws Exception {
        Files.createDirectories(WORK);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"))) {
            Map<String, String> env = OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator");
            env.put("MAI_APP_ALLOWED_IMAGES", "ghcr.io/acme/,ghcr.io/acme/mai:1.0");
            try (OperatorProcess operator = OperatorProcess.start(env, WORK.resolve("operator-bad-policy.log"))) {
                java.util.OptionalInt exit = operator.exitWithin(Duration.ofMinutes(2));
                assertThat(exit).as("the operator exits").isPresent();
                assertThat(exit.getAsInt()).as("with a failure").isNotZero();
                assertThat(Files.readString(operator.log()))
                        .contains("MAI_APP_ALLOWED_IMAGES: entry 'ghcr.io/acme/mai:1.0' has a tag or digest");
            }
            assertThat(openRouter.allKeys()).as("no key made").isEmpty();
        }
    }

    @Test
    void aRestartedOperatorLeavesTheWorkloadsAlone() throws Exception {
        Files.createDirectories(WORK);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"));
                BudgetWatch budgets = BudgetWatch.start(cluster.client(), openRouter)) {
            Map<String, String> env = OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator");
            env.put("MAI_VALIDATION_INTERVAL", "1s");
            KubernetesClient client = cluster.client();
            client.apps().deployments().inNamespace("restart").resource(worker()).create();
            MaiClient mc = Clients.with(Clients.maiClient("restart", "abc", "Restart Co", "40"), s -> {
                AppSpec app = new AppSpec();
                app.setImage("img:1");
                s.setApp(app);
                s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "worker")));
            });

            try (OperatorProcess first = OperatorProcess.start(env, WORK.resolve("operator-0.log"))) {
                client.resource(mc).create();
                await().atMost(Duration.ofMinutes(1)).until(() -> Revisions.ofDeployment(client, "restart", "abc-app") != null
                        && Revisions.ofDeployment(client, "restart", "worker") != null);
                Rollouts.markRolledOut(client, "restart", "abc-app");
                Rollouts.markRolledOut(client, "restart", "worker");
                ClientConditions.awaitReady(() -> client.resources(MaiClient.class).inNamespace("restart").withName("abc").get(),
                        Duration.ofMinutes(1));
            }
            Map<String, String> before = versions(client);
            String revision = Revisions.ofDeployment(client, "restart", "abc-app");
            assertThat(Revisions.ofDeployment(client, "restart", "worker")).isEqualTo(revision);

            try (OperatorProcess second = OperatorProcess.start(env, WORK.resolve("operator-1.log"))) {
                // the new process reconciles every MaiClient on start and sweeps every second
                long sweeps = openRouter.count("GET /keys");
                await().atMost(Duration.ofMinutes(1)).until(() -> openRouter.count("GET /keys") >= sweeps + 3);
                assertThat(second.isAlive()).isTrue();
            }
            assertThat(versions(client)).isEqualTo(before);
            assertThat(Revisions.ofDeployment(client, "restart", "abc-app")).isEqualTo(revision);
            assertThat(Revisions.ofDeployment(client, "restart", "worker")).isEqualTo(revision);
            assertThat(openRouter.count("POST /keys")).isEqualTo(1);
            // the simulator judged every create and PATCH against what each MaiClient's spec allowed
            assertThat(openRouter.takeBudgetBreaches()).as("requests after which a client's keys could spend more than its limit").isEmpty();
            assertThat(openRouter.takeZeroLimitRequests()).as("requests with limit: 0").isEmpty();
        }
    }

    private static Map<String, String> versions(KubernetesClient client) {
        return Map.of(
                "app", client.apps().deployments().inNamespace("restart").withName("abc-app").get().getMetadata().getResourceVersion(),
                "worker", client.apps().deployments().inNamespace("restart").withName("worker").get().getMetadata().getResourceVersion(),
                "secret", client.secrets().inNamespace("restart").withName("abc-env").get().getMetadata().getResourceVersion(),
                "service", client.services().inNamespace("restart").withName("abc-app").get().getMetadata().getResourceVersion());
    }

    private static Deployment worker() {
        return new DeploymentBuilder()
                .withNewMetadata().withName("worker").withNamespace("restart").endMetadata()
                .withNewSpec().withReplicas(1)
                .withNewSelector().withMatchLabels(Map.of("app", "worker")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "worker")).endMetadata()
                .withNewSpec().addNewContainer().withName("worker").withImage("busybox").endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

}
