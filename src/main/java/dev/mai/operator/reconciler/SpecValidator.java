package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.SecretSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
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

    static final Set<String> LIMIT_RESETS = Set.of("daily", "weekly", "monthly");
    static final Set<String> DELETION_POLICIES = Set.of("Delete", "Retain");
    static final Pattern EXTERNAL_USER = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    static final Pattern QUALIFIED_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    static final Pattern SECRET_DATA_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");
    static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

    private final Optional<BigDecimal> maxSpendingLimit;

    public SpecValidator(Optional<BigDecimal> maxSpendingLimit) {
        this.maxSpendingLimit = maxSpendingLimit;
    }

    /** Every rule the MaiClient breaks; empty when it is valid. */
    public List<Violation> validate(MaiClient client) {
        List<Violation> out = new ArrayList<>();
        String name = client.getMetadata().getName();
        if (name != null && name.length() > 63) {
            out.add(new Violation("metadata.name", "must be at most 63 characters (it is the value of the label "
                    + Labels.CLIENT + " on the Secret)"));
        }
        MaiClientSpec spec = client.getSpec();
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
        secret(client, spec.getSecret(), out);
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
    static boolean controlOrLineBreak(int codePoint) {
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

    private static void secret(MaiClient client, SecretSpec secret, List<Violation> out) {
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
            } else if (labels && (e.getValue() == null || e.getValue().length() > 63 || !LABEL_VALUE.matcher(e.getValue()).matches())) {
                out.add(new Violation(field, "value of " + key + " must be at most 63 characters of letters, digits, '-', '_' and '.'"));
            }
        }
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
}
