package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.awaitReady;
import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.MaiEnvProcess;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Adoption on a real kube-apiserver, by the packaged operator under deploy/'s ServiceAccount and
 * RBAC: the Secret made by {@code kubectl create secret generic --from-env-file} of an old script's
 * {@code .env} is read (the server turned its values into data), the namespace's label is read with
 * the ClusterRole's namespace list, and the key is adopted with its spend; a namespace the
 * administrator did not label cannot adopt, whatever its tenant writes.
 */
class AdoptionIT {

    private static final Path WORK = Path.of("target/real-adoption");
    private static final String OPENED = "tenant-opened";
    private static final String CLOSED = "tenant-closed";

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static KubernetesClient admin;
    static String account;

    @BeforeAll
    static void install() throws Exception {
        installed = InstalledOperator.install("deploy", UnaryOperator.identity(), WORK, List.of(OPENED, CLOSED));
        admin = installed.admin();
        admin.namespaces().withName(OPENED).edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("mai.dev/adoption", "open").endMetadata().build());
        openRouter = new OpenRouterSimulator();
        OperatorProcess operator = installed.start(openRouter, "adoption-0", Map.of(
                "MAI_ADOPTION_NAMESPACES", "mai.dev/adoption=open",
                "MAI_ADOPTION_FROM", "mai-env",
                "MAI_VALIDATION_INTERVAL", "2s",
                "QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
        assertThat(operator.isAlive()).isTrue();
        account = Files.readString(WORK.resolve("management-key"), StandardCharsets.UTF_8).strip();
    }

    @AfterAll
    static void stop() {
        if (installed != null) {
            installed.close();
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    @Test
    void theOldScriptsKeyIsAdoptedWithItsSpendFromAKubectlMadeSecret() throws Exception {
        OpenRouterSimulator.Key old = oldScriptsKey("ACME (old script)");
        Path env = Files.writeString(WORK.resolve("abc.env"), "ORGANIZATION_NAME=\"ACME\"\nOPENROUTER_API_KEY=\"" + old.secret
                + "\"\nOPENROUTER_EXTERNAL_USER=\"mai_client_0001\"\n");
        installed.kubectl().run("-n", OPENED, "create", "secret", "generic", "abc-old", "--from-env-file=" + env).ok();
        Files.delete(env);

        admin.resource(adopting(OPENED, "abc")).create();
        awaitReady(() -> get(OPENED, "abc"), Duration.ofSeconds(90));
        MaiClient ready = get(OPENED, "abc");

        assertThat(openRouter.count("POST /keys")).isZero();
        assertThat(ready.getStatus().getKeyHash()).isEqualTo(old.hash);
        assertThat(old.name).contains(ready.getMetadata().getUid());
        assertThat(old.limit).isEqualByComparingTo("100");
        assertThat(old.usageInPeriod).isEqualByComparingTo("30");
        Secret secret = admin.secrets().inNamespace(OPENED).withName("abc-env").get();
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("OPENROUTER_API_KEY")), StandardCharsets.UTF_8))
                .isEqualTo(old.secret);
        assertThat(condition(ready, "Adopted")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        String describe = installed.kubectl().run("-n", OPENED, "describe", "maiclient", "abc").ok();
        assertThat(describe).contains("KeyAdopted").doesNotContain(old.secret);
        assertThat(LeakScan.find("kubectl describe", describe, List.of(old.secret))).isEmpty();
    }

    /**
     * docs/compose.md's move of a Compose client: the old script's {@code .env} adopted by mai-env, exported,
     * the two files applied with kubectl: a Ready MaiClient holding the same key, no key created, and
     * the exported {@code .env} refuses to act afterwards.
     */
    @Test
    void aComposeClientMovesToKubernetesWithItsKey() throws Exception {
        OpenRouterSimulator.Key old = oldScriptsKey("Moving Co (old script)");
        Path project = Files.createDirectories(WORK.resolve("compose-project"));
        Path dotenv = Files.writeString(project.resolve(".env"), "OPENROUTER_API_KEY=" + old.secret + "\n");
        Map<String, String> env = Map.of("MAI_OPENROUTER_URL", openRouter.baseUrl(), "MAI_PROVISIONING_KEY_FILE",
                WORK.resolve("management-key").toAbsolutePath().toString());
        MaiEnvProcess.Result adopted = MaiEnvProcess.run(project, env, "--no-input", "--org", "Moving Co", "--limit", "100",
                "--reset", "monthly");
        assertThat(adopted.exit()).as(adopted.output()).isZero();
        MaiEnvProcess.Result exported = MaiEnvProcess.run(project, env, "export", "--namespace", OPENED, "--name", "moved",
                "--out-dir", "k8s");
        assertThat(exported.exit()).as(exported.output()).isZero();
        installed.kubectl().run("apply", "-f", project.resolve("k8s/moved-adopt-secret.yaml").toString(),
                "-f", project.resolve("k8s/moved-maiclient.yaml").toString()).ok();

        awaitReady(() -> get(OPENED, "moved"), Duration.ofSeconds(90));
        MaiClient moved = get(OPENED, "moved");
        assertThat(openRouter.count("POST /keys")).isZero();
        assertThat(moved.getStatus().getKeyHash()).isEqualTo(old.hash);
        assertThat(old.name).contains(moved.getMetadata().getUid());
        assertThat(old.usageInPeriod).isEqualByComparingTo("30");
        Secret secret = admin.secrets().inNamespace(OPENED).withName("moved-env").get();
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("OPENROUTER_API_KEY")), StandardCharsets.UTF_8))
                .isEqualTo(old.secret);
        long writes = openRouter.count(OpenRouterSimulator.Request::isWrite);
        MaiEnvProcess.Result after = MaiEnvProcess.run(project, env, "--no-input", "--org", "Moving Co", "--limit", "100");
        assertThat(after.exit()).as("mai-env on the moved .env").isNotZero();
        assertThat(openRouter.count(OpenRouterSimulator.Request::isWrite)).isEqualTo(writes);
        assertThat(LeakScan.find("mai-env output", adopted.output() + exported.output() + after.output(), List.of(old.secret)))
                .isEmpty();
    }

    @Test
    void aNamespaceTheAdministratorDidNotLabelCannotAdopt() {
        OpenRouterSimulator.Key old = oldScriptsKey("Closed Co (old script)");
        admin.resource(new SecretBuilder().withNewMetadata().withName("abc-old").withNamespace(CLOSED).endMetadata()
                .addToStringData("OPENROUTER_API_KEY", old.secret).build()).create();
        long writes = openRouter.count(OpenRouterSimulator.Request::isWrite);
        admin.resource(adopting(CLOSED, "abc")).create();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(condition(get(CLOSED, "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("AdoptionRefused");
                    assertThat(c.getMessage()).contains("MAI_ADOPTION_NAMESPACES");
                }));
        assertThat(openRouter.count(OpenRouterSimulator.Request::isWrite)).isEqualTo(writes);
        assertThat(old.name).isEqualTo("Closed Co (old script)");
    }

    private static OpenRouterSimulator.Key oldScriptsKey(String name) {
        OpenRouterSimulator.Key key = openRouter.createKey(account, name);
        key.limit = new BigDecimal("100");
        key.limitReset = "monthly";
        openRouter.spend(key.hash, new BigDecimal("30"));
        return key;
    }

    private static MaiClient adopting(String namespace, String name) {
        return Clients.with(Clients.maiClient(namespace, name, "ACME Corp", "100"), s -> {
            s.setLimitReset("monthly");
            AdoptKeyFrom from = new AdoptKeyFrom();
            from.setName(name + "-old");
            s.setAdoptKeyFrom(from);
        });
    }

    private static MaiClient get(String namespace, String name) {
        return admin.resources(MaiClient.class).inNamespace(namespace).withName(name).get();
    }
}
