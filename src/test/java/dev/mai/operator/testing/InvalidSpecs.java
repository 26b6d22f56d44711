package dev.mai.operator.testing;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.api.v1alpha1.RotationSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSourceBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Invalid specs and the field each must be reported on: one table for the validator's unit test
 * and for the operator-in-the-loop test that proves no request reaches OpenRouter.
 */
public final class InvalidSpecs {

    /** A broken spec: what is wrong, how to break a valid spec that way, and the field to name. */
    public record Case(String description, Consumer<MaiClientSpec> breakIt, String field) {
        @Override
        public String toString() {
            return description;
        }
    }

    private InvalidSpecs() {
    }

    public static List<Case> all() {
        return List.of(
                c("missing organization name", s -> s.setOrganizationName(null), "spec.organizationName"),
                c("empty organization name", s -> s.setOrganizationName(""), "spec.organizationName"),
                c("2-code-point name", s -> s.setOrganizationName("AB"), "spec.organizationName"),
                c("2 code points outside the BMP", s -> s.setOrganizationName("\uD83D\uDE00\uD83D\uDE00"), "spec.organizationName"),
                c("201-code-point name", s -> s.setOrganizationName("A".repeat(201)), "spec.organizationName"),
                c("newline in name", s -> s.setOrganizationName("ABC\nEVIL=1"), "spec.organizationName"),
                c("carriage return in name", s -> s.setOrganizationName("ABC\rCo"), "spec.organizationName"),
                c("tab in name", s -> s.setOrganizationName("ABC\tCo"), "spec.organizationName"),
                c("NUL in name", s -> s.setOrganizationName("ABC\0Co"), "spec.organizationName"),
                c("U+0085 in name", s -> s.setOrganizationName("ABC\u0085Co"), "spec.organizationName"),
                c("U+2028 in name", s -> s.setOrganizationName("ABC\u2028Co"), "spec.organizationName"),
                c("U+2029 in name", s -> s.setOrganizationName("ABC\u2029Co"), "spec.organizationName"),
                c("' and $ in name", s -> s.setOrganizationName("O'Brien $HOME"), "spec.organizationName"),
                c("' and \" in name", s -> s.setOrganizationName("O'Brien \"Ltd\""), "spec.organizationName"),
                c("' and backquote in name", s -> s.setOrganizationName("O'Brien `id`"), "spec.organizationName"),
                c("' and backslash in name", s -> s.setOrganizationName("O'Brien\\Ltd"), "spec.organizationName"),
                c("${NAME} reference in name", s -> s.setOrganizationName("ACME ${HOME}"), "spec.organizationName"),
                c("missing limit", s -> s.setSpendingLimit(null), "spec.spendingLimit"),
                c("limit 0", s -> s.setSpendingLimit(new IntOrString("0")), "spec.spendingLimit"),
                c("limit 0.00", s -> s.setSpendingLimit(new IntOrString("0.00")), "spec.spendingLimit"),
                c("integer limit 0", s -> s.setSpendingLimit(new IntOrString(0)), "spec.spendingLimit"),
                c("limit -5", s -> s.setSpendingLimit(new IntOrString("-5")), "spec.spendingLimit"),
                c("integer limit -5", s -> s.setSpendingLimit(new IntOrString(-5)), "spec.spendingLimit"),
                c("limit 1.234", s -> s.setSpendingLimit(new IntOrString("1.234")), "spec.spendingLimit"),
                c("limit abc", s -> s.setSpendingLimit(new IntOrString("abc")), "spec.spendingLimit"),
                c("limit 1e3", s -> s.setSpendingLimit(new IntOrString("1e3")), "spec.spendingLimit"),
                c("limit with a leading space", s -> s.setSpendingLimit(new IntOrString(" 100")), "spec.spendingLimit"),
                c("limit with a trailing space", s -> s.setSpendingLimit(new IntOrString("100 ")), "spec.spendingLimit"),
                c("limit +100", s -> s.setSpendingLimit(new IntOrString("+100")), "spec.spendingLimit"),
                c("limit 100.", s -> s.setSpendingLimit(new IntOrString("100.")), "spec.spendingLimit"),
                c("limit Unlimited (case)", s -> s.setSpendingLimit(new IntOrString("Unlimited")), "spec.spendingLimit"),
                c("limitReset yearly", s -> s.setLimitReset("yearly"), "spec.limitReset"),
                c("limitReset Monthly (case)", s -> s.setLimitReset("Monthly"), "spec.limitReset"),
                c("externalUser with a space", s -> s.setExternalUser("mai client"), "spec.externalUser"),
                c("externalUser of 65 characters", s -> s.setExternalUser("u".repeat(65)), "spec.externalUser"),
                c("empty externalUser", s -> s.setExternalUser(""), "spec.externalUser"),
                c("deletionPolicy Orphan", s -> s.setDeletionPolicy("Orphan"), "spec.deletionPolicy"),
                c("deletionPolicy delete (case)", s -> s.setDeletionPolicy("delete"), "spec.deletionPolicy"),
                c("secret name with capitals", s -> s.setSecret(Clients.secret("My-Env", null, null)), "spec.secret.name"),
                c("secret label managed-by", s -> s.setSecret(Clients.secret(null,
                        Map.of("app.kubernetes.io/managed-by", "argocd"), null)), "spec.secret.labels"),
                c("secret label under mai.dev/", s -> s.setSecret(Clients.secret(null,
                        Map.of("mai.dev/client", "other"), null)), "spec.secret.labels"),
                c("secret annotation under mai.dev/", s -> s.setSecret(Clients.secret(null, null,
                        Map.of("mai.dev/key-hash", "forged"))), "spec.secret.annotations"),
                c("secret label with an invalid value", s -> s.setSecret(Clients.secret(null,
                        Map.of("team", "has spaces"), null)), "spec.secret.labels"),
                c("secret label with an invalid key", s -> s.setSecret(Clients.secret(null,
                        Map.of("bad key!", "x"), null)), "spec.secret.labels"),
                c("app without an image", s -> s.setApp(app(a -> a.setImage(null))), "spec.app.image"),
                c("app image with a space", s -> s.setApp(app(a -> a.setImage("ghcr.io/mai/app :1"))), "spec.app.image"),
                c("storage with 2 replicas", s -> s.setApp(app(a -> {
                    a.setStorage(storage("10Gi"));
                    a.setReplicas(2);
                })), "spec.app.replicas"),
                c("storage size 0Gi", s -> s.setApp(app(a -> a.setStorage(storage("0Gi")))), "spec.app.storage.size"),
                c("storage mounted over /app/.env", s -> s.setApp(app(a -> {
                    a.setStorage(storage("10Gi"));
                    a.getStorage().setMountPath("/app/.env");
                })), "spec.app.storage.mountPath"),
                c("env redefining OPENROUTER_API_KEY", s -> s.setApp(app(a -> a.setEnv(List.of(
                        new EnvVar("OPENROUTER_API_KEY", "not-a-key", null))))), "spec.app.env[0].name"),
                c("env name with a space", s -> s.setApp(app(a -> a.setEnv(List.of(new EnvVar("MY VAR", "x", null))))),
                        "spec.app.env[0].name"),
                c("env reading a Secret of the namespace (secretKeyRef)", s -> s.setApp(app(a -> a.setEnv(List.of(
                        new EnvVar("TOKEN", null, new EnvVarSourceBuilder().withNewSecretKeyRef("management-key", "mai-key", false)
                                .build()))))), "spec.app.env[0].valueFrom.secretKeyRef"),
                c("env reading a ConfigMap (configMapKeyRef)", s -> s.setApp(app(a -> a.setEnv(List.of(new EnvVar("OK", "1", null),
                        new EnvVar("CONF", null, new EnvVarSourceBuilder().withNewConfigMapKeyRef("key", "conf", false)
                                .build()))))), "spec.app.env[1].valueFrom.configMapKeyRef"),
                c("env reading a file of a volume (fileKeyRef)", s -> s.setApp(app(a -> a.setEnv(List.of(
                        new EnvVar("FILE", null, new EnvVarSourceBuilder().withNewFileKeyRef().withVolumeName("data")
                                .withPath("x.env").withKey("K").endFileKeyRef().build()))))), "spec.app.env[0].valueFrom.fileKeyRef"),
                c("env with a source the model does not know", s -> s.setApp(app(a -> a.setEnv(List.of(
                        new EnvVar("FUTURE", null, new EnvVarSourceBuilder().addToAdditionalProperties("vaultKeyRef",
                                Map.of("name", "mai-key", "key", "management-key")).build()))))), "spec.app.env[0].valueFrom.vaultKeyRef"),
                c("nodeSelector key the operator does not allow", s -> s.setApp(app(a -> a.setNodeSelector(
                        Map.of("node-role.kubernetes.io/control-plane", "")))), "spec.app.nodeSelector"),
                c("toleration the operator does not allow", s -> s.setApp(app(a -> a.setTolerations(List.of(
                        new Toleration("NoSchedule", "node-role.kubernetes.io/control-plane", "Exists", null, null))))),
                        "spec.app.tolerations[0].key"),
                c("rolloutTargets kind Job", s -> s.setRolloutTargets(List.of(new RolloutTarget("Job", "worker"))),
                        "spec.rolloutTargets[0].kind"),
                c("rolloutTargets listing a workload twice", s -> s.setRolloutTargets(List.of(
                        new RolloutTarget("Deployment", "web"), new RolloutTarget("Deployment", "web"))), "spec.rolloutTargets[1]"),
                c("rotation every 30m", s -> s.setRotation(rotation("30m")), "spec.rotation.every"),
                c("rotation every 1d (not a Kubernetes duration)", s -> s.setRotation(rotation("1d")), "spec.rotation.every"),
                c("rotation without every", s -> s.setRotation(rotation(null)), "spec.rotation.every"),
                c("adoptKeyFrom without a name", s -> s.setAdoptKeyFrom(adopt(null, null, null)), "spec.adoptKeyFrom.name"),
                c("adoptKeyFrom naming no Secret name", s -> s.setAdoptKeyFrom(adopt("Old_Key", null, null)), "spec.adoptKeyFrom.name"),
                c("adoptKeyFrom entry with a slash", s -> s.setAdoptKeyFrom(adopt("abc-old", "a/b", null)), "spec.adoptKeyFrom.key"),
                c("adoptKeyFrom hash in upper case", s -> s.setAdoptKeyFrom(adopt("abc-old", null, "A".repeat(64))),
                        "spec.adoptKeyFrom.hash"),
                c("adoptKeyFrom hash too short", s -> s.setAdoptKeyFrom(adopt("abc-old", null, "a".repeat(63))),
                        "spec.adoptKeyFrom.hash"),
                c("budgetAlerts threshold 0", s -> s.setBudgetAlerts(List.of(0, 80)), "spec.budgetAlerts[0]"),
                c("budgetAlerts threshold above 100", s -> s.setBudgetAlerts(List.of(101)), "spec.budgetAlerts[0]"),
                c("budgetAlerts listing a threshold twice", s -> s.setBudgetAlerts(List.of(80, 95, 80)), "spec.budgetAlerts[2]"),
                c("budgetAlerts with 11 thresholds", s -> s.setBudgetAlerts(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
                        "spec.budgetAlerts"));
    }

    /** A valid spec.app, changed by {@code change}. */
    public static AppSpec app(Consumer<AppSpec> change) {
        AppSpec app = new AppSpec();
        app.setImage("ghcr.io/mai/app:1.0");
        change.accept(app);
        return app;
    }

    /** A spec.app.storage of {@code size}. */
    public static AppStorage storage(String size) {
        AppStorage storage = new AppStorage();
        storage.setSize(size);
        return storage;
    }

    /** A spec.adoptKeyFrom. */
    public static dev.mai.operator.api.v1alpha1.AdoptKeyFrom adopt(String name, String key, String hash) {
        dev.mai.operator.api.v1alpha1.AdoptKeyFrom from = new dev.mai.operator.api.v1alpha1.AdoptKeyFrom();
        from.setName(name);
        from.setKey(key);
        from.setHash(hash);
        return from;
    }

    /** A spec.rotation every {@code every}. */
    public static RotationSpec rotation(String every) {
        RotationSpec rotation = new RotationSpec();
        rotation.setEvery(every);
        return rotation;
    }

    private static Case c(String description, Consumer<MaiClientSpec> breakIt, String field) {
        return new Case(description, breakIt, field);
    }
}
