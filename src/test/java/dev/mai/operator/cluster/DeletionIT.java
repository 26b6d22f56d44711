package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.reconciler.EnvSecret;
import dev.mai.operator.reconciler.Labels;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * live, enabled, authenticates and carries the retained marker ({@link #assertKeptAfterDeletion}).
 * <li>A namespace deleted while it holds MaiClients that use a management-key Secret of that namespace:
 * their keys are deleted on OpenRouter and the namespace is gone, nothing left Terminating.
 * <li>A namespace deleted while it holds a {@code Retain} client: every Secret goes, the key stays live
 * on OpenRouter, marked retained, and a copy taken first with the README's commands still works.
 * <li>In both, the operator neither makes nor freezes a key when the namespace controller takes a
 * client's Secret first, and is refused nothing (a namespace being deleted refuses new objects).
 * <li>The test of the test: a retained Secret carrying a blocking owner reference to its MaiClient (as a
 * faulty operator would write it) is taken by the garbage collector under foreground deletion, and
 * the very check the Retain case passes fails on it.
 * </ul>
 */
class DeletionIT {

    private static final Path WORK = Path.of("target/deletion");
    private static final String DELETE = "del-delete";
    private static final String RETAIN = "del-retain-";
    private static final String NAMESPACE_WITH_KEY_SECRET = "del-ns-keyref";
    private static final String NAMESPACE_WITH_RETAINED = "del-ns-retain";
    private static final String PLANTED = "del-planted";
    private static final String IMAGE = "ghcr.io/example/mai:1.0";
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    private static InstalledOperator installed;
    private static KubernetesClient admin;
    private static OpenRouterSimulator openRouter;
    private static OperatorProcess operator;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Where the operator's log stood when the current case began. */
    private int logMark;

    @BeforeAll
    static void installAndStart() throws Exception {
        installed = InstalledOperator.install(WholeCluster.get(), "deploy", UnaryOperator.identity(), WORK,
                List.of(DELETE, RETAIN + "background", RETAIN + "foreground", NAMESPACE_WITH_KEY_SECRET,
                        NAMESPACE_WITH_RETAINED, PLANTED));
        admin = installed.admin();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "deletion-0", Map.of("QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (operator != null) {
                String log = Files.readString(operator.log());
                assertThat(LeakScan.find("operator log " + operator.log(), log, openRouter.issuedSecrets())).isEmpty();
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
    void markLog() throws Exception {
        logMark = Files.readString(operator.log()).length();
    }

    /**
     * After every case, in what the operator logged meanwhile: no key, no refusal (RBAC or otherwise:
     * a namespace being deleted refuses new objects with a 403 too, and the operator must not try); the
     * operator still running. The whole log again after the last case.
     */
    @AfterEach
    void noLeakNoRefusal() throws Exception {
        assertNoLeakNoRefusal(Files.readString(operator.log()).substring(logMark));
        assertThat(operator.isAlive()).as("operator alive").isTrue();
    }

    private static void assertNoLeakNoRefusal(String log) {
        assertThat(LeakScan.find("operator log " + operator.log(), log, openRouter.issuedSecrets())).isEmpty();
        assertThat(log.lines().filter(l -> InstalledOperator.FORBIDDEN.matcher(l).find()).toList())
                .as("refusals in %s", operator.log()).isEmpty();
    }

    @Test
    void deletePolicyDeletesTheKeyAndTheGarbageCollectorTakesSecretDeploymentAndService() {
        MaiClient ready = createReady(withApp(Clients.maiClient(DELETE, "abc", "Delete Co", "10")));
        String uid = ready.getMetadata().getUid();
        OpenRouterSimulator.Key key = liveKey(uid);
        Secret secret = secret(DELETE, "abc-env");
        assertThat(apiKey(secret)).isEqualTo(key.secret);
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
    void retainKeepsTheSecretAndAUsableRetainedKey(String cascade) {
        String ns = RETAIN + cascade;
        MaiClient ready = createReady(withApp(retain(Clients.maiClient(ns, "abc", "Retain Co", "10"))));
        Secret secret = secret(ns, "abc-env");
        assertThat(ownerRefs(secret)).as("a retained Secret's owner references").isEmpty();
        String key = apiKey(secret);

        installed.kubectl().run("-n", ns, "delete", "maiclient", "abc", "--cascade=" + cascade).ok();

        assertKeptAfterDeletion(ready, key);
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
            OpenRouterSimulator.Key key = liveKey(ready.getMetadata().getUid());
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
     * owner reference, but a namespace takes everything in it), in practice before the MaiClient's
     * finalizer runs: the key stays live, enabled and marked retained on OpenRouter, and no replacement
     * key is made meanwhile. The copy the README tells users to take first (its own commands: the
     * Retain clients' Secret names, each Secret as YAML) still authenticates afterwards.
     */
    @Test
    void aDeletedNamespaceTakesTheRetainedSecretButTheKeyStaysUsableAndRetained() {
        String ns = NAMESPACE_WITH_RETAINED;
        MaiClient ready = createReady(retain(Clients.maiClient(ns, "abc", "Retain In Namespace Co", "10")));
        OpenRouterSimulator.Key deleted = liveKey(createReady(Clients.maiClient(ns, "other", "Deleted With Namespace Co", "10"))
                .getMetadata().getUid());
        String key = apiKey(secret(ns, "abc-env"));
        String retained = installed.kubectl().run("-n", ns, "get", "maiclients", "-o",
                "jsonpath={range .items[?(@.spec.deletionPolicy==\"Retain\")]}{.status.secretName}{\"\\n\"}{end}").ok();
        assertThat(retained.lines()).as("Secrets of the Retain clients").containsExactly("abc-env");
        Secret copy = admin.getKubernetesSerialization().unmarshal(
                installed.kubectl().run("-n", ns, "get", "secret", "abc-env", "-o", "yaml").ok(), Secret.class);
        long creates = openRouter.count("POST /keys");

        installed.kubectl().run("delete", "namespace", ns, "--wait=false").ok();

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(admin.namespaces().withName(ns).get()).as("namespace %s (%s)", ns, leftIn(ns)).isNull());
        assertKeyRetained(ready, key);
        assertThat(apiKey(copy)).as("the key in the copy taken before").isEqualTo(key);
        assertThat(deleted.deleted).as("the key of the namespace's Delete client deleted").isTrue();
        assertThat(openRouter.count("POST /keys")).as("keys created while the namespace was deleted").isEqualTo(creates);
    }

    /**
     * The test of the test. The operator is frozen while an admin plants on the retained Secret the
     * blocking owner reference a faulty operator would write, and the MaiClient is deleted in the
     * foreground: the garbage collector deletes the Secret (the operator, thawed, finds it gone). The
     * check {@link #retainKeepsTheSecretAndAUsableRetainedKey} passes must fail here, on the Secret.
     * The operator is frozen only because, running, it takes a stray owner reference off a retained
     * Secret at once.
     */
    @Test
    void theRetainCheckFailsWhenTheGarbageCollectorTookASecretWithAnOwnerReference() throws Exception {
        String ns = PLANTED;
        MaiClient ready = createReady(withApp(retain(Clients.maiClient(ns, "abc", "Planted Co", "10"))));
        String key = apiKey(secret(ns, "abc-env"));
        operator.pause();
        try {
            admin.secrets().inNamespace(ns).withName("abc-env").edit(s -> new SecretBuilder(s).editMetadata()
                    .withOwnerReferences(EnvSecret.ownerReference(ready)).endMetadata().build());
            installed.kubectl().run("-n", ns, "delete", "maiclient", "abc", "--cascade=foreground", "--wait=false").ok();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> admin.secrets().inNamespace(ns).withName("abc-env").get() == null);
        } finally {
            operator.resume();
        }

        Throwable check = catchThrowable(() -> assertKeptAfterDeletion(ready, key));

        assertThat(check).as("the Retain check on a Secret the garbage collector took").isInstanceOf(AssertionError.class)
                .hasMessageContaining("retained Secret " + ns + "/abc-env");
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
        assertThat(apiKey(secret)).as("the key in the retained Secret").isEqualTo(key);
        assertThat(ownerRefs(secret)).as("owner references of the retained Secret").isEmpty();
        assertKeyRetained(deleted, key);
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

    private static MaiClient createReady(MaiClient client) {
        admin.resource(client).create();
        Resource<MaiClient> resource = client(client.getMetadata().getNamespace(), client.getMetadata().getName());
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(operator.isAlive()).as("operator alive").isTrue();
            assertThat(Clients.isReady(resource.get())).as("%s Ready: %s", client.getMetadata().getName(),
                    Optional.ofNullable(resource.get().getStatus()).map(s -> s.getConditions()).orElse(null)).isTrue();
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

    private static String apiKey(Secret secret) {
        return new String(Base64.getDecoder().decode(secret.getData().get("OPENROUTER_API_KEY")), StandardCharsets.UTF_8);
    }

    private static List<OwnerReference> ownerRefs(HasMetadata object) {
        assertThat(object).isNotNull();
        return Optional.ofNullable(object.getMetadata().getOwnerReferences()).orElse(List.of());
    }

    private static List<?> pods(String ns, String client) {
        return admin.pods().inNamespace(ns).withLabel(Labels.CLIENT, client).list().getItems();
    }

    private static OpenRouterSimulator.Key liveKey(String uid) {
        List<OpenRouterSimulator.Key> live = openRouter.keysNamed(":" + uid + "]");
        assertThat(live).as("live keys of %s", uid).hasSize(1);
        return live.get(0);
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

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}
