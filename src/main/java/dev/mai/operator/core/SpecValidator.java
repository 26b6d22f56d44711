package dev.mai.operator.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.api.v1alpha1.RotationSpec;
import dev.mai.operator.api.v1alpha1.SecretSpec;
import dev.mai.operator.core.AppPolicy;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Toleration;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The CRD schema's rules, enforced again in the reconciler: an API server without the schema
 * (the test server, or a cluster whose CRD is older than the operator) must not let a bad spec
 * reach OpenRouter. Each violation names the field and the rule.
 */
public final class SpecValidator {

    /** One broken rule: {@code field} is a path such as {@code spec.spendingLimit}. */
    public record Violation(String field, String rule) {
        @Override
        public String toString() {
            return field + ": " + rule;
        }
    }

    public static final Set<String> LIMIT_RESETS = Set.of("daily", "weekly", "monthly");
    public static final Set<String> DELETION_POLICIES = Set.of("Delete", "Retain");
    public static final Pattern EXTERNAL_USER = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    public static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    public static final Pattern QUALIFIED_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    public static final Pattern SECRET_DATA_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");
    public static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
    public static final Pattern IMAGE = Pattern.compile(AppSpec.IMAGE);
    public static final Pattern QUANTITY = Pattern.compile(AppStorage.QUANTITY);
    public static final Pattern ABSOLUTE_PATH = Pattern.compile(AppStorage.PATH);
    /** An empty, . or .. segment; the schema's CEL rule uses the same expression (with $ for \z). */
    public static final Pattern UNCLEAN_PATH = Pattern.compile("//|/[.][.]?(/|\\z)");
    /** With spec.app: <name>-app names a Service, a DNS-1035 label of at most 63 characters. */
    public static final Pattern APP_CLIENT_NAME = Pattern.compile("[a-z]([-a-z0-9]{0,57}[a-z0-9])?");
    public static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");
    public static final Set<String> SECRET_VARIABLES = Set.copyOf(Environment.VARIABLES);
    public static final Set<String> ROLLOUT_KINDS = Set.of("Deployment", "StatefulSet");
    public static final int MAX_ROLLOUT_TARGETS = 32;
    public static final int MAX_BUDGET_ALERTS = 10;
    public static final Duration MIN_ROTATION = Duration.ofHours(1);
    /** The longest duration Kubernetes (Go's time.Duration, int64 nanoseconds) and so the CRD's CEL rule accept. */
    public static final Duration MAX_ROTATION = Duration.ofNanos(Long.MAX_VALUE);

    public static final Set<String> SECURITY_PROFILES = Set.of(AppSpec.RESTRICTED, AppSpec.BASELINE);
    /** What an env entry may carry: a literal value, or a reference to the pod's own fields. Nothing else. */
    public static final Set<String> ENV_FIELDS = Set.of("name", "value", "valueFrom");
    public static final Set<String> ENV_SOURCES = Set.of("fieldRef", "resourceFieldRef");
    public static final String ENV_RULE = "is not allowed: an env entry may carry only value, valueFrom.fieldRef or "
            + "valueFrom.resourceFieldRef (no Secret, ConfigMap, file or other source: the namespace may hold Secrets "
            + "the application must not read)";
    /** Reads an env entry as the API server would store it, fields the model does not know included. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Optional<BigDecimal> maxSpendingLimit;
    private final AppPolicy appPolicy;

    /** With the default application limits (any image, no node selector, no tolerations). */
    public SpecValidator(Optional<BigDecimal> maxSpendingLimit) {
        this(maxSpendingLimit, AppPolicy.DEFAULT);
    }

    public SpecValidator(Optional<BigDecimal> maxSpendingLimit, AppPolicy appPolicy) {
        this.maxSpendingLimit = maxSpendingLimit;
        this.appPolicy = appPolicy;
    }

    /** Every rule the MaiClient breaks; empty when it is valid. */
    public List<Violation> validate(MaiClient client) {
        return validate(client.getMetadata().getName(), client.getSpec());
    }

    /**
     * Every rule a MaiClient of this name and spec breaks; empty when it is valid. Without a name
     * (a front end that has no MaiClient) the rules on {@code metadata.name} are not applied.
     */
    public List<Violation> validate(String name, MaiClientSpec spec) {
        List<Violation> out = new ArrayList<>();
        if (name != null && name.length() > 63) {
            out.add(new Violation("metadata.name", "must be at most 63 characters (it is the value of the label "
                    + Labels.CLIENT + " on the Secret)"));
        }
        if (spec != null && spec.getApp() != null && name != null && !APP_CLIENT_NAME.matcher(name).matches()) {
            out.add(new Violation("metadata.name", "with spec.app must be a DNS label of at most 59 characters starting with a "
                    + "letter (lower-case letters, digits and '-'), since the Service <name>-app is named after it"));
        }
        if (spec == null) {
            out.add(new Violation("spec", "is required"));
            return out;
        }
        organizationName(spec.getOrganizationName(), out);
        spendingLimit(spec, out);
        if (spec.getLimitReset() != null && !LIMIT_RESETS.contains(spec.getLimitReset())) {
            out.add(new Violation("spec.limitReset", "must be daily, weekly or monthly (or absent: never resets)"));
        }
        if (spec.getExternalUser() != null && !EXTERNAL_USER.matcher(spec.getExternalUser()).matches()) {
            out.add(new Violation("spec.externalUser", "must match [A-Za-z0-9_.-]{1,64}"));
        }
        if (spec.getDeletionPolicy() != null && !DELETION_POLICIES.contains(spec.getDeletionPolicy())) {
            out.add(new Violation("spec.deletionPolicy", "must be Delete or Retain"));
        }
        secret(spec.getSecret(), out);
        app(spec.getApp(), out);
        rolloutTargets(name, spec, out);
        rotation(spec.getRotation(), out);
        adoptKeyFrom(spec.getAdoptKeyFrom(), out);
        budgetAlerts(spec.getBudgetAlerts(), out);
        var ref = spec.getProvisioningKeySecretRef();
        if (ref != null) {
            if (ref.getName() == null || ref.getName().length() > 253 || !DNS_SUBDOMAIN.matcher(ref.getName()).matches()) {
                out.add(new Violation("spec.provisioningKeySecretRef.name", "must be the name of a Secret in this namespace (a DNS subdomain)"));
            }
            if (ref.getKey() == null || !SECRET_DATA_KEY.matcher(ref.getKey()).matches()) {
                out.add(new Violation("spec.provisioningKeySecretRef.key", "must be a Secret data key ([-._a-zA-Z0-9]{1,253})"));
            }
        }
        return out;
    }

    private static void adoptKeyFrom(AdoptKeyFrom from, List<Violation> out) {
        if (from == null) {
            return;
        }
        if (from.getName() == null || from.getName().length() > 253 || !DNS_SUBDOMAIN.matcher(from.getName()).matches()) {
            out.add(new Violation("spec.adoptKeyFrom.name", "must be the name of a Secret in this namespace (a DNS subdomain)"));
        }
        if (from.getKey() != null && !SECRET_DATA_KEY.matcher(from.getKey()).matches()) {
            out.add(new Violation("spec.adoptKeyFrom.key", "must be a Secret data key ([-._a-zA-Z0-9]{1,253})"));
        }
        if (from.getHash() != null && !KeyInfo.isHash(from.getHash())) {
            out.add(new Violation("spec.adoptKeyFrom.hash", "must be 64 lower-case hex digits (the key's hash on OpenRouter)"));
        }
    }

    private static void organizationName(String name, List<Violation> out) {
        String field = "spec.organizationName";
        if (name == null) {
            out.add(new Violation(field, "is required"));
            return;
        }
        int length = name.codePointCount(0, name.length());
        if (length < 3 || length > 200) {
            out.add(new Violation(field, "must be 3 to 200 characters long (is " + length + ")"));
        }
        if (name.codePoints().anyMatch(SpecValidator::controlOrLineBreak)) {
            out.add(new Violation(field, "must not contain control or line-breaking characters (newline, tab, NUL, U+0085, U+2028, ...)"));
            return;
        }
        DotEnv.unquotable(name).ifPresent(rule -> out.add(new Violation(field, rule)));
    }

    /** Unicode categories Cc, Zl and Zp. */
    public static boolean controlOrLineBreak(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    private void spendingLimit(MaiClientSpec spec, List<Violation> out) {
        String field = "spec.spendingLimit";
        String text = Money.text(spec.getSpendingLimit());
        if (text == null) {
            out.add(new Violation(field, "is required (\"unlimited\" or a positive USD amount)"));
            return;
        }
        if (Money.UNLIMITED.equals(text)) {
            maxSpendingLimit.ifPresent(max -> out.add(new Violation(field,
                    "must not be unlimited: this operator allows at most " + Money.cents(max).toPlainString() + " USD")));
            return;
        }
        if (!Money.AMOUNT.matcher(text).matches()) {
            out.add(new Violation(field, "must be \"unlimited\" or a positive USD amount with at most 2 decimals "
                    + "(digits and an optional point; no sign, exponent or spaces)"));
            return;
        }
        BigDecimal amount = new BigDecimal(text);
        if (amount.signum() <= 0) {
            out.add(new Violation(field, "must be greater than zero"));
        } else if (maxSpendingLimit.isPresent() && amount.compareTo(maxSpendingLimit.get()) > 0) {
            out.add(new Violation(field, "must be at most " + Money.cents(maxSpendingLimit.get()).toPlainString()
                    + " USD (MAI_MAX_SPENDING_LIMIT)"));
        }
    }

    /** Percentages 1-100, each once, at most {@value #MAX_BUDGET_ALERTS}. */
    private static void budgetAlerts(List<Integer> thresholds, List<Violation> out) {
        if (thresholds == null) {
            return;
        }
        if (thresholds.size() > MAX_BUDGET_ALERTS) {
            out.add(new Violation("spec.budgetAlerts", "must have at most " + MAX_BUDGET_ALERTS + " entries"));
            return;
        }
        for (int i = 0; i < thresholds.size(); i++) {
            Integer t = thresholds.get(i);
            String field = "spec.budgetAlerts[" + i + "]";
            if (t == null || t < 1 || t > 100) {
                out.add(new Violation(field, "must be a percentage from 1 to 100"));
            } else if (thresholds.subList(0, i).contains(t)) {
                out.add(new Violation(field, "duplicates spec.budgetAlerts[" + thresholds.indexOf(t) + "] (" + t + ")"));
            }
        }
    }

    private static void secret(SecretSpec secret, List<Violation> out) {
        String name = secret == null ? null : secret.getName();
        if (name != null) {
            if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
                out.add(new Violation("spec.secret.name", "must be a DNS subdomain name (lower-case letters, digits, '-' and '.', at most 253)"));
            }
        }
        if (secret == null) {
            return;
        }
        metadata("spec.secret.labels", secret.getLabels(), true, out);
        metadata("spec.secret.annotations", secret.getAnnotations(), false, out);
    }

    private static void metadata(String field, Map<String, String> entries, boolean labels, List<Violation> out) {
        if (entries == null) {
            return;
        }
        for (Map.Entry<String, String> e : entries.entrySet()) {
            String key = e.getKey();
            if (Labels.reserved(key)) {
                out.add(new Violation(field, "may not set " + key + " (app.kubernetes.io/managed-by and mai.dev/ keys are the operator's)"));
            } else if (!qualifiedKey(key)) {
                out.add(new Violation(field, "key '" + key + "' is not a valid qualified name ([prefix/]name, name at most 63 characters)"));
            } else if (labels && !labelValue(e.getValue())) {
                out.add(new Violation(field, "value of " + key + " must be at most 63 characters of letters, digits, '-', '_' and '.'"));
            }
        }
    }

    private static boolean labelValue(String value) {
        return value != null && value.length() <= 63 && LABEL_VALUE.matcher(value).matches();
    }

    private static boolean qualifiedKey(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                return false;
            }
        }
        return !name.isEmpty() && name.length() <= 63 && QUALIFIED_NAME.matcher(name).matches();
    }

    private void app(AppSpec app, List<Violation> out) {
        if (app == null) {
            return;
        }
        String image = app.getImage();
        if (image == null || image.isEmpty()) {
            out.add(new Violation("spec.app.image", "is required (the container image of the application)"));
        } else if (image.length() > 1024) {
            out.add(new Violation("spec.app.image", "must be at most 1024 characters"));
        } else if (!IMAGE.matcher(image).matches()) {
            out.add(new Violation("spec.app.image", "must not contain whitespace or control characters"));
        } else {
            appPolicy.refuseImage(image).ifPresent(rule -> out.add(new Violation("spec.app.image", rule)));
        }
        if (app.getSecurityProfile() != null && !SECURITY_PROFILES.contains(app.getSecurityProfile())) {
            out.add(new Violation("spec.app.securityProfile", "must be restricted or baseline"));
        }
        Integer replicas = app.getReplicas();
        if (replicas != null && (replicas < 0 || replicas > 100)) {
            out.add(new Violation("spec.app.replicas", "must be between 0 and 100"));
        } else if (replicas != null && replicas > 1 && app.getStorage() != null) {
            out.add(new Violation("spec.app.replicas", "must be at most 1 with spec.app.storage "
                    + "(ReadWriteOnce storage: more than one replica is refused)"));
        }
        if (app.getPort() != null && (app.getPort() < 1 || app.getPort() > 65535)) {
            out.add(new Violation("spec.app.port", "must be a port number between 1 and 65535"));
        }
        storage(app.getStorage(), out);
        env(app.getEnv(), out);
        nodeSelector(app.getNodeSelector(), out);
        tolerations(app.getTolerations(), out);
    }

    private static void storage(AppStorage storage, List<Violation> out) {
        if (storage == null) {
            return;
        }
        String size = storage.getSize();
        if (size == null) {
            out.add(new Violation("spec.app.storage.size", "is required (a Kubernetes quantity such as 10Gi)"));
        } else if (!QUANTITY.matcher(size).matches()) {
            out.add(new Violation("spec.app.storage.size", "must be a Kubernetes quantity such as 10Gi or 500M (digits, "
                    + "an optional decimal part, an optional suffix Ki, Mi, Gi, Ti, Pi, Ei, k, M, G, T, P or E)"));
        } else if (size.chars().noneMatch(c -> c >= '1' && c <= '9')) {
            out.add(new Violation("spec.app.storage.size", "must not be zero"));
        }
        String storageClass = storage.getStorageClassName();
        if (storageClass != null && (storageClass.length() > 253 || !DNS_SUBDOMAIN.matcher(storageClass).matches())) {
            out.add(new Violation("spec.app.storage.storageClassName", "must be a DNS subdomain name (lower-case letters, "
                    + "digits, '-' and '.', at most 253)"));
        }
        mountPath(storage.getMountPath(), out);
    }

    private static void mountPath(String path, List<Violation> out) {
        String field = "spec.app.storage.mountPath";
        if (path == null) {
            return;
        }
        if (!ABSOLUTE_PATH.matcher(path).matches()) {
            out.add(new Violation(field, "must be an absolute path (starting with /, no NUL)"));
        } else if (path.length() > 1024) {
            out.add(new Violation(field, "must be at most 1024 characters"));
        } else if (UNCLEAN_PATH.matcher(path).find()) {
            out.add(new Violation(field, "must be a clean path (no empty, . or .. segments)"));
        } else if (path.equals("/")) {
            out.add(new Violation(field, "may not be / (the data directory would cover the whole container)"));
        } else if (path.equals(AppStorage.DOTENV_PATH) || path.startsWith(AppStorage.DOTENV_PATH + "/")) {
            out.add(new Violation(field, "may not be " + AppStorage.DOTENV_PATH
                    + " or under it (the Secret's .env file is mounted there)"));
        }
    }

    private static void env(List<EnvVar> env, List<Violation> out) {
        if (env == null) {
            return;
        }
        if (env.size() > AppSpec.MAX_ENV) {
            out.add(new Violation("spec.app.env", "must have at most " + AppSpec.MAX_ENV + " variables"));
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < env.size(); i++) {
            String field = "spec.app.env[" + i + "].name";
            // names only: a value may be a credential and never appears in a message
            String name = env.get(i) == null ? null : env.get(i).getName();
            if (name == null || !ENV_NAME.matcher(name).matches()) {
                out.add(new Violation(field, "must be an environment variable name ([-._a-zA-Z][-._a-zA-Z0-9]*)"));
            } else if (SECRET_VARIABLES.contains(name)) {
                out.add(new Violation(field, "may not redefine " + name + " (a variable of the Secret, set by the operator)"));
            } else {
                Integer first = seen.putIfAbsent(name, i);
                if (first != null) {
                    out.add(new Violation(field, "duplicates spec.app.env[" + first + "].name (" + name + ")"));
                }
            }
            if (env.get(i) != null) {
                envSource(i, env.get(i), out);
            }
        }
    }

    /**
     * By allow-list, on the entry as JSON: a source the model knows (secretKeyRef, configMapKeyRef,
     * fileKeyRef) and one it does not (kept in additionalProperties) are refused alike.
     */
    @SuppressWarnings("unchecked")
    private static void envSource(int i, EnvVar entry, List<Violation> out) {
        String field = "spec.app.env[" + i + "]";
        Map<String, Object> json = present(JSON.convertValue(entry, Map.class));
        json.keySet().stream().filter(k -> !ENV_FIELDS.contains(k)).sorted()
                .forEach(k -> out.add(new Violation(field + "." + k, ENV_RULE)));
        if (!(json.get("valueFrom") instanceof Map<?, ?> from)) {
            return;
        }
        Map<String, Object> sources = present((Map<String, Object>) from);
        sources.keySet().stream().filter(k -> !ENV_SOURCES.contains(k)).sorted()
                .forEach(k -> out.add(new Violation(field + ".valueFrom." + k, ENV_RULE)));
        long allowed = sources.keySet().stream().filter(ENV_SOURCES::contains).count();
        if (allowed != 1 && sources.keySet().stream().allMatch(ENV_SOURCES::contains)) {
            out.add(new Violation(field + ".valueFrom", "must set exactly one of fieldRef or resourceFieldRef"));
        }
        if (entry.getValue() != null && !entry.getValue().isEmpty()) {
            out.add(new Violation(field, "may not have both value and valueFrom"));
        }
    }

    private static Map<String, Object> present(Map<String, Object> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    private void nodeSelector(Map<String, String> selector, List<Violation> out) {
        if (selector == null) {
            return;
        }
        for (Map.Entry<String, String> e : selector.entrySet()) {
            String key = e.getKey();
            if (!qualifiedKey(key)) {
                out.add(new Violation("spec.app.nodeSelector", "key '" + key
                        + "' is not a valid qualified name ([prefix/]name, name at most 63 characters)"));
            } else if (!labelValue(e.getValue())) {
                out.add(new Violation("spec.app.nodeSelector", "value of " + key
                        + " must be at most 63 characters of letters, digits, '-', '_' and '.'"));
            } else if (!appPolicy.nodeSelectorKeyAllowed(key)) {
                out.add(new Violation("spec.app.nodeSelector", "key '" + key + "' is not allowed by this operator "
                        + "(MAI_APP_ALLOWED_NODE_SELECTOR_KEYS: " + appPolicy.nodeSelectorKeys() + ")"));
            }
        }
    }

    private void tolerations(List<Toleration> tolerations, List<Violation> out) {
        if (tolerations == null) {
            return;
        }
        for (int i = 0; i < tolerations.size(); i++) {
            String field = "spec.app.tolerations[" + i + "].key";
            String key = tolerations.get(i) == null ? null : tolerations.get(i).getKey();
            if (appPolicy.tolerationKeyAllowed(key)) {
                continue;
            }
            String allowed = "(MAI_APP_ALLOWED_TOLERATION_KEYS: " + appPolicy.tolerationKeys() + ")";
            out.add(new Violation(field, key == null || key.isEmpty()
                    ? "is required: a toleration without a key tolerates every taint, which this operator does not allow " + allowed
                    : "taint key '" + key + "' is not allowed by this operator " + allowed));
        }
    }

    private static void rolloutTargets(String clientName, MaiClientSpec spec, List<Violation> out) {
        List<RolloutTarget> targets = spec.getRolloutTargets();
        if (targets == null) {
            return;
        }
        if (targets.size() > MAX_ROLLOUT_TARGETS) {
            out.add(new Violation("spec.rolloutTargets", "must have at most " + MAX_ROLLOUT_TARGETS + " entries"));
        }
        // the operator's own Deployment is rolled by spec.app; listed again, two writers would fight over it
        String appDeployment = spec.getApp() == null || clientName == null ? null : clientName + "-app";
        Map<RolloutTarget, Integer> seen = new HashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            String field = "spec.rolloutTargets[" + i + "]";
            RolloutTarget target = targets.get(i);
            if (target == null) {
                out.add(new Violation(field, "must be {kind, name}"));
                continue;
            }
            boolean valid = true;
            if (target.getKind() == null || !ROLLOUT_KINDS.contains(target.getKind())) {
                out.add(new Violation(field + ".kind", "must be Deployment or StatefulSet"));
                valid = false;
            }
            String name = target.getName();
            if (name == null || name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
                out.add(new Violation(field + ".name", "must be the name of a workload in this namespace "
                        + "(a DNS subdomain, at most 253)"));
                valid = false;
            }
            if (!valid) {
                continue;
            }
            Integer first = seen.putIfAbsent(target, i);
            if (first != null) {
                out.add(new Violation(field, "duplicates spec.rolloutTargets[" + first + "] (" + target + ")"));
            } else if ("Deployment".equals(target.getKind()) && name.equals(appDeployment)) {
                out.add(new Violation(field + ".name", "may not be " + appDeployment
                        + ": with spec.app the operator manages that Deployment itself"));
            }
        }
    }

    private static void rotation(RotationSpec rotation, List<Violation> out) {
        if (rotation == null) {
            return;
        }
        String field = "spec.rotation.every";
        if (rotation.getEvery() == null) {
            out.add(new Violation(field, "is required with spec.rotation (a duration such as 720h)"));
            return;
        }
        Optional<Duration> every = GoDuration.parse(rotation.getEvery());
        if (every.isEmpty()) {
            out.add(new Violation(field, "must be a duration of hours, minutes and seconds such as 720h or 1h30m"));
        } else if (every.get().compareTo(MIN_ROTATION) < 0) {
            out.add(new Violation(field, "must be at least 1h"));
        } else if (every.get().compareTo(MAX_ROTATION) > 0) {
            out.add(new Violation(field, "must be at most 2562047h (the longest Kubernetes duration)"));
        }
    }
}
