package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.DotEnvReaders;
import dev.mai.operator.testing.InvalidSpecs;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.Revisions;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real operator against fabric8's CRUD mock API server and the OpenRouter simulator over HTTP:
 * what a user of {@code kubectl apply} sees, on the simulator, in the Secret and in status.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class MaiClientLifecycleTest extends OperatorHarness {

    /** The validation sweep's listing, which runs every 2 s in tests whatever else happens. */
    static final String SWEEP = "GET /keys";


    @Test
    void createMakesOneKeyAndASecretAndReportsReady() {
        MaiClient created = create(Clients.with(Clients.maiClient("t-create", "abc", "ABC Company Sp. z o.o.", "1000.0"),
                s -> s.setLimitReset("monthly")));

        MaiClient mc = awaitReady("t-create", "abc");
        List<OpenRouterSimulator.Key> keys = keysOf(mc);
        assertThat(keys).hasSize(1);
        OpenRouterSimulator.Key key = keys.get(0);
        assertThat(key.name).isEqualTo("mAI Client: ABC Company Sp. z o.o. (t-create/abc) [mai:" + installationId() + ":"
                + created.getMetadata().getUid() + "]");
        assertThat(key.limit).isEqualByComparingTo("1000");
        assertThat(key.limitReset).isEqualTo("monthly");
        assertThat(key.disabled).isFalse();

        Secret secret = secret("t-create", "abc-env");
        assertThat(secret.getType()).isEqualTo("Opaque");
        assertThat(data(secret, "OPENROUTER_API_KEY")).isEqualTo(key.secret);
        assertThat(data(secret, "OPENROUTER_HOST")).isEqualTo(simulator().baseUrl());
        assertThat(data(secret, "OPENROUTER_EXTERNAL_USER")).isEqualTo(mc.getStatus().getExternalUser());
        assertThat(data(secret, "ORGANIZATION_NAME")).isEqualTo("ABC Company Sp. z o.o.");
        assertThat(data(secret, "SPENDING_LIMIT")).isEqualTo("1000.00");
        assertThat(data(secret, "OPENROUTER_KEY_HASH")).isEqualTo(key.hash);
        assertThat(data(secret, ".env")).contains("OPENROUTER_API_KEY='" + key.secret + "'\n")
                .contains("ORGANIZATION_NAME='ABC Company Sp. z o.o.'\n").contains("# Spending limit: 1000.00 USD, resets monthly");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("mai.dev/key-hash", key.hash)
                .containsKeys("mai.dev/key-digest", "mai.dev/env-revision");
        assertThat(secret.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "mai-operator")
                .containsEntry("mai.dev/client", "abc");
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getUid()).isEqualTo(mc.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });

        assertThat(mc.getStatus().getKeyHash()).isEqualTo(key.hash);
        assertThat(mc.getStatus().getKeyLabel()).isEqualTo(key.label());
        assertThat(mc.getStatus().getSecretName()).isEqualTo("abc-env");
        for (String type : List.of("KeyProvisioned", "SecretSynced", "KeyValid", "Ready")) {
            assertThat(condition(mc, type)).as(type).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getObservedGeneration()).isEqualTo(mc.getMetadata().getGeneration());
            });
        }
        assertThat(mc.getMetadata().getFinalizers()).contains(MaiClient.FINALIZER);
        assertThat(events("t-create", "abc")).extracting(e -> e.getReason()).contains("KeyCreated", "SecretWritten");
    }

    @Test
    void spendingLimitChangePatchesTheSameKeyAndRewritesTheSecret() {
        create(Clients.maiClient("t-limit", "abc", "Limit Co", "100"));
        MaiClient mc = awaitReady("t-limit", "abc");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        String revision = Revisions.of(secret("t-limit", "abc-env"));
        long creates = simulator().count("POST /keys");

        edit("t-limit", "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("250.50")));

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(key.limit).isEqualByComparingTo("250.50");
            assertThat(data(secret("t-limit", "abc-env"), "SPENDING_LIMIT")).isEqualTo("250.50");
        });
        MaiClient after = awaitReady("t-limit", "abc");
        assertThat(after.getMetadata().getGeneration()).isEqualTo(2L);
        assertThat(keysOf(after)).containsExactly(key);
        assertThat(after.getStatus().getKeyHash()).isEqualTo(key.hash);
        assertThat(data(secret("t-limit", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(key.secret);
        assertThat(Revisions.of(secret("t-limit", "abc-env"))).isNotEqualTo(revision);
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
        assertThat(events("t-limit", "abc")).extracting(e -> e.getReason()).contains("KeyUpdated");
    }

    @Test
    void disableKeyDisablesTheKeyAndFalseEnablesItAgain() {
        create(Clients.maiClient("t-disable", "abc", "Brake Co", "50"));
        MaiClient mc = awaitReady("t-disable", "abc");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);

        edit("t-disable", "abc", m -> m.getSpec().setDisableKey(true));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(key.disabled).isTrue();
            MaiClient now = get("t-disable", "abc");
            assertThat(now.getStatus().getObservedGeneration()).isEqualTo(2L);
            assertThat(condition(now, "KeyValid").orElseThrow().getReason()).isEqualTo("KeyDisabled");
            assertThat(condition(now, "Ready").orElseThrow().getStatus()).isEqualTo("False");
        });
        assertThat(secret("t-disable", "abc-env")).isNotNull();

        edit("t-disable", "abc", m -> m.getSpec().setDisableKey(false));
        awaitReady("t-disable", "abc");
        assertThat(key.disabled).isFalse();
        assertThat(keysOf(mc)).containsExactly(key);
    }

    @Test
    void deleteWithDeletePolicyDeletesTheKey() {
        create(Clients.maiClient("t-delete", "abc", "Gone Co", "10"));
        MaiClient mc = awaitReady("t-delete", "abc");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);

        client.resource(mc).delete();

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(get("t-delete", "abc")).isNull();
            assertThat(key.deleted).isTrue();
        });
        assertThat(keysOf(mc)).isEmpty();
    }

    @Test
    void deleteWithRetainKeepsTheKeyRenamedAndReleasesTheSecret() {
        create(Clients.with(Clients.maiClient("t-retain", "abc", "Keep Co", "10"), s -> s.setDeletionPolicy("Retain")));
        MaiClient mc = awaitReady("t-retain", "abc");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);

        client.resource(mc).delete();

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get("t-retain", "abc")).isNull());
        assertThat(key.deleted).isFalse();
        assertThat(key.name).isEqualTo("mAI Client: Keep Co (t-retain/abc) [mai:" + installationId() + ":"
                + mc.getMetadata().getUid() + ":retained]");
        Secret secret = secret("t-retain", "abc-env");
        assertThat(secret).isNotNull();
        assertThat(secret.getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(data(secret, "OPENROUTER_API_KEY")).isEqualTo(key.secret);
    }

    @Test
    void unlimitedCreatesAKeyWithoutALimit() {
        create(Clients.maiClient("t-unlimited", "abc", "Open Co", "unlimited"));
        MaiClient mc = awaitReady("t-unlimited", "abc");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        assertThat(key.limit).isNull();
        assertThat(key.limitReset).isNull();
        assertThat(data(secret("t-unlimited", "abc-env"), "SPENDING_LIMIT")).isEqualTo("unlimited");
    }

    @Test
    void spendingLimitWrittenAsAYamlIntegerWorks() {
        String yaml = """
                apiVersion: mai.dev/v1alpha1
                kind: MaiClient
                metadata: {name: abc, namespace: t-int}
                spec:
                  organizationName: "Integer Co"
                  spendingLimit: 1000
                """;
        MaiClient loaded = client.resources(MaiClient.class).load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).item();
        assertThat(loaded.getSpec().getSpendingLimit().getIntVal()).isEqualTo(1000);
        create(loaded);
        MaiClient mc = awaitReady("t-int", "abc");
        assertThat(keysOf(mc).get(0).limit).isEqualByComparingTo(new BigDecimal("1000"));
        assertThat(data(secret("t-int", "abc-env"), "SPENDING_LIMIT")).isEqualTo("1000.00");
    }

    @Test
    void invalidSpecsEndInInvalidSpecNamingTheFieldWithoutCallingOpenRouter() {
        long before = simulator().count(r -> !SWEEP.equals(r.operation()));
        List<InvalidSpecs.Case> cases = InvalidSpecs.all();
        for (int i = 0; i < cases.size(); i++) {
            create(Clients.with(Clients.maiClient("t-invalid", "bad-" + i, "Valid Org", "10"), cases.get(i).breakIt()));
        }
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (int i = 0; i < cases.size(); i++) {
                MaiClient mc = get("t-invalid", "bad-" + i);
                InvalidSpecs.Case expected = cases.get(i);
                assertThat(condition(mc, "Ready")).as(expected.description()).hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo("InvalidSpec");
                    assertThat(c.getMessage()).contains(expected.field() + ": ");
                });
                assertThat(mc.getStatus().getObservedGeneration()).isEqualTo(mc.getMetadata().getGeneration());
            }
        });
        assertThat(simulator().count(r -> !SWEEP.equals(r.operation()))).as("requests to OpenRouter besides the sweep's")
                .isEqualTo(before);
        assertThat(client.secrets().inNamespace("t-invalid").list().getItems()).isEmpty();
        assertThat(events("t-invalid", "bad-0")).extracting(e -> e.getReason()).contains("InvalidSpec");
    }

    @Test
    void fixingAnInvalidSpecProvisions() {
        create(Clients.maiClient("t-fix", "abc", "Fix Co", "-1"));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(condition(get("t-fix", "abc"), "Ready")).hasValueSatisfying(c ->
                        assertThat(c.getReason()).isEqualTo("InvalidSpec")));
        edit("t-fix", "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("5")));
        MaiClient mc = awaitReady("t-fix", "abc");
        assertThat(keysOf(mc)).hasSize(1);
    }

    @Test
    void defaultExternalUserIsTheOldScriptsAndSurvivesARename() throws Exception {
        String org = "ABC Company Sp. z o.o.";
        byte[] md5 = MessageDigest.getInstance("MD5").digest(org.getBytes(StandardCharsets.UTF_8));
        String expected = "mai_client_" + HexFormat.of().formatHex(md5).substring(0, 8);

        create(Clients.maiClient("t-extuser", "abc", org, "10"));
        MaiClient mc = awaitReady("t-extuser", "abc");
        assertThat(mc.getStatus().getExternalUser()).isEqualTo(expected);
        assertThat(data(secret("t-extuser", "abc-env"), "OPENROUTER_EXTERNAL_USER")).isEqualTo(expected);

        edit("t-extuser", "abc", m -> m.getSpec().setOrganizationName("ABC Renamed S.A."));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(data(secret("t-extuser", "abc-env"), "ORGANIZATION_NAME")).isEqualTo("ABC Renamed S.A.");
            assertThat(keysOf(mc).get(0).name).startsWith("mAI Client: ABC Renamed S.A. (t-extuser/abc)");
        });
        MaiClient renamed = awaitReady("t-extuser", "abc");
        assertThat(renamed.getStatus().getExternalUser()).isEqualTo(expected);
        assertThat(data(secret("t-extuser", "abc-env"), "OPENROUTER_EXTERNAL_USER")).isEqualTo(expected);
        assertThat(keysOf(mc)).hasSize(1);
    }

    @Test
    void unknownSpecFieldsDoNotStopTheOperator() {
        GenericKubernetesResource raw = new GenericKubernetesResourceBuilder()
                .withApiVersion("mai.dev/v1alpha1").withKind("MaiClient")
                .withNewMetadata().withName("future").withNamespace("t-unknown").endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of(
                        "organizationName", "Future Co",
                        "spendingLimit", "20",
                        "fieldFromANewerVersion", Map.of("nested", List.of(1, 2, 3)),
                        "anotherOne", true)))
                .build();
        client.genericKubernetesResources("mai.dev/v1alpha1", "MaiClient").inNamespace("t-unknown").resource(raw).create();
        awaitReady("t-unknown", "future");

        create(Clients.maiClient("t-unknown", "after", "After Co", "20"));
        awaitReady("t-unknown", "after");
        GenericKubernetesResource stored = client.genericKubernetesResources("mai.dev/v1alpha1", "MaiClient")
                .inNamespace("t-unknown").withName("future").get();
        assertThat(((Map<?, ?>) stored.getAdditionalProperties().get("spec")).keySet()).map(Object::toString).contains("fieldFromANewerVersion");
    }

    @Test
    void dotEnvFromTheSecretReadsBackExactlyWithPythonDotenvAndSh() {
        List<String> names = List.of("Spaces  and   more", "Say \"hello\" Ltd", "O'Brien & Sons", "#1 Hash Co # not a comment",
                "Dollar $HOME Co", "Back\\slash C:\\\\Temp\\", "Zażółć Gęślą Jaźń Sp. z o.o.", "株式会社テスト");
        for (int i = 0; i < names.size(); i++) {
            create(Clients.maiClient("t-dotenv", "env-" + i, names.get(i), "10"));
        }
        for (int i = 0; i < names.size(); i++) {
            awaitReady("t-dotenv", "env-" + i);
            Secret secret = secret("t-dotenv", "env-" + i + "-env");
            Path file = DotEnvReaders.write(data(secret, ".env"));
            assertThat(DotEnvReaders.pythonDotenv(file, "ORGANIZATION_NAME")).as("python-dotenv").isEqualTo(names.get(i));
            assertThat(DotEnvReaders.posixShell(file, "ORGANIZATION_NAME")).as("sh").isEqualTo(names.get(i));
            assertThat(DotEnvReaders.pythonDotenv(file, "OPENROUTER_API_KEY")).isEqualTo(data(secret, "OPENROUTER_API_KEY"));
            assertThat(DotEnvReaders.posixShell(file, "SPENDING_LIMIT")).isEqualTo("10.00");
        }
    }

    @Test
    void steadyStateMakesNoWritesAnywhere() throws Exception {
        for (String name : List.of("s1", "s2", "s3")) {
            create(Clients.maiClient("t-steady", name, "Steady " + name, "10"));
        }
        for (String name : List.of("s1", "s2", "s3")) {
            awaitReady("t-steady", name);
        }
        // let the operator see its own last writes, then measure a quiet window of 30 s
        await().pollDelay(java.time.Duration.ofSeconds(2)).atMost(PATIENCE).until(() -> true);
        drainRequests(testServer);
        int simulatorBefore = simulator().requests().size();
        long logBefore = Files.size(TEST_LOG);

        Thread.sleep(30_000); // the measured window itself, not a wait for a condition

        List<String> writes = new ArrayList<>();
        for (RecordedRequest r : drainRequests(testServer)) {
            if (!"GET".equals(r.getMethod())) {
                writes.add(r.getMethod() + " " + r.getPath());
            }
        }
        assertThat(writes).as("Kubernetes writes in steady state").isEmpty();
        List<OpenRouterSimulator.Request> window = simulator().requests().subList(simulatorBefore, simulator().requests().size());
        assertThat(window).as("OpenRouter requests in steady state besides the sweep's listings")
                .filteredOn(r -> !SWEEP.equals(r.operation())).isEmpty();
        assertThat(window).as("the validation sweep ran during the window").isNotEmpty();
        // the window did see periodic reconciles of these clients: the check above could have failed
        String log = Files.readString(TEST_LOG, StandardCharsets.UTF_8).substring((int) logBefore);
        long reconciles = log.lines().filter(l -> l.contains("reconcile t-steady/")).count();
        assertThat(reconciles).as("reconciles of the three clients in 30 s at a 5 s interval").isGreaterThanOrEqualTo(9);
    }
}
