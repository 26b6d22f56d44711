package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.api.v1alpha1.RotationSpec;
import dev.mai.operator.core.AppPolicy;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.InvalidSpecs;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SpecValidatorTest {

    private final SpecValidator validator = new SpecValidator(Optional.empty());
    /** An operator that lets the application use any node selector key and tolerate any taint. */
    private final SpecValidator anyNode = new SpecValidator(Optional.empty(),
            AppPolicy.of(Optional.empty(), List.of(AppPolicy.ANY), List.of(AppPolicy.ANY)));

    static Stream<InvalidSpecs.Case> invalid() {
        return InvalidSpecs.all().stream();
    }

    private static MaiClient valid() {
        MaiClient c = Clients.maiClient("ns", "abc", "ABC Company Sp. z o.o.", "1000.0");
        c.getMetadata().setUid("8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d");
        return c;
    }

    @Test
    void tableHasAtLeast25Cases() {
        assertThat(InvalidSpecs.all()).hasSizeGreaterThanOrEqualTo(25);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidSpecNamesTheField(InvalidSpecs.Case c) {
        MaiClient client = Clients.with(valid(), c.breakIt());
        List<SpecValidator.Violation> violations = validator.validate(client);
        assertThat(violations).extracting(SpecValidator.Violation::field).containsExactly(c.field());
        assertThat(violations.get(0).rule()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ABC Company Sp. z o.o.", "O'Brien & Sons", "Say \"hi\" $5 `x`", "C:\\Temp\\x", "Zażółć gęślą jaźń",
            "日本語の会社", "#1 Company", "abc", "a\\\\b $x"})
    void validNamesPass(String name) {
        // a doubled backslash with $ has no quoting that all readers agree on
        boolean expectInvalid = name.contains("\\\\") && name.contains("$");
        MaiClient client = Clients.with(valid(), s -> s.setOrganizationName(name));
        assertThat(validator.validate(client).isEmpty()).isEqualTo(!expectInvalid);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1000", "1000.0", "12.50", "0.01", "unlimited", "999999999999.99"})
    void validLimitsPass(String limit) {
        MaiClient client = Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString(limit)));
        assertThat(validator.validate(client)).isEmpty();
    }

    @Test
    void integerLimitPasses() {
        MaiClient client = Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString(1000)));
        assertThat(validator.validate(client)).isEmpty();
    }

    @Test
    void fullValidSpecPasses() {
        MaiClient client = Clients.with(valid(), s -> {
            s.setLimitReset("monthly");
            s.setExternalUser("mai_client_abc.1-x");
            s.setDeletionPolicy("Retain");
            s.setDisableKey(false);
            s.setSecret(Clients.secret("abc-openrouter", Map.of("team", "sales", "example.com/tier", "gold"),
                    Map.of("note", "anything at all")));
        });
        assertThat(validator.validate(client)).isEmpty();
    }

    @Test
    void maxSpendingLimitCapsLimitsAndForbidsUnlimited() {
        SpecValidator capped = new SpecValidator(Optional.of(new BigDecimal("500")));
        assertThat(capped.validate(Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString("500.00"))))).isEmpty();
        assertThat(capped.validate(Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString("500.01")))))
                .extracting(SpecValidator.Violation::field).containsExactly("spec.spendingLimit");
        assertThat(capped.validate(Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString("unlimited")))))
                .singleElement().satisfies(v -> assertThat(v.rule()).contains("500.00"));
    }

    @Test
    void missingSpecIsReported() {
        MaiClient client = valid();
        client.setSpec(null);
        assertThat(validator.validate(client)).extracting(SpecValidator.Violation::field).containsExactly("spec");
    }

    @Test
    void everyViolationIsReportedAtOnce() {
        MaiClient client = Clients.with(valid(), s -> {
            s.setOrganizationName("x");
            s.setSpendingLimit(new IntOrString("-1"));
            s.setLimitReset("hourly");
        });
        assertThat(validator.validate(client)).extracting(SpecValidator.Violation::field)
                .containsExactly("spec.organizationName", "spec.spendingLimit", "spec.limitReset");
    }

    // spec.app, spec.rolloutTargets and spec.rotation

    private static AppStorage storageAt(String mountPath) {
        AppStorage storage = InvalidSpecs.storage("10Gi");
        storage.setMountPath(mountPath);
        return storage;
    }

    /** The only violation of a valid client changed by {@code change}. */
    private SpecValidator.Violation onlyViolation(Consumer<MaiClientSpec> change) {
        List<SpecValidator.Violation> violations = validator.validate(Clients.with(valid(), change));
        assertThat(violations).hasSize(1);
        return violations.get(0);
    }

    private void assertValid(Consumer<MaiClientSpec> change) {
        assertValid(validator, change);
    }

    private void assertValid(SpecValidator with, Consumer<MaiClientSpec> change) {
        assertThat(with.validate(Clients.with(valid(), change))).isEmpty();
    }

    @Test
    void fullValidAppRolloutAndRotationPass() {
        assertValid(anyNode, s -> {
            s.setApp(InvalidSpecs.app(a -> {
                a.setReplicas(1);
                a.setPort(8080);
                AppStorage storage = InvalidSpecs.storage("10Gi");
                storage.setStorageClassName("fast-ssd.example.com");
                storage.setMountPath("/app/backend/data");
                storage.setRetain(true);
                a.setStorage(storage);
                a.setResources(new ResourceRequirements(null, Map.of("memory", new Quantity("1Gi")),
                        Map.of("cpu", new Quantity("250m"))));
                a.setEnv(List.of(new EnvVar("ENABLE_SIGNUP", "false", null), new EnvVar("WEBUI_NAME", "mAI", null),
                        new EnvVar("my.var-1", "x", null), new EnvVar("_UNDERSCORE", "", null),
                        new EnvVar("POD_NAME", null, new EnvVarSourceBuilder().withNewFieldRef("v1", "metadata.name").build()),
                        new EnvVar("MEMORY", "", new EnvVarSourceBuilder().withNewResourceFieldRef().withContainerName("mai")
                                .withResource("limits.memory").endResourceFieldRef().build())));
                a.setSecurityProfile("baseline");
                a.setNodeSelector(Map.of("kubernetes.io/arch", "amd64", "disktype", "ssd", "empty-value", ""));
                a.setTolerations(List.of(new Toleration("NoSchedule", "dedicated", "Equal", null, "mai")));
            }));
            s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "web"), new RolloutTarget("StatefulSet", "web"),
                    new RolloutTarget("StatefulSet", "abc-app"), new RolloutTarget("Deployment", "worker.v2")));
            s.setRotation(InvalidSpecs.rotation("720h"));
        });
    }

    @Test
    void minimalAppPasses() {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> { })));
    }

    @ParameterizedTest
    @NullAndEmptySource
    void appImageIsRequired(String image) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setImage(image))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.image");
            assertThat(v.rule()).contains("required");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"ghcr.io/mai/app :1.0", " ghcr.io/mai/app", "ghcr.io/mai/app\n", "ghcr.io/mai/app\t",
            "ghcr.io/mai/app\u00a0", "ghcr.io/mai/app\u2028", "ghcr.io/\u0000app", "ghcr.io/mai/app\u0085"})
    void appImageWithWhitespaceOrControlCharactersIsRefused(String image) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setImage(image))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.image");
            assertThat(v.rule()).contains("whitespace");
        });
    }

    @Test
    void appImageIsAtMost1024Characters() {
        String longest = "registry.example.com/" + "a".repeat(1024 - 21);
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setImage(longest))));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setImage(longest + "b"))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.image");
            assertThat(v.rule()).contains("1024");
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 100})
    void replicasFrom0To100Pass(int replicas) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setReplicas(replicas))));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 101, Integer.MAX_VALUE})
    void replicasOutside0To100AreRefused(int replicas) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setReplicas(replicas))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.replicas");
            assertThat(v.rule()).contains("between 0 and 100");
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void storageAllowsAtMostOneReplica(int replicas) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> {
            a.setStorage(InvalidSpecs.storage("10Gi"));
            a.setReplicas(replicas);
        })));
    }

    @Test
    void storageWithTwoReplicasIsRefused() {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> {
            a.setStorage(InvalidSpecs.storage("10Gi"));
            a.setReplicas(2);
        })))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.replicas");
            assertThat(v.rule()).contains("ReadWriteOnce");
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8080, 65535})
    void portsFrom1To65535Pass(int port) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setPort(port))));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -80, 65536})
    void portsOutside1To65535AreRefused(int port) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setPort(port))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.port");
            assertThat(v.rule()).contains("1 and 65535");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"10Gi", "500M", "1.5Ti", "0.5Gi", "1", "100k", "007Mi"})
    void storageSizesThatAreQuantitiesPass(String size) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(InvalidSpecs.storage(size)))));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10 Gi|quantity", "10GB|quantity", "1e3|quantity", "-1Gi|quantity", "+1Gi|quantity", "''|quantity", "Gi|quantity",
            "10gi|quantity", ".5Gi|quantity", "0|zero", "0Gi|zero", "0.0Mi|zero", "000|zero"})
    void storageSizesThatAreNotQuantitiesOrZeroAreRefused(String size, String word) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(InvalidSpecs.storage(size)))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.storage.size");
            assertThat(v.rule()).contains(word);
        });
    }

    @Test
    void storageSizeIsRequired() {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(InvalidSpecs.storage(null)))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.storage.size");
            assertThat(v.rule()).contains("required");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast-ssd", "gp3", "standard.storage.example.com"})
    void storageClassNamesThatAreDnsSubdomainsPass(String storageClass) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> {
            a.setStorage(InvalidSpecs.storage("10Gi"));
            a.getStorage().setStorageClassName(storageClass);
        })));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Fast-SSD", "fast_ssd", "-fast", "fast.", "fast ssd"})
    void storageClassNamesThatAreNotDnsSubdomainsAreRefused(String storageClass) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> {
            a.setStorage(InvalidSpecs.storage("10Gi"));
            a.getStorage().setStorageClassName(storageClass);
        })))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.storage.storageClassName");
            assertThat(v.rule()).contains("DNS subdomain");
        });
    }

    @Test
    void storageClassNameIsAtMost253Characters() {
        String longest = ("a".repeat(62) + ".").repeat(4) + "b";
        assertThat(longest).hasSize(253);
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageWithClass(longest)))));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageWithClass(longest + "c")))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.storage.storageClassName");
            assertThat(v.rule()).contains("253");
        });
    }

    private static AppStorage storageWithClass(String storageClass) {
        AppStorage storage = InvalidSpecs.storage("10Gi");
        storage.setStorageClassName(storageClass);
        return storage;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/app/backend/data", "/data", "/data/", "/app", "/app/.envrc", "/app/.env.d", "/srv/app/.env", "/a b/ü"})
    void mountPathsThatAreCleanAbsolutePathsPass(String path) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageAt(path)))));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "app/data|absolute", "''|absolute", "./data|absolute", "/|may not be /", "/app/.env|/app/.env",
            "/app/.env/|/app/.env", "/app/.env/sub|/app/.env", "/app//.env|clean", "/app/./.env|clean", "/data/../app/.env|clean",
            "/data/..|clean", "/data/.|clean", "//|clean"})
    void mountPathsThatAreNotCleanAbsolutePathsOrCoverTheEnvFileAreRefused(String path, String word) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageAt(path)))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.storage.mountPath");
            assertThat(v.rule()).contains(word);
        });
    }

    @Test
    void mountPathWithNulOrOver1024CharactersIsRefused() {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageAt("/data\0x")))))).satisfies(v ->
                assertThat(v.field()).isEqualTo("spec.app.storage.mountPath"));
        String longest = "/" + "d".repeat(1023);
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageAt(longest)))));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setStorage(storageAt(longest + "d")))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.storage.mountPath");
            assertThat(v.rule()).contains("1024");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1ABC", "MY VAR", "A=B", "A:B", "ÄRGER", "A\nB"})
    void envNamesThatAreNotVariableNamesAreRefused(String name) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("OK", "1", null), new EnvVar(name, "x", null)))))))
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("spec.app.env[1].name");
                    assertThat(v.rule()).contains("environment variable name");
                });
    }

    @Test
    void envWithoutANameIsRefused() {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar(null, "x", null)))))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.env[0].name"));
    }

    @ParameterizedTest
    @ValueSource(strings = {Environment.API_KEY, Environment.HOST, Environment.EXTERNAL_USER, Environment.ORGANIZATION_NAME,
            Environment.SPENDING_LIMIT, Environment.KEY_HASH})
    void envMayNotRedefineASecretVariable(String name) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar(name, "forged", null)))))))
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("spec.app.env[0].name");
                    assertThat(v.rule()).contains("redefine " + name);
                });
    }

    @Test
    void envNamesAreCaseSensitiveSoALowerCaseSecretNamePasses() {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("openrouter_api_key", "x", null))))));
    }

    @Test
    void envNamesMayNotRepeat() {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("FOO", "1", null),
                new EnvVar("BAR", "2", null), new EnvVar("FOO", "3", null))))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.env[2].name");
            assertThat(v.rule()).contains("duplicates spec.app.env[0].name");
        });
    }

    @Test
    void envHasAtMost256Variables() {
        List<EnvVar> most = IntStream.range(0, AppSpec.MAX_ENV).mapToObj(i -> new EnvVar("VAR_" + i, "x", null)).toList();
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(most))));
        List<EnvVar> tooMany = new ArrayList<>(most);
        tooMany.add(new EnvVar("ONE_MORE", "x", null));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(tooMany))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.env");
            assertThat(v.rule()).contains("at most 256");
        });
    }

    @Test
    void violationsNeverQuoteAnEnvValue() {
        String value = "a-value-that-could-be-a-credential";
        List<SpecValidator.Violation> violations = validator.validate(Clients.with(valid(), s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(
                new EnvVar(Environment.API_KEY, value, null), new EnvVar("BAD NAME", value, null),
                new EnvVar("FOO", value, null), new EnvVar("FOO", value, null)))))));
        assertThat(violations).hasSize(3).allSatisfy(v -> assertThat(v.toString()).doesNotContain(value));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"bad key!|x|qualified name", "example.com/|x|qualified name",
            "Example.com/arch|x|qualified name", "disktype|has spaces|63 characters", "disktype|-ssd|63 characters"})
    void nodeSelectorKeysMustBeQualifiedNamesAndValuesLabelValues(String key, String value, String word) {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of(key, value)))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.nodeSelector");
            assertThat(v.rule()).contains(word);
        });
    }

    @Test
    void nodeSelectorValuesAreAtMost63Characters() {
        assertValid(anyNode, s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of("pool", "p".repeat(63))))));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of("pool", "p".repeat(64)))))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.nodeSelector"));
    }

    @Test
    void nodeSelectorMayUseKeysThatSecretLabelsMayNot() {
        assertValid(anyNode, s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of("mai.dev/pool", "tenants")))));
    }

    @Test
    void nullNodeSelectorValueIsRefused() {
        Map<String, String> selector = new HashMap<>();
        selector.put("disktype", null);
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(selector)))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.nodeSelector"));
    }

    @Test
    void rolloutTargetsAreAtMost32() {
        List<RolloutTarget> most = IntStream.range(0, 32).mapToObj(i -> new RolloutTarget("Deployment", "web-" + i)).toList();
        assertValid(s -> s.setRolloutTargets(most));
        List<RolloutTarget> tooMany = new ArrayList<>(most);
        tooMany.add(new RolloutTarget("StatefulSet", "db"));
        assertThat(onlyViolation(s -> s.setRolloutTargets(tooMany))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rolloutTargets");
            assertThat(v.rule()).contains("at most 32");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"Job", "deployment", "DaemonSet", "", "Deployment "})
    void rolloutTargetKindMustBeDeploymentOrStatefulSet(String kind) {
        assertThat(onlyViolation(s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "web"),
                new RolloutTarget(kind, "worker"))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rolloutTargets[1].kind");
            assertThat(v.rule()).contains("Deployment or StatefulSet");
        });
    }

    @Test
    void rolloutTargetKindIsRequired() {
        assertThat(onlyViolation(s -> s.setRolloutTargets(List.of(new RolloutTarget(null, "web")))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.rolloutTargets[0].kind"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Web", "web_1", "-web", "web.", "web app"})
    void rolloutTargetNameMustBeADnsSubdomain(String name) {
        assertThat(onlyViolation(s -> s.setRolloutTargets(List.of(new RolloutTarget("StatefulSet", name))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rolloutTargets[0].name");
            assertThat(v.rule()).contains("DNS subdomain");
        });
    }

    @Test
    void rolloutTargetNameIsRequiredAndAtMost253Characters() {
        assertThat(onlyViolation(s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", null)))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.rolloutTargets[0].name"));
        String longest = ("a".repeat(62) + ".").repeat(4) + "b";
        assertValid(s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", longest))));
        assertThat(onlyViolation(s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", longest + "c")))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.rolloutTargets[0].name"));
    }

    @Test
    void rolloutTargetsMayNotRepeatAWorkload() {
        assertThat(onlyViolation(s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "web"),
                new RolloutTarget("StatefulSet", "web"), new RolloutTarget("Deployment", "web"))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rolloutTargets[2]");
            assertThat(v.rule()).contains("duplicates spec.rolloutTargets[0]");
        });
    }

    @Test
    void rolloutTargetsMayNotNameTheOperatorsOwnDeploymentWhenAppIsSet() {
        assertThat(onlyViolation(s -> {
            s.setApp(InvalidSpecs.app(a -> { }));
            s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "web"), new RolloutTarget("Deployment", "abc-app")));
        })).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rolloutTargets[1].name");
            assertThat(v.rule()).contains("abc-app").contains("spec.app");
        });
        // without spec.app, abc-app is just some workload of the namespace
        assertValid(s -> s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "abc-app"))));
    }

    @Test
    void rotationEveryIsRequired() {
        assertThat(onlyViolation(s -> s.setRotation(InvalidSpecs.rotation(null)))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rotation.every");
            assertThat(v.rule()).contains("required");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"1h", "720h", "1h30m", "60m", "3600s", "59m60s", "2562047h", "2562047h47m16s"})
    void rotationOfAtLeastOneHourPasses(String every) {
        assertValid(s -> s.setRotation(InvalidSpecs.rotation(every)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"30m|at least 1h", "59m59s|at least 1h", "0h|at least 1h", "3599s|at least 1h",
            "1d|duration", "1.5h|duration", "''|duration", "h|duration", "1H|duration", "-1h|duration", "1h 30m|duration",
            "30m1h|duration", "720|duration", "2562047h47m17s|at most", "2562048h|at most", "999999999h|at most"})
    void rotationShorterThanOneHourOrNotADurationIsRefused(String every, String word) {
        assertThat(onlyViolation(s -> s.setRotation(InvalidSpecs.rotation(every)))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.rotation.every");
            assertThat(v.rule()).contains(word);
        });
    }

    @Test
    void withAnAppTheNameMustMakeAServiceName() {
        var validator = new SpecValidator(java.util.Optional.empty());
        for (String bad : new String[] {"1abc", "a.b", "a".repeat(60)}) {
            var mc = dev.mai.operator.testing.Clients.with(dev.mai.operator.testing.Clients.maiClient("ns", bad, "App Name Co", "10"), s -> {
                var app = new dev.mai.operator.api.v1alpha1.AppSpec();
                app.setImage("img:1");
                s.setApp(app);
            });
            org.assertj.core.api.Assertions.assertThat(validator.validate(mc)).as(bad)
                    .anySatisfy(v -> org.assertj.core.api.Assertions.assertThat(v.field()).isEqualTo("metadata.name"));
            mc.getSpec().setApp(null);
            org.assertj.core.api.Assertions.assertThat(validator.validate(mc)).as(bad + " without app")
                    .noneMatch(v -> v.field().equals("metadata.name") && v.rule().contains("spec.app"));
        }
    }

    // containment of spec.app: what an env entry may read, the profile, images and nodes

    private static EnvVar fromField(String name) {
        return new EnvVar(name, null, new EnvVarSourceBuilder().withNewFieldRef("v1", "metadata.name").build());
    }

    @Test
    void envEntriesCarryAValueOrExactlyOneReferenceToThePodsOwnFields() {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("PLAIN", "x", null), fromField("POD"),
                new EnvVar("CPU", null, new EnvVarSourceBuilder().withNewResourceFieldRef().withResource("requests.cpu").endResourceFieldRef().build()))))));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("EMPTY", null, new EnvVarSourceBuilder().build())))))))
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("spec.app.env[0].valueFrom");
                    assertThat(v.rule()).contains("exactly one of fieldRef or resourceFieldRef");
                });
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("BOTH", null, new EnvVarSourceBuilder()
                .withNewFieldRef("v1", "metadata.name").withNewResourceFieldRef().withResource("limits.cpu").endResourceFieldRef().build())))))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.env[0].valueFrom"));
        EnvVar valueAndSource = fromField("TWICE");
        valueAndSource.setValue("x");
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(valueAndSource))))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.env[0]"));
    }

    @Test
    void aRefusedEnvSourceNamesTheFieldAndTheAllowedOnes() {
        EnvVar secret = new EnvVar("KEY", null, new EnvVarSourceBuilder().withNewSecretKeyRef("management-key", "mai-key", false).build());
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(new EnvVar("A", "1", null), secret)))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.env[1].valueFrom.secretKeyRef");
            assertThat(v.rule()).contains("only value, valueFrom.fieldRef or valueFrom.resourceFieldRef");
        });
        // a field next to valueFrom that a newer Kubernetes might add is refused alike
        EnvVar future = new EnvVar("NEXT", "x", null);
        future.setAdditionalProperty("valueFromVault", Map.of("path", "x"));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setEnv(List.of(future))))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.env[0].valueFromVault"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"privileged", "Restricted", "BASELINE", ""})
    void theSecurityProfileIsRestrictedOrBaseline(String profile) {
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setSecurityProfile("restricted"))));
        assertValid(s -> s.setApp(InvalidSpecs.app(a -> a.setSecurityProfile("baseline"))));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setSecurityProfile(profile)))))
                .satisfies(v -> assertThat(v.field()).isEqualTo("spec.app.securityProfile"));
    }

    @Test
    void imagesOutsideTheOperatorsAllowListAreRefusedNamingTheFieldAndTheSetting() {
        SpecValidator acme = new SpecValidator(Optional.empty(), AppPolicy.of(Optional.of(List.of("ghcr.io/acme/")), List.of(), List.of()));
        assertThat(acme.validate(Clients.with(valid(), s -> s.setApp(InvalidSpecs.app(a -> a.setImage("ghcr.io/acme/mai:1.0")))))).isEmpty();
        assertThat(acme.validate(Clients.with(valid(), s -> s.setApp(InvalidSpecs.app(a -> a.setImage("ghcr.io/acme-evil/mai:1.0"))))))
                .singleElement().satisfies(v -> {
                    assertThat(v.field()).isEqualTo("spec.app.image");
                    assertThat(v.rule()).contains("MAI_APP_ALLOWED_IMAGES", "ghcr.io/acme/");
                });
        assertThat(acme.validate(Clients.with(valid(), s -> s.setApp(InvalidSpecs.app(a -> a.setImage("ghcr.io/ACME/mai"))))))
                .singleElement().satisfies(v -> assertThat(v.rule()).contains("image reference"));
    }

    @Test
    void nodeSelectorKeysAreLimitedByTheOperatorNoneByDefault() {
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of("disktype", "ssd")))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.nodeSelector");
            assertThat(v.rule()).contains("'disktype'", "MAI_APP_ALLOWED_NODE_SELECTOR_KEYS: none");
        });
        SpecValidator pools = new SpecValidator(Optional.empty(), AppPolicy.of(Optional.empty(), List.of("example.com/pool", "disktype"), List.of()));
        assertValid(pools, s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of("example.com/pool", "tenants", "disktype", "ssd")))));
        assertThat(pools.validate(Clients.with(valid(), s -> s.setApp(InvalidSpecs.app(a -> a.setNodeSelector(Map.of("kubernetes.io/hostname", "n1")))))))
                .singleElement().satisfies(v -> assertThat(v.rule()).contains("disktype, example.com/pool"));
    }

    @Test
    void tolerationKeysAreLimitedByTheOperatorNoneByDefaultAndAKeylessOneOnlyWithTheWildcard() {
        List<Toleration> dedicated = List.of(new Toleration("NoSchedule", "dedicated", "Equal", null, "mai"));
        assertThat(onlyViolation(s -> s.setApp(InvalidSpecs.app(a -> a.setTolerations(dedicated))))).satisfies(v -> {
            assertThat(v.field()).isEqualTo("spec.app.tolerations[0].key");
            assertThat(v.rule()).contains("'dedicated'", "MAI_APP_ALLOWED_TOLERATION_KEYS: none");
        });
        SpecValidator dedicatedOnly = new SpecValidator(Optional.empty(), AppPolicy.of(Optional.empty(), List.of(), List.of("dedicated")));
        assertValid(dedicatedOnly, s -> s.setApp(InvalidSpecs.app(a -> a.setTolerations(dedicated))));
        List<Toleration> everything = List.of(new Toleration(null, null, "Exists", null, null));
        assertThat(dedicatedOnly.validate(Clients.with(valid(), s -> s.setApp(InvalidSpecs.app(a -> a.setTolerations(everything))))))
                .singleElement().satisfies(v -> {
                    assertThat(v.field()).isEqualTo("spec.app.tolerations[0].key");
                    assertThat(v.rule()).contains("every taint");
                });
        assertValid(anyNode, s -> s.setApp(InvalidSpecs.app(a -> a.setTolerations(everything))));
    }
}
