package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.awaitReady;
import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.app.RolloutTargets;
import dev.mai.operator.reconciler.Conditions;
import dev.mai.operator.reconciler.Events;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import dev.mai.operator.testing.Revisions;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rollouts for real: the packaged operator under deploy/'s ServiceAccount on a whole cluster
 * ({@link WholeCluster}), where kube-controller-manager's Deployment and ReplicaSet controllers roll
 * the workloads, kube-scheduler places the pods and kwok's two fake nodes make them Running and Ready.
 * Nothing here writes a workload's status: what the operator judges is what the controllers report.
 *
 * <p>A rollout is held back by cordoning both nodes ({@code kubectl cordon}): new pods stay Pending, the
 * old ones keep running, exactly as on a full cluster. That is how each test observes the operator
 * <em>during</em> a rollout — AppReady False while the Deployment has no available pod, the old key
 * still on OpenRouter (and still authenticating) while the new ReplicaSet has no Ready pod — and then,
 * with the nodes uncordoned, after it. One operator serves the class, with {@code MAI_ROTATION_GRACE}
 * of {@link #GRACE}: a requested rotation whose rollout has not finished by then is reported
 * {@code RolloutStuck} and keeps its old key.
 */
class RolloutIT {

    private static final Path WORK = Path.of("target/real-rollout");
    /** How long a rotation's rollout may take before the operator reports it stuck. */
    private static final Duration GRACE = Duration.ofSeconds(20);
    /** How old the test makes a key look, so that a rotation may be asked for at once (5-minute spacing). */
    private static final Duration KEY_AGE = Duration.ofMinutes(6);
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String IMAGE = "ghcr.io/example/mai:1.0";
    private static final List<String> TENANTS = List.of("rollout-app", "rollout-rotate", "rollout-target", "rollout-stuck");

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static OperatorProcess operator;
    static KubernetesClient admin;
    static long started;

    @BeforeAll
    static void start() throws Exception {
        started = System.nanoTime();
        installed = InstalledOperator.install(WholeCluster.get(), "deploy", UnaryOperator.identity(), WORK, TENANTS);
        admin = installed.admin();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "rollout-0", Map.of(
                "MAI_VALIDATION_INTERVAL", "2s",
                "MAI_ROTATION_GRACE", GRACE.toSeconds() + "s",
                // a periodic reconcile every 2 s: "nothing happened" is judged over counted reconciles
                "QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_MAX_RECONCILIATION_INTERVAL", "PT2S",
                "QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
    }

    @AfterEach
    void nodesSchedulableAndNothingLeakedOrRefused() throws IOException {
        uncordon();
        assertThat(operator.isAlive()).as("the operator runs (%s)", operator.log()).isTrue();
        List<String> leaks = new ArrayList<>(LeakScan.inFile(operator.log(), openRouter.issuedSecrets()));
        for (String ns : TENANTS) {
            var serialization = admin.getKubernetesSerialization();
            leaks.addAll(LeakScan.find("events in " + ns, serialization.asJson(admin.v1().events().inNamespace(ns).list()),
                    openRouter.issuedSecrets()));
            leaks.addAll(LeakScan.find("MaiClients in " + ns, serialization.asJson(admin.resources(MaiClient.class).inNamespace(ns).list()),
                    openRouter.issuedSecrets()));
        }
        assertThat(leaks).as("keys in the operator's log, events and statuses").isEmpty();
        assertThat(InstalledOperator.forbidden(operator)).as("RBAC denials in %s", operator.log()).isEmpty();
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            uncordon();
        }
        if (installed != null) {
            installed.close(); // admin is closed with it
        }
        if (openRouter != null) {
            openRouter.close();
        }
        try (KubernetesClient client = WholeCluster.get().client()) {
            TENANTS.forEach(ns -> client.namespaces().withName(ns).delete());
        }
        System.out.printf("RolloutIT: %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }

    // --- spec.app --------------------------------------------------------------------------------

    /**
     * The client's Deployment gets Ready pods on the fake nodes, and AppReady follows the Deployment
     * the controllers report: False while its pod cannot be scheduled (and Ready with it), True once the
     * pod runs, False again when the only pod is gone and its replacement cannot be placed, True when it
     * can. Once settled the operator does not write the Deployment (nor the Secret, Service or
     * MaiClient) over counted reconciles and sweeps, although the server filled the Deployment with
     * defaults the operator never asked for.
     */
    @Test
    void appReadyFollowsTheDeploymentTheControllersRollOut() throws Exception {
        String ns = "rollout-app";
        cordon();
        admin.resource(withApp(Clients.maiClient(ns, "web", "Web Co", "100"))).create();
        Resource<MaiClient> web = maiClient(ns, "web");

        // the key and Secret are there, the Deployment is made, but its pod cannot be placed: not ready
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = web.get();
            assertCondition(mc, Conditions.KEY_PROVISIONED, "True", "Provisioned");
            assertCondition(mc, Conditions.SECRET_SYNCED, "True", "Synced");
            assertCondition(mc, Conditions.APP_READY, "False", "AppProgressing");
            assertCondition(mc, Conditions.READY, "False", "AppProgressing");
            assertThat(pods(ns, "web")).as("pods of web-app").isNotEmpty()
                    .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Pending"));
        });
        uncordon();
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = web.get();
            assertCondition(mc, Conditions.APP_READY, "True", "Available");
            assertThat(Clients.isReady(mc)).isTrue();
        });
        Deployment deployment = deployment(ns, "web-app");
        assertThat(deployment.getStatus().getAvailableReplicas()).isEqualTo(1);
        assertThat(deployment.getStatus().getUpdatedReplicas()).isEqualTo(1);
        String revision = Revisions.of(secret(ns, "web-env"));
        assertThat(Revisions.of(deployment.getSpec().getTemplate())).isEqualTo(revision);
        assertThat(pods(ns, "web")).singleElement().satisfies(p -> {
            assertThat(ready(p)).as("pod %s Ready", p.getMetadata().getName()).isTrue();
            assertThat(p.getSpec().getNodeName()).startsWith("node-");
            assertThat(p.getMetadata().getAnnotations()).containsEntry(Labels.ENV_REVISION, revision);
        });
        // the server filled in what the operator never set; the operator does not fight it
        assertThat(deployment.getSpec().getProgressDeadlineSeconds()).isEqualTo(600);
        assertThat(deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(30L);

        // steady state: counted reconciles and sweeps, no write to anything the operator keeps
        InstalledOperator.awaitSweeps(operator, 1);
        Map<String, String> before = versions(ns, "web");
        long reconciles = reconciles(ns, "web");
        InstalledOperator.awaitSweeps(operator, 2);
        await().atMost(PATIENCE).until(() -> reconciles(ns, "web") >= reconciles + 3);
        assertThat(versions(ns, "web")).as("resourceVersions and generation after %d reconciles",
                reconciles(ns, "web") - reconciles).isEqualTo(before);

        // the only pod goes and its replacement cannot be placed: the Deployment has nothing available
        cordon();
        admin.pods().inNamespace(ns).withLabel(Labels.CLIENT, "web").delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = web.get();
            assertCondition(mc, Conditions.APP_READY, "False", "AppProgressing");
            assertCondition(mc, Conditions.READY, "False", "AppProgressing");
            assertThat(Optional.ofNullable(deployment(ns, "web-app").getStatus().getAvailableReplicas()).orElse(0)).isZero();
        });
        uncordon();
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = web.get();
            assertCondition(mc, Conditions.APP_READY, "True", "Available");
            assertThat(Clients.isReady(mc)).isTrue();
            assertThat(pods(ns, "web")).singleElement().satisfies(p -> assertThat(ready(p)).isTrue());
        });
        // the Deployment's own controller healed it: the operator never rewrote its spec
        Deployment healed = deployment(ns, "web-app");
        assertThat(healed.getMetadata().getGeneration()).isEqualTo(deployment.getMetadata().getGeneration());
        assertThat(healed.getSpec()).isEqualTo(deployment.getSpec());
    }

    // --- rotation --------------------------------------------------------------------------------

    /**
     * A rotation asked for with {@code mai.dev/rotate}: the new key is in the Secret at once and the
     * Deployment gets a new revision, whose ReplicaSet cannot place its pod; the old pod keeps running on
     * the old key, which stays on OpenRouter and still authenticates, over counted reconciles. Once the
     * new pod is Ready (and the old one gone) the old key is deleted — after that pod turned Ready.
     */
    @Test
    void aRequestedRotationKeepsTheOldKeyUntilTheNewReplicaSetIsReady() throws Exception {
        String ns = "rollout-rotate";
        Resource<MaiClient> rot = readyWithApp(ns, "rot", "Rotate Co");
        OpenRouterSimulator.Key old = ClientKeys.theOne(openRouter, rot.get());
        Deployment before = deployment(ns, "rot-app");
        String oldRevision = Revisions.of(before.getSpec().getTemplate());

        cordon();
        requestRotation(rot, "1");
        OpenRouterSimulator.Key next = awaitRotated(rot, old, "rot-env");
        await().atMost(PATIENCE).untilAsserted(() -> {
            Deployment d = deployment(ns, "rot-app");
            assertThat(Revisions.of(d.getSpec().getTemplate())).isNotEqualTo(oldRevision).isEqualTo(Revisions.of(secret(ns, "rot-env")));
            assertThat(replicaSet(ns, "rot-app", Revisions.of(d.getSpec().getTemplate()))).as("the new ReplicaSet")
                    .hasValueSatisfying(rs -> assertThat(rs.getStatus().getReplicas()).isEqualTo(1));
        });
        String newRevision = Revisions.of(deployment(ns, "rot-app").getSpec().getTemplate());

        // held: the new pod Pending, the old one running, the old key kept and valid, over counted reconciles
        long reconciles = reconciles(ns, "rot");
        await().atMost(PATIENCE).until(() -> reconciles(ns, "rot") >= reconciles + 3);
        assertOldKeyKept(rot, old);
        assertThat(replicaSet(ns, "rot-app", newRevision)).hasValueSatisfying(rs -> assertThat(n(rs.getStatus().getReadyReplicas())).isZero());
        assertThat(replicaSet(ns, "rot-app", oldRevision)).hasValueSatisfying(rs -> assertThat(n(rs.getStatus().getReadyReplicas())).isOne());
        assertThat(condition(rot.get(), Conditions.APP_READY)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getMessage()).contains(newRevision);
        });

        uncordon();
        awaitRotationDone(rot, old);
        Pod fresh = readyPodOf(ns, "rot", newRevision);
        assertDeletedAfterReady(old, fresh);
        assertThat(replicaSet(ns, "rot-app", oldRevision)).hasValueSatisfying(rs -> assertThat(n(rs.getStatus().getReplicas())).isZero());
        assertThat(next.deleted).isFalse();
        assertThat(authenticates(next)).isTrue();
        assertCondition(rot.get(), Conditions.APP_READY, "True", "Available");
        // one write of the Deployment's spec for the whole rotation, however many reconciles it waited through
        assertThat(deployment(ns, "rot-app").getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration() + 1);
    }

    /**
     * A Deployment the user owns, listed in {@code spec.rolloutTargets} and reading the client's Secret:
     * the operator gives it the revision (and its label and client annotation, nothing else), the
     * controllers roll it; after a rotation its pod template carries the new revision, its new pod
     * becomes Ready on the fake nodes, and only then is the old key deleted.
     */
    @Test
    void aRolloutTargetOfTheUserRestartsOnTheNewRevisionBeforeTheOldKeyGoes() throws Exception {
        String ns = "rollout-target";
        admin.apps().deployments().inNamespace(ns).resource(worker(ns, "tgt-env")).create();
        admin.resource(Clients.with(Clients.maiClient(ns, "tgt", "Target Co", "100"),
                s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "worker"))))).create();
        Resource<MaiClient> tgt = maiClient(ns, "tgt");
        awaitReady(tgt::get, PATIENCE);
        String firstRevision = Revisions.of(secret(ns, "tgt-env"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            Deployment w = deployment(ns, "worker");
            assertThat(Revisions.of(w.getSpec().getTemplate())).isEqualTo(firstRevision);
            assertThat(w.getMetadata().getLabels()).containsEntry(RolloutTargets.LABEL, "true");
            assertThat(w.getMetadata().getAnnotations()).containsEntry(RolloutTargets.CLIENT, "tgt");
            assertThat(readyPodOf(ns, "worker", firstRevision)).isNotNull();
        });
        Deployment marked = deployment(ns, "worker");
        OpenRouterSimulator.Key old = ClientKeys.theOne(openRouter, tgt.get());

        cordon();
        requestRotation(tgt, "1");
        awaitRotated(tgt, old, "tgt-env");
        String newRevision = Revisions.of(secret(ns, "tgt-env"));
        assertThat(newRevision).isNotEqualTo(firstRevision);
        await().atMost(PATIENCE).untilAsserted(() -> {
            Deployment w = deployment(ns, "worker");
            assertThat(Revisions.of(w.getSpec().getTemplate())).isEqualTo(newRevision);
            assertThat(replicaSet(ns, "worker", newRevision)).as("the worker's new ReplicaSet")
                    .hasValueSatisfying(rs -> assertThat(rs.getStatus().getReplicas()).isEqualTo(1));
        });
        long reconciles = reconciles(ns, "tgt");
        await().atMost(PATIENCE).until(() -> reconciles(ns, "tgt") >= reconciles + 3);
        assertOldKeyKept(tgt, old);
        assertThat(condition(tgt.get(), Conditions.ROTATING)).hasValueSatisfying(c -> assertThat(c.getMessage()).contains("Deployment/worker"));
        assertThat(replicaSet(ns, "worker", firstRevision)).hasValueSatisfying(rs -> assertThat(n(rs.getStatus().getReadyReplicas())).isOne());

        uncordon();
        awaitRotationDone(tgt, old);
        Pod fresh = readyPodOf(ns, "worker", newRevision);
        assertDeletedAfterReady(old, fresh);
        // the user's workload is the user's: only the revision on its pod template changed
        Deployment rolled = deployment(ns, "worker");
        assertThat(rolled.getSpec().getTemplate().getSpec()).isEqualTo(marked.getSpec().getTemplate().getSpec());
        assertThat(rolled.getSpec().getTemplate().getMetadata().getAnnotations())
                .isEqualTo(Map.of(Labels.ENV_REVISION, newRevision));
        assertThat(rolled.getMetadata().getGeneration()).isEqualTo(marked.getMetadata().getGeneration() + 1);
    }

    /**
     * A rollout that cannot finish: the rotated Deployment's new pod can be placed nowhere. After
     * {@code MAI_ROTATION_GRACE} the operator reports Rotating=True/RolloutStuck with one Warning event,
     * and keeps the old key (valid on OpenRouter) — cutting it would break the pod still running on it.
     * When the pod can be placed, the rotation finishes by itself: old key deleted, Rotating Idle.
     */
    @Test
    void aRolloutThatCannotFinishIsReportedStuckAndKeepsTheOldKey() throws Exception {
        String ns = "rollout-stuck";
        Resource<MaiClient> stuck = readyWithApp(ns, "stuck", "Stuck Co");
        OpenRouterSimulator.Key old = ClientKeys.theOne(openRouter, stuck.get());

        cordon();
        requestRotation(stuck, "now");
        awaitRotated(stuck, old, "stuck-env");
        await().atMost(GRACE.plus(PATIENCE)).untilAsserted(() -> {
            MaiClient mc = stuck.get();
            assertCondition(mc, Conditions.ROTATING, "True", "RolloutStuck");
            assertThat(condition(mc, Conditions.ROTATING).orElseThrow().getMessage()).contains("Deployment/stuck-app");
            assertThat(warnings(ns, "stuck", "RolloutStuck")).hasSize(1);
        });
        // stuck stays stuck: the old key kept over counted reconciles, one event for the whole stretch
        long reconciles = reconciles(ns, "stuck");
        await().atMost(PATIENCE).until(() -> reconciles(ns, "stuck") >= reconciles + 3);
        assertOldKeyKept(stuck, old);
        MaiClient mc = stuck.get();
        assertCondition(mc, Conditions.ROTATING, "True", "RolloutStuck");
        // the Deployment has not reached its own progress deadline (Kubernetes' default, 10 minutes)
        assertCondition(mc, Conditions.APP_READY, "False", "AppProgressing");
        assertThat(warnings(ns, "stuck", "RolloutStuck")).hasSize(1);

        uncordon();
        awaitRotationDone(stuck, old);
        assertCondition(stuck.get(), Conditions.APP_READY, "True", "Available");
        assertThat(events(ns, "stuck")).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Normal");
            assertThat(e.getReason()).isEqualTo(Events.OLD_KEY_REVOKED);
        });
        assertThat(warnings(ns, "stuck", "RolloutStuck")).hasSize(1);
    }

    // --- steps -----------------------------------------------------------------------------------

    private static MaiClient withApp(MaiClient mc) {
        return Clients.with(mc, s -> {
            AppSpec app = new AppSpec();
            app.setImage(IMAGE);
            s.setApp(app);
        });
    }

    /** A Deployment of the user's that reads the client's Secret as variables and as a file. */
    private static Deployment worker(String ns, String secretName) {
        return new DeploymentBuilder()
                .withNewMetadata().withName("worker").withNamespace(ns).addToLabels("app", "worker").endMetadata()
                .withNewSpec().withReplicas(1)
                .withNewSelector().addToMatchLabels("app", "worker").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "worker").endMetadata()
                .withNewSpec()
                .addNewContainer().withName("worker").withImage("registry.example.com/worker:2.1")
                .addNewEnvFrom().withNewSecretRef().withName(secretName).endSecretRef().endEnvFrom()
                .addNewVolumeMount().withName("env").withMountPath("/etc/mai").withReadOnly(true).endVolumeMount()
                .endContainer()
                .addNewVolume().withName("env").withNewSecret().withSecretName(secretName).endSecret().endVolume()
                .endSpec()
                .endTemplate().endSpec().build();
    }

    /** Asks for a rotation now: the key is made to look older than the 5-minute spacing, then the annotation is set. */
    private static void requestRotation(Resource<MaiClient> resource, String value) {
        resource.editStatus(m -> {
            m.getStatus().setKeyCreatedAt(Instant.parse(m.getStatus().getKeyCreatedAt()).minus(KEY_AGE).toString());
            return m;
        });
        resource.edit(m -> {
            Map<String, String> annotations = new HashMap<>(Optional.ofNullable(m.getMetadata().getAnnotations()).orElse(Map.of()));
            annotations.put(Labels.ROTATE, value);
            m.getMetadata().setAnnotations(annotations);
            return m;
        });
    }

    /** Waits until a new key is in status and the Secret while {@code old} waits for the rollout; returns the new key. */
    private static OpenRouterSimulator.Key awaitRotated(Resource<MaiClient> resource, OpenRouterSimulator.Key old, String secretName) {
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = resource.get();
            assertThat(mc.getStatus().getKeyHash()).isNotEqualTo(old.hash);
            assertThat(mc.getStatus().getPendingRevocations()).extracting(PendingRevocation::getHash).containsExactly(old.hash);
            assertThat(condition(mc, Conditions.ROTATING)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            OpenRouterSimulator.Key next = openRouter.key(mc.getStatus().getKeyHash()).orElseThrow();
            assertThat(ClientKeys.inSecret(secret(mc.getMetadata().getNamespace(), secretName))).isEqualTo(next.secret);
        });
        MaiClient mc = resource.get();
        assertThat(old.deleted).as("the old key while the rollout has just begun").isFalse();
        return openRouter.key(mc.getStatus().getKeyHash()).orElseThrow();
    }

    /** The rotation waits: Rotating=True, the old key pending, on OpenRouter, enabled, and accepted by {@code GET /key}. */
    private static void assertOldKeyKept(Resource<MaiClient> resource, OpenRouterSimulator.Key old) throws Exception {
        MaiClient mc = resource.get();
        assertThat(condition(mc, Conditions.ROTATING)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isIn("RotationInProgress", "RolloutStuck");
        });
        assertThat(mc.getStatus().getPendingRevocations()).extracting(PendingRevocation::getHash).containsExactly(old.hash);
        assertThat(old.deleted).as("old key deleted").isFalse();
        assertThat(old.disabled).as("old key disabled").isFalse();
        assertThat(authenticates(old)).as("old key accepted by GET /key").isTrue();
        assertThat(openRouter.requests()).noneMatch(r -> r.method().equals("DELETE") && r.path().endsWith(old.hash));
    }

    /** Waits until the old key is gone and the rotation over: Rotating Idle, nothing pending, one live key, Ready. */
    private static void awaitRotationDone(Resource<MaiClient> resource, OpenRouterSimulator.Key old) throws Exception {
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = resource.get();
            assertThat(old.deleted).as("old key deleted").isTrue();
            assertCondition(mc, Conditions.ROTATING, "False", "Idle");
            assertThat(mc.getStatus().getPendingRevocations()).isNullOrEmpty();
            assertThat(Clients.isReady(mc)).isTrue();
        });
        assertThat(ClientKeys.theOne(openRouter, resource.get()).hash).isEqualTo(resource.get().getStatus().getKeyHash());
        assertThat(authenticates(old)).as("the old key after its deletion").isFalse();
    }

    /**
     * The old key's DELETE reached OpenRouter no earlier than the new pod turned Ready (kwok stamps the
     * condition in whole seconds, rounded down, on this machine's clock — the simulator's too).
     */
    private static void assertDeletedAfterReady(OpenRouterSimulator.Key old, Pod fresh) {
        Instant readyAt = Instant.parse(podCondition(fresh, "Ready").orElseThrow().getLastTransitionTime());
        List<OpenRouterSimulator.Request> deletes = openRouter.requests().stream()
                .filter(r -> r.method().equals("DELETE") && r.path().endsWith(old.hash) && r.status() == 200).toList();
        assertThat(deletes).as("DELETE of the old key").hasSize(1);
        assertThat(deletes.get(0).at()).as("when the old key was deleted").isAfterOrEqualTo(readyAt);
    }

    // --- nodes -----------------------------------------------------------------------------------

    private static void cordon() {
        installed.kubectl().run(args("cordon")).ok();
    }

    private static void uncordon() {
        installed.kubectl().run(args("uncordon")).ok();
    }

    private static String[] args(String verb) {
        List<String> args = new ArrayList<>(List.of(verb));
        admin.nodes().list().getItems().stream().map(Node::getMetadata).map(m -> m.getName()).forEach(args::add);
        assertThat(args).as("the cluster's nodes").hasSizeGreaterThan(1);
        return args.toArray(String[]::new);
    }

    // --- reading ---------------------------------------------------------------------------------

    private static Resource<MaiClient> maiClient(String ns, String name) {
        return admin.resources(MaiClient.class).inNamespace(ns).withName(name);
    }

    /** A new MaiClient {@code name} with {@link #withApp}, once it is Ready. */
    private static Resource<MaiClient> readyWithApp(String ns, String name, String organization) {
        admin.resource(withApp(Clients.maiClient(ns, name, organization, "100"))).create();
        Resource<MaiClient> resource = maiClient(ns, name);
        awaitReady(resource::get, PATIENCE);
        return resource;
    }

    private static Deployment deployment(String ns, String name) {
        return admin.apps().deployments().inNamespace(ns).withName(name).get();
    }

    private static Secret secret(String ns, String name) {
        return admin.secrets().inNamespace(ns).withName(name).get();
    }

    /** The ReplicaSet of {@code deployment} whose pods carry {@code revision}. */
    private static Optional<ReplicaSet> replicaSet(String ns, String deployment, String revision) {
        return admin.apps().replicaSets().inNamespace(ns).list().getItems().stream()
                .filter(rs -> rs.getMetadata().getOwnerReferences().stream().anyMatch(o -> o.getName().equals(deployment)))
                .filter(rs -> Optional.ofNullable(rs.getSpec().getTemplate().getMetadata().getAnnotations())
                        .map(a -> revision.equals(a.get(Labels.ENV_REVISION))).orElse(false))
                .findFirst();
    }

    /** The application pods of MaiClient {@code client}. */
    private static List<Pod> pods(String ns, String client) {
        return admin.pods().inNamespace(ns).withLabel(Labels.CLIENT, client).list().getItems();
    }

    /** The one Ready pod carrying {@code revision} of {@code owner} (a MaiClient's app, or the worker by its label); fails otherwise. */
    private static Pod readyPodOf(String ns, String owner, String revision) {
        List<Pod> pods = admin.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> Optional.ofNullable(p.getMetadata().getLabels()).map(l -> owner.equals(l.get(Labels.CLIENT))
                        || owner.equals(l.get("app"))).orElse(false))
                .filter(p -> revision.equals(Optional.ofNullable(p.getMetadata().getAnnotations()).orElse(Map.of()).get(Labels.ENV_REVISION)))
                .toList();
        assertThat(pods).as("pods of %s with revision %s", owner, revision).singleElement()
                .satisfies(p -> assertThat(ready(p)).as("%s Ready", p.getMetadata().getName()).isTrue());
        return pods.get(0);
    }

    private static boolean ready(Pod pod) {
        return podCondition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    private static Optional<PodCondition> podCondition(Pod pod, String type) {
        return Optional.ofNullable(pod.getStatus()).map(s -> s.getConditions()).orElse(List.of()).stream()
                .filter(c -> type.equals(c.getType())).findFirst();
    }

    private static void assertCondition(MaiClient mc, String type, String status, String reason) {
        assertThat(condition(mc, type)).as("%s of %s", type, mc.getMetadata().getName()).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).as("%s status (%s)", type, c.getMessage()).isEqualTo(status);
            assertThat(c.getReason()).as("%s reason (%s)", type, c.getMessage()).isEqualTo(reason);
            assertThat(c.getObservedGeneration()).isEqualTo(mc.getMetadata().getGeneration());
        });
    }

    private static List<Event> events(String ns, String name) {
        return admin.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && "MaiClient".equals(e.getInvolvedObject().getKind()))
                .toList();
    }

    private static List<Event> warnings(String ns, String name, String reason) {
        return events(ns, name).stream().filter(e -> "Warning".equals(e.getType()) && reason.equals(e.getReason())).toList();
    }

    /** {@code GET /key} with the key itself: does OpenRouter (the simulator) accept it? */
    private static boolean authenticates(OpenRouterSimulator.Key key) throws IOException, InterruptedException {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(openRouter.baseUrl() + "/key"))
                .header("Authorization", "Bearer " + key.secret).build(), HttpResponse.BodyHandlers.ofString());
        return answer.statusCode() == 200;
    }

    /** Reconciles of one MaiClient so far, from the operator's log (DEBUG "reconcile ns/name generation n"). */
    private static long reconciles(String ns, String name) throws IOException {
        try (var lines = Files.lines(operator.log())) {
            return lines.filter(l -> l.contains("reconcile " + ns + "/" + name + " generation")).count();
        }
    }

    /** resourceVersion (and the Deployment's generation) of everything the operator writes for MaiClient {@code name}. */
    private static Map<String, String> versions(String ns, String name) {
        Deployment d = deployment(ns, name + "-app");
        return Map.of(
                "MaiClient", maiClient(ns, name).get().getMetadata().getResourceVersion(),
                "Secret", secret(ns, name + "-env").getMetadata().getResourceVersion(),
                "Service", admin.services().inNamespace(ns).withName(name + "-app").get().getMetadata().getResourceVersion(),
                "Deployment", d.getMetadata().getResourceVersion(),
                "Deployment generation", Objects.toString(d.getMetadata().getGeneration()));
    }

    private static int n(Integer value) {
        return value == null ? 0 : value;
    }
}
