package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.bench.Measures;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.Owners;
import dev.mai.operator.reconciler.Events;
import dev.mai.operator.testing.ClientConditions;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deletion on a whole cluster ({@link WholeCluster}): the real garbage collector and namespace
 * controller act on what the packaged operator wrote, under {@code deploy/}'s ServiceAccount. One
 * operator serves the class; each case has its own namespace.
 * <ul>
 * <li>{@code deletionPolicy: Delete}: the finalizer deletes the key on OpenRouter and the garbage
 * collector takes the Secret, the app's Deployment (with its ReplicaSets and pods) and Service, which
 * the MaiClient owns.
 * <li>{@code Retain}, deleted in the background (what {@code kubectl delete} does) or in the foreground
 * (Argo CD's prune with foreground propagation): the Secret stays with the same key, and the key is
 * live, enabled, authenticates and carries the retained marker ({@link #assertKeptAfterDeletion});
 * {@code mai_keys_retained_total{secret="kept"}} counts it.
 * <li>A namespace deleted while it holds MaiClients that use a management-key Secret of that namespace:
 * their keys are deleted on OpenRouter and the namespace is gone, nothing left Terminating.
 * <li>A namespace deleted while it holds a {@code Retain} client, with the operator frozen until the
 * namespace controller has taken every Secret and marked the MaiClients deleted: the finalizer finds the
 * Secret gone with its namespace, logs so, and keeps the key — live, enabled, its limit untouched,
 * marked retained, counted as {@code deleted_with_namespace} — and the copy taken first with the
 * install guide's commands (docs/install.md) still authenticates once the namespace is gone.
 * <li>A namespace deleted while an admission policy holds its MaiClient's deletion back (as the namespace
 * controller's order of resources may): the reconcile that finds the Secret gone makes no key and
 * neither freezes nor disables the old one; once the MaiClient goes, the key is kept as above.
 * <li>In a namespace being deleted, creating is refused (403, cause {@code NamespaceTerminating}): the
 * operator's server-side dry run of a Secret asks exactly that, and the events its cleanup writes there
 * are refused and logged at debug as "not written: its namespace is being deleted", which the namespace
 * cases assert by name. No other refusal appears in the log.
 * <li>The test of the test: a retained Secret carrying a blocking owner reference to its MaiClient (as a
 * faulty operator would write it) is taken by the garbage collector under foreground deletion, and
 * the very check the Retain case passes fails on it; the operator, whose namespace is not being deleted,
 * deletes the key (KeyNotKept) instead of leaving it live with nobody holding it.
 * </ul>
 */
class DeletionIT {

    private static final Path WORK = Path.of("target/deletion");
    private static final String DELETE = "del-delete";
    private static final String RETAIN = "del-retain-";
    private static final String NAMESPACE_WITH_KEY_SECRET = "del-ns-keyref";
    private static final String NAMESPACE_WITH_RETAINED = "del-ns-retain";
    private static final String NAMESPACE_HOLDING_CLIENT = "del-ns-held";
    /** The admission policy (and its binding) that holds back the deletion of a namespace's MaiClients. */
    private static final String HOLD = "del-hold-maiclients";
    private static final String PLANTED = "del-planted";
    private static final String IMAGE = "ghcr.io/example/mai:1.0";
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** How the operator logs (at debug) an event a namespace being deleted refused. */
    private static final String NOT_WRITTEN_IN_TERMINATING = "not written: its namespace is being deleted";

    private static InstalledOperator installed;
    private static KubernetesClient admin;
    private static OpenRouterSimulator openRouter;
    private static OperatorProcess operator;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Where the operator's log stood when the current case began. */
    private int logMark;
    /** How many requests the simulator had logged at the mark: when the case began, or at its {@link #markRequests()}. */
    private int requestMark;

    @BeforeAll
    static void installAndStart() throws Exception {
        installed = InstalledOperator.install(WholeCluster.get(), "deploy", UnaryOperator.identity(), WORK,
                List.of(DELETE, RETAIN + "background", RETAIN + "foreground", NAMESPACE_WITH_KEY_SECRET,
                        NAMESPACE_WITH_RETAINED, NAMESPACE_HOLDING_CLIENT, PLANTED));
        admin = installed.admin();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "deletion-0", Map.of("QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (operator != null) {
                assertThat(LeakScan.inFile(operator.log(), openRouter.issuedSecrets())).isEmpty();
                assertThat(InstalledOperator.forbidden(operator)).as("refusals in %s", operator.log()).isEmpty();
            }
        } finally {
            close();
        }
    }

    private static void close() {
        if (installed != null) {
            installed.close();
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    @BeforeEach
    void mark() throws Exception {
        logMark = Files.readString(operator.log()).length();
        requestMark = openRouter.requests().size();
    }

    /**
     * After every case, in what the operator logged meanwhile: no key; no refusal reported as one (RBAC's
     * "forbidden", a 403); no event left unwritten but for its namespace being deleted (a namespace being
     * deleted refuses every create: the namespace cases assert which events met that); the operator still
     * running. The whole log again after the last case.
     */
    @AfterEach
    void noLeakNoRefusal() throws Exception {
        assertNoLeakNoRefusal(logSinceMark());
        assertThat(operator.isAlive()).as("operator alive").isTrue();
    }

    private static void assertNoLeakNoRefusal(String log) {
        assertThat(LeakScan.find("operator log " + operator.log(), log, openRouter.issuedSecrets())).isEmpty();
        assertThat(log.lines().filter(l -> InstalledOperator.FORBIDDEN.matcher(l).find()).toList())
                .as("refusals in %s", operator.log()).isEmpty();
        assertThat(log.lines().filter(l -> l.contains(" not written: ") && !l.contains(NOT_WRITTEN_IN_TERMINATING)).toList())
                .as("events not written for another reason than a namespace being deleted, in %s", operator.log()).isEmpty();
    }

    @Test
    void deletePolicyDeletesTheKeyAndTheGarbageCollectorTakesSecretDeploymentAndService() {
        MaiClient ready = createReady(withApp(Clients.maiClient(DELETE, "abc", "Delete Co", "10")));
        String uid = ready.getMetadata().getUid();
        OpenRouterSimulator.Key key = ClientKeys.theOne(openRouter, ready);
        Secret secret = secret(DELETE, "abc-env");
        assertThat(ClientKeys.inSecret(secret)).isEqualTo(key.secret);
        // what the operator wrote: the MaiClient owns the Secret, the Deployment and the Service
        assertThat(ownerRefs(secret)).as("the Secret's owner references").singleElement().satisfies(o -> {
            assertThat(o.getUid()).isEqualTo(uid);
            assertThat(o.getController()).isTrue();
            assertThat(o.getBlockOwnerDeletion()).isTrue();
        });
        assertThat(ownerRefs(admin.apps().deployments().inNamespace(DELETE).withName("abc-app").get()))
                .as("the Deployment's owner references").singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo(uid));
        assertThat(ownerRefs(admin.services().inNamespace(DELETE).withName("abc-app").get()))
                .as("the Service's owner references").singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo(uid));
        assertThat(pods(DELETE, "abc")).as("the app's pods on the fake nodes").isNotEmpty();

        installed.kubectl().run("-n", DELETE, "delete", "maiclient", "abc").ok();

        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(client(DELETE, "abc").get()).as("MaiClient").isNull();
            assertThat(admin.secrets().inNamespace(DELETE).withName("abc-env").get()).as("Secret abc-env").isNull();
            assertThat(admin.apps().deployments().inNamespace(DELETE).withName("abc-app").get()).as("Deployment").isNull();
            assertThat(admin.services().inNamespace(DELETE).withName("abc-app").get()).as("Service").isNull();
            assertThat(admin.apps().replicaSets().inNamespace(DELETE).withLabel(Labels.CLIENT, "abc").list().getItems())
                    .as("ReplicaSets").isEmpty();
            assertThat(pods(DELETE, "abc")).as("pods").isEmpty();
        });
        assertThat(key.deleted).as("the key deleted on OpenRouter").isTrue();
        assertThat(openRouter.keysNamed(uid)).as("live keys of the deleted MaiClient").isEmpty();
        assertThat(authenticates(key.secret)).as("the deleted key authenticates").isFalse();
    }

    /**
     * {@code kubectl delete maiclient abc} (background propagation) and {@code --cascade=foreground}
     * (what Argo CD's prune does with foreground propagation): the garbage collector takes what the
     * MaiClient owns (its Deployment and Service) and leaves the retained Secret and its key alone.
     */
    @ParameterizedTest(name = "{0} deletion")
    @ValueSource(strings = {"background", "foreground"})
    void retainKeepsTheSecretAndAUsableRetainedKey(String cascade) throws Exception {
        String ns = RETAIN + cascade;
        MaiClient ready = createReady(withApp(retain(Clients.maiClient(ns, "abc", "Retain Co", "10"))));
        Secret secret = secret(ns, "abc-env");
        assertThat(ownerRefs(secret)).as("a retained Secret's owner references").isEmpty();
        String key = ClientKeys.inSecret(secret);
        double kept = retainedTotal("kept");
        double withNamespace = retainedTotal("deleted_with_namespace");

        installed.kubectl().run("-n", ns, "delete", "maiclient", "abc", "--cascade=" + cascade).ok();

        assertKeptAfterDeletion(ready, key);
        assertThat(retainedTotal("kept")).as("mai_keys_retained_total{secret=\"kept\"}").isEqualTo(kept + 1);
        assertThat(retainedTotal("deleted_with_namespace")).as("mai_keys_retained_total{secret=\"deleted_with_namespace\"}")
                .isEqualTo(withNamespace);
    }

    /**
     * The namespace controller deletes the MaiClients and the management-key Secret they name in one
     * sweep. Each MaiClient holds a finalizer of its own on that Secret, so the management key is
     * still there when its cleanup deletes its OpenRouter key; then the Secret, and the namespace, go.
     */
    @Test
    void aDeletedNamespaceTakesItsClientsKeysOnTheirOwnManagementKeyAndIsGone() {
        String ns = NAMESPACE_WITH_KEY_SECRET;
        String managementKey = openRouter.newManagementKey();
        admin.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("tenant-key")
                .addToLabels(Labels.PROVISIONING_KEY, "true").endMetadata()
                .addToData("management-key", base64(managementKey)).build()).create();
        List<OpenRouterSimulator.Key> keys = new ArrayList<>();
        List<String> uids = new ArrayList<>();
        for (String name : List.of("abc", "def")) {
            MaiClient ready = createReady(withApp(Clients.with(Clients.maiClient(ns, name, "Tenant Key Co " + name, "10"),
                    s -> s.setProvisioningKeySecretRef(new ProvisioningKeyRef("tenant-key", "management-key")))));
            OpenRouterSimulator.Key key = ClientKeys.theOne(openRouter, ready);
            assertThat(key.managementKey).as("the account the key was made on").isEqualTo(managementKey);
            keys.add(key);
            uids.add(ready.getMetadata().getUid());
        }
        assertThat(admin.secrets().inNamespace(ns).withName("tenant-key").get().getMetadata().getFinalizers())
                .as("finalizers on the management-key Secret")
                .containsExactlyInAnyOrderElementsOf(uids.stream().map(u -> Labels.PROVISIONING_KEY_FINALIZER_PREFIX + u).toList());

        long creates = openRouter.count("POST /keys");

        installed.kubectl().run("delete", "namespace", ns, "--wait=false").ok();

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(admin.namespaces().withName(ns).get()).as("namespace %s (%s)", ns, leftIn(ns)).isNull());
        assertThat(openRouter.count("POST /keys")).as("keys created while the namespace was deleted").isEqualTo(creates);
        assertThat(keys).as("the clients' keys on OpenRouter").allSatisfy(k -> assertThat(k.deleted).as("%s deleted", k).isTrue());
        uids.forEach(uid -> assertThat(openRouter.keysNamed(uid)).as("live keys of %s", uid).isEmpty());
    }

    /**
     * The namespace controller deletes every Secret of the namespace, a retained one too (it holds no
     * owner reference, but a namespace takes everything in it). Whether it does so before the MaiClient's
     * finalizer runs is a race; here it always does: the operator is frozen (SIGSTOP) until the client's
     * Secrets are gone and both MaiClients are marked deleted. The finalizer then finds the Secret gone with
     * its namespace, logs so, and keeps the key: live, enabled, its limit and reset as they were, renamed
     * to carry the retained marker (its only write), counted as {@code deleted_with_namespace}; no key is
     * made meanwhile. The copy the install guide tells users to take first (its own commands, run as written:
     * one YAML file per Retain client's Secret) holds that key, which still authenticates once the
     * namespace is gone. The events the cleanups write are refused, and logged as such.
     */
    @Test
    void aDeletedNamespaceTakesTheRetainedSecretButTheKeyStaysUsableAndRetained() throws Exception {
        String ns = NAMESPACE_WITH_RETAINED;
        MaiClient ready = createReady(retain(Clients.maiClient(ns, "abc", "Retain In Namespace Co", "10")));
        OpenRouterSimulator.Key deleted = ClientKeys.theOne(openRouter,
                createReady(Clients.maiClient(ns, "other", "Deleted With Namespace Co", "10")));
        String key = ClientKeys.inSecret(secret(ns, "abc-env"));
        OpenRouterSimulator.Key kept = ClientKeys.theOne(openRouter, ready);
        assertThat(kept.secret).as("the key in Secret abc-env").isEqualTo(key);
        BigDecimal limit = kept.limit;
        String reset = kept.limitReset;
        List<Path> copies = copyRetainSecretsAsTheGuideSays(ns);
        assertThat(copies).as("the guide's copies of the Retain clients' Secrets").containsExactly(WORK.resolve(ns + "-abc-env.yaml"));
        double withNamespace = retainedTotal("deleted_with_namespace");
        double keptTotal = retainedTotal("kept");
        markRequests();

        operator.pause();
        try {
            installed.kubectl().run("delete", "namespace", ns, "--wait=false").ok();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                assertThat(clientSecrets(ns)).as("the clients' Secrets").isEmpty();
                assertThat(client(ns, "abc").get().getMetadata().getDeletionTimestamp()).as("abc marked deleted").isNotNull();
                assertThat(client(ns, "other").get().getMetadata().getDeletionTimestamp()).as("other marked deleted").isNotNull();
            });
        } finally {
            operator.resume();
        }

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(admin.namespaces().withName(ns).get()).as("namespace %s (%s)", ns, leftIn(ns)).isNull());
        String log = logSinceMark();
        assertThat(log).as("operator log %s", operator.log())
                .contains(ns + "/abc: Secret abc-env went with its namespace; OpenRouter key ")
                .contains("event " + Events.KEY_RETAINED + " on " + ns + "/abc " + NOT_WRITTEN_IN_TERMINATING)
                .contains("event " + Events.KEY_DELETED + " on " + ns + "/other " + NOT_WRITTEN_IN_TERMINATING)
                .doesNotContain("event " + Events.KEY_NOT_KEPT + " on " + ns + "/");
        assertKeyRetained(ready, key);
        assertOnlyRenamed(kept, limit, reset);
        assertThat(retainedTotal("deleted_with_namespace")).as("mai_keys_retained_total{secret=\"deleted_with_namespace\"}")
                .isEqualTo(withNamespace + 1);
        assertThat(retainedTotal("kept")).as("mai_keys_retained_total{secret=\"kept\"}").isEqualTo(keptTotal);
        assertThat(deleted.deleted).as("the key of the namespace's Delete client deleted").isTrue();
        assertThat(creates()).as("keys created while the namespace was deleted").isEmpty();

        Secret copy = admin.getKubernetesSerialization().unmarshal(Files.readString(copies.get(0)), Secret.class);
        Files.delete(copies.get(0)); // it holds a key
        assertThat(ClientKeys.inSecret(copy)).as("the key in the copy").isEqualTo(key);
        assertThat(decode(copy.getData().get(Environment.DOTENV))).as("the .env in the copy").contains(key);
        assertThat(authenticates(ClientKeys.inSecret(copy))).as("the copy's key authenticates with its namespace gone").isTrue();
    }

    /**
     * The reconcile path. An admission policy holds back the deletion of the namespace's MaiClient (as the
     * namespace controller's order of resources may, for longer or shorter), so the operator, frozen until
     * the namespace controller has taken the client's Secrets, reconciles a MaiClient not being deleted
     * whose Secret is gone: it makes no key (nothing could be stored in a namespace being deleted) and
     * neither freezes nor disables the old one — no write to it at all, which a Retain key must survive.
     * Once the policy lets the MaiClient go, its finalizer keeps the key as the case above does.
     */
    @Test
    void whileItsNamespaceIsDeletedAClientWhoseSecretIsGoneGetsNoNewKeyAndItsKeyIsNotFrozen() throws Exception {
        String ns = NAMESPACE_HOLDING_CLIENT;
        MaiClient ready = createReady(retain(Clients.maiClient(ns, "abc", "Held In Namespace Co", "10")));
        String key = ClientKeys.inSecret(secret(ns, "abc-env"));
        OpenRouterSimulator.Key kept = ClientKeys.theOne(openRouter, ready);
        BigDecimal limit = kept.limit;
        String reset = kept.limitReset;
        String name = kept.name;
        double withNamespace = retainedTotal("deleted_with_namespace");
        markRequests();

        holdDeletionOfMaiClients(ns);
        try {
            operator.pause();
            try {
                installed.kubectl().run("delete", "namespace", ns, "--wait=false").ok();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .untilAsserted(() -> assertThat(clientSecrets(ns)).as("the client's Secrets").isEmpty());
            } finally {
                operator.resume();
            }
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
                    .failFast("a key created, or the key written to", () -> !creates().isEmpty() || !writesTo(kept.hash).isEmpty())
                    .untilAsserted(() -> assertThat(logSinceMark()).as("operator log %s", operator.log())
                            .contains(ns + "/abc: Secret abc-env is gone with its namespace, which is being deleted; the key is left"));
            assertThat(client(ns, "abc").get().getMetadata().getDeletionTimestamp()).as("abc marked deleted").isNull();
            assertThat(creates()).as("keys created for the client whose Secret went").isEmpty();
            assertThat(writesTo(kept.hash)).as("writes to the key whose Secret went").isEmpty();
            assertThat(kept.deleted).as("deleted").isFalse();
            assertThat(kept.disabled).as("disabled").isFalse();
            assertThat(kept.limit).as("limit").isEqualByComparingTo(limit);
            assertThat(kept.limitReset).as("limit reset").isEqualTo(reset);
            assertThat(kept.name).as("name").isEqualTo(name);
            assertThat(authenticates(key)).as("the key authenticates").isTrue();
        } finally {
            releaseDeletionOfMaiClients();
        }

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(admin.namespaces().withName(ns).get()).as("namespace %s (%s)", ns, leftIn(ns)).isNull());
        assertThat(logSinceMark()).as("operator log %s", operator.log())
                .contains(ns + "/abc: Secret abc-env went with its namespace; OpenRouter key ")
                .contains("event " + Events.KEY_RETAINED + " on " + ns + "/abc " + NOT_WRITTEN_IN_TERMINATING);
        assertKeyRetained(ready, key);
        assertOnlyRenamed(kept, limit, reset);
        assertThat(retainedTotal("deleted_with_namespace")).as("mai_keys_retained_total{secret=\"deleted_with_namespace\"}")
                .isEqualTo(withNamespace + 1);
        assertThat(creates()).as("keys created while the namespace was deleted").isEmpty();
    }

    /**
     * The test of the test. The operator is frozen while an admin plants on the retained Secret the
     * blocking owner reference a faulty operator would write, and the MaiClient is deleted in the
     * foreground: the garbage collector deletes the Secret (the operator, thawed, finds it gone). The
     * check {@link #retainKeepsTheSecretAndAUsableRetainedKey} passes must fail here, on the Secret.
     * The operator is frozen only because, running, it takes a stray owner reference off a retained
     * Secret at once. What the operator does on this path matters too: a Secret lost outside a namespace
     * deletion leaves nobody holding the key, so the key is deleted on OpenRouter (a KeyNotKept warning on
     * the MaiClient), not kept live — the case that fails should the operator take any lost Secret for one
     * gone with its namespace.
     */
    @Test
    void theRetainCheckFailsWhenTheGarbageCollectorTookASecretWithAnOwnerReference() throws Exception {
        String ns = PLANTED;
        MaiClient ready = createReady(withApp(retain(Clients.maiClient(ns, "abc", "Planted Co", "10"))));
        String key = ClientKeys.inSecret(secret(ns, "abc-env"));
        OpenRouterSimulator.Key onOpenRouter = ClientKeys.theOne(openRouter, ready);
        double kept = retainedTotal("kept");
        double withNamespace = retainedTotal("deleted_with_namespace");
        operator.pause();
        try {
            admin.secrets().inNamespace(ns).withName("abc-env").edit(s -> new SecretBuilder(s).editMetadata()
                    .withOwnerReferences(Owners.ownerReference(ready)).endMetadata().build());
            installed.kubectl().run("-n", ns, "delete", "maiclient", "abc", "--cascade=foreground", "--wait=false").ok();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> admin.secrets().inNamespace(ns).withName("abc-env").get() == null);
        } finally {
            operator.resume();
        }

        Throwable check = catchThrowable(() -> assertKeptAfterDeletion(ready, key));

        assertThat(check).as("the Retain check on a Secret the garbage collector took").isInstanceOf(AssertionError.class)
                .hasMessageContaining("retained Secret " + ns + "/abc-env");
        // the check waited for the MaiClient to be gone: its finalizer has run
        assertThat(onOpenRouter.secret).isEqualTo(key);
        assertThat(onOpenRouter.deleted).as("the key whose Secret the garbage collector took, deleted on OpenRouter").isTrue();
        assertThat(authenticates(key)).as("that key authenticates").isFalse();
        assertThat(admin.v1().events().inNamespace(ns).list().getItems())
                .filteredOn(e -> ready.getMetadata().getUid().equals(e.getInvolvedObject().getUid()))
                .as("events on the MaiClient").extracting(Event::getReason).contains(Events.KEY_NOT_KEPT).doesNotContain(Events.KEY_RETAINED);
        assertThat(logSinceMark()).as("operator log %s", operator.log()).doesNotContain(ns + "/abc: Secret abc-env went with its namespace");
        assertThat(retainedTotal("kept")).as("mai_keys_retained_total{secret=\"kept\"}").isEqualTo(kept);
        assertThat(retainedTotal("deleted_with_namespace")).as("mai_keys_retained_total{secret=\"deleted_with_namespace\"}")
                .isEqualTo(withNamespace);
    }

    /**
     * The Retain check: once the MaiClient is gone and the garbage collector has dealt with its
     * dependents (the Deployment and Service it owns are gone), the Secret is still there with the
     * same key, owned by nobody, and the key is usable and marked retained ({@link #assertKeyRetained}).
     */
    private static void assertKeptAfterDeletion(MaiClient deleted, String key) {
        String ns = deleted.getMetadata().getNamespace();
        String name = deleted.getMetadata().getName();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(client(ns, name).get()).as("MaiClient %s/%s", ns, name).isNull();
            assertThat(admin.apps().deployments().inNamespace(ns).withName(name + "-app").get()).as("its Deployment").isNull();
            assertThat(admin.services().inNamespace(ns).withName(name + "-app").get()).as("its Service").isNull();
        });
        Secret secret = admin.secrets().inNamespace(ns).withName(name + "-env").get();
        assertThat(secret).as("the retained Secret %s/%s-env", ns, name).isNotNull();
        assertThat(ClientKeys.inSecret(secret)).as("the key in the retained Secret").isEqualTo(key);
        assertThat(ownerRefs(secret)).as("owner references of the retained Secret").isEmpty();
        assertKeyRetained(deleted, key);
    }

    /**
     * The key kept its limit and reset and is enabled: since the mark, its one write was the
     * rename to the retained marker (a PATCH of the name alone), nothing froze, lowered or disabled it.
     */
    private void assertOnlyRenamed(OpenRouterSimulator.Key key, BigDecimal limit, String reset) {
        assertThat(key.limit).as("limit of the kept key").isEqualByComparingTo(limit);
        assertThat(key.limitReset).as("limit reset of the kept key").isEqualTo(reset);
        assertThat(key.disabled).as("the kept key disabled").isFalse();
        assertThat(writesTo(key.hash)).as("writes to the kept key").singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("PATCH");
            assertThat(admin.getKubernetesSerialization().unmarshal(r.body(), Map.class)).as("the PATCH's body").containsOnlyKeys("name");
        });
    }

    /** The key is live, enabled, authenticates, and its name carries the retained marker for its MaiClient. */
    private static void assertKeyRetained(MaiClient deleted, String key) {
        assertThat(openRouter.allKeys()).filteredOn(k -> k.secret.equals(key)).as("the key on OpenRouter").singleElement()
                .satisfies(k -> {
                    assertThat(k.deleted).as("deleted").isFalse();
                    assertThat(k.disabled).as("disabled").isFalse();
                    assertThat(k.name).endsWith(":" + deleted.getMetadata().getUid() + ":retained]");
                });
        assertThat(authenticates(key)).as("the retained key authenticates (GET /key)").isTrue();
    }

    /** What the operator logged since the case began. */
    private String logSinceMark() throws java.io.IOException {
        return Files.readString(operator.log()).substring(logMark);
    }

    /** From now on, what the simulator is asked counts for {@link #creates()} and {@link #writesTo}. */
    private void markRequests() {
        requestMark = openRouter.requests().size();
    }

    /** The simulator's requests since the mark. */
    private List<OpenRouterSimulator.Request> requestsSinceMark() {
        List<OpenRouterSimulator.Request> all = openRouter.requests();
        return all.subList(requestMark, all.size());
    }

    /** Keys created since the mark. */
    private List<OpenRouterSimulator.Request> creates() {
        return requestsSinceMark().stream().filter(r -> r.operation().equals("POST /keys")).toList();
    }

    /** Writes (PATCH, DELETE) to the key {@code hash} since the mark. */
    private List<OpenRouterSimulator.Request> writesTo(String hash) {
        return requestsSinceMark().stream().filter(r -> r.isWrite() && r.path().endsWith("/keys/" + hash)).toList();
    }

    /** {@code mai_keys_retained_total{secret=...}} from the operator's {@code /q/metrics}: 0 before the first. */
    private static double retainedTotal(String secret) throws java.io.IOException, InterruptedException {
        return operator.get("/q/metrics").body().lines()
                .filter(l -> l.startsWith("mai_keys_retained_total{") && l.contains("secret=\"" + secret + "\""))
                .mapToDouble(l -> Measures.prometheusSum(l, "mai_keys_retained_total")).sum();
    }

    /** The Secrets the operator wrote for MaiClients in {@code ns} (labelled with a client). */
    private static List<Secret> clientSecrets(String ns) {
        return admin.secrets().inNamespace(ns).withLabel(Labels.CLIENT).list().getItems();
    }

    /** The guide that holds the copy commands, and the namespace of its example with deletionPolicy Retain. */
    private static final Path GUIDE = Path.of("docs/install.md");
    private static final String GUIDE_NAMESPACE = "tenant-obrien";

    /**
     * The install guide's commands for copying the Retain clients' Secrets out before deleting their namespace
     * ("Deleting a namespace deletes its retained Secrets"), run by {@code sh} in {@link #WORK} as written
     * there, with the built kubectl as the admin: the YAML files they wrote.
     */
    private static List<Path> copyRetainSecretsAsTheGuideSays(String ns) throws Exception {
        // the guide's two lines for its example namespace, taken from the guide, for this namespace
        List<String> guide = Files.readAllLines(GUIDE);
        int first = guide.indexOf(guide.stream().filter(l -> l.startsWith("kubectl -n " + GUIDE_NAMESPACE + " get maiclients -o jsonpath="))
                .findFirst().orElseThrow(() -> new AssertionError(GUIDE + ": no copy commands for " + GUIDE_NAMESPACE)));
        String script = (guide.get(first) + "\n" + guide.get(first + 1) + "\n").replace(GUIDE_NAMESPACE, ns);
        assertThat(script).as("the guide's copy commands").contains("while read -r s", "umask 077");
        Kubectl kubectl = installed.kubectl();
        Path home = Files.createDirectories(WORK.resolve("home"));
        ProcessBuilder pb = new ProcessBuilder("sh", "-euc", script).directory(WORK.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", kubectl.binary().toAbsolutePath().getParent() + ":" + System.getenv("PATH"));
        pb.environment().put("KUBECONFIG", kubectl.kubeconfig().toAbsolutePath().toString());
        pb.environment().put("HOME", home.toAbsolutePath().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("the guide's copy commands: %s", out).isZero();
        try (var files = Files.list(WORK)) {
            List<Path> copies = files.filter(f -> f.getFileName().toString().startsWith(ns + "-") && f.getFileName().toString().endsWith(".yaml"))
                    .sorted().toList();
            for (Path copy : copies) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).as("mode of %s, which holds a key", copy)
                        .isEqualTo("rw-------");
            }
            return copies;
        }
    }

    /**
     * Holds back every deletion of a MaiClient in {@code ns}, the namespace controller's included (a
     * ValidatingAdmissionPolicy that refuses them), once the API server enforces it: a dry-run delete is
     * refused.
     */
    private static void holdDeletionOfMaiClients(String ns) {
        admin.load(new ByteArrayInputStream(holdPolicy(ns).getBytes(StandardCharsets.UTF_8))).create();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> catchThrowable(() -> client(ns, "abc").dryRun().delete()) != null);
    }

    private static void releaseDeletionOfMaiClients() {
        installed.kubectl().run("delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", HOLD).ok();
    }

    private static String holdPolicy(String ns) {
        return """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: %1$s}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                    - {apiGroups: ["mai.dev"], apiVersions: ["*"], operations: ["DELETE"], resources: ["maiclients"]}
                  validations:
                  - expression: "false"
                    message: "DeletionIT holds the deletion of this namespace's MaiClients back"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: %1$s}
                spec:
                  policyName: %1$s
                  validationActions: [Deny]
                  matchResources:
                    namespaceSelector:
                      matchLabels: {kubernetes.io/metadata.name: %2$s}
                """.formatted(HOLD, ns);
    }

    private static MaiClient createReady(MaiClient client) {
        admin.resource(client).create();
        Resource<MaiClient> resource = client(client.getMetadata().getNamespace(), client.getMetadata().getName());
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(operator.isAlive()).as("operator alive").isTrue();
            ClientConditions.assertReady(resource.get(), client.getMetadata().getName());
        });
        return resource.get();
    }

    private static MaiClient withApp(MaiClient client) {
        return Clients.with(client, s -> {
            AppSpec app = new AppSpec();
            app.setImage(IMAGE);
            s.setApp(app);
        });
    }

    private static MaiClient retain(MaiClient client) {
        return Clients.with(client, s -> s.setDeletionPolicy("Retain"));
    }

    private static Resource<MaiClient> client(String ns, String name) {
        return admin.resources(MaiClient.class).inNamespace(ns).withName(name);
    }

    private static Secret secret(String ns, String name) {
        Secret secret = admin.secrets().inNamespace(ns).withName(name).get();
        assertThat(secret).as("Secret %s/%s", ns, name).isNotNull();
        return secret;
    }

    private static List<OwnerReference> ownerRefs(HasMetadata object) {
        assertThat(object).isNotNull();
        return Optional.ofNullable(object.getMetadata().getOwnerReferences()).orElse(List.of());
    }

    private static List<?> pods(String ns, String client) {
        return admin.pods().inNamespace(ns).withLabel(Labels.CLIENT, client).list().getItems();
    }

    /** {@code GET /key} with the key itself, as the client's application would authenticate. */
    private static boolean authenticates(String key) {
        try {
            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(openRouter.baseUrl() + "/key"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 200;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What keeps a namespace Terminating: its MaiClients and Secrets with their finalizers, and its conditions. */
    private static String leftIn(String ns) {
        StringBuilder out = new StringBuilder();
        var namespace = admin.namespaces().withName(ns).get();
        if (namespace != null && namespace.getStatus() != null && namespace.getStatus().getConditions() != null) {
            namespace.getStatus().getConditions().forEach(c -> out.append(c.getType()).append('=').append(c.getStatus())
                    .append(": ").append(c.getMessage()).append("; "));
        }
        admin.resources(MaiClient.class).inNamespace(ns).list().getItems().forEach(m -> out.append("MaiClient ")
                .append(m.getMetadata().getName()).append(' ').append(m.getMetadata().getFinalizers()).append("; "));
        admin.secrets().inNamespace(ns).list().getItems().forEach(s -> out.append("Secret ")
                .append(s.getMetadata().getName()).append(' ').append(s.getMetadata().getFinalizers()).append("; "));
        return out.toString();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}
