package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * What a client company gets. Every rule here is also enforced by
 * {@link dev.mai.operator.core.SpecValidator}, because not every API server enforces the
 * schema. Unknown fields (a newer CRD installed before the operator) are ignored, never fatal.
 * No schema defaults: the operator applies defaults, so GitOps tools see no drift.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MaiClientSpec {

    @JsonPropertyDescription("Client company name, 3-200 characters (Unicode code points), no control or line-breaking characters. "
            + "Written to ORGANIZATION_NAME and used in the OpenRouter key name.")
    @Required
    @Size(min = 3, max = 200)
    @Pattern("^[^\\p{Cc}\\p{Zl}\\p{Zp}]*$")
    @ValidationRule(value = "!(self.contains(\"'\") && (self.contains('\"') || self.contains('$') || self.contains('`') || self.contains('\\\\')))",
            message = "a name containing ' may not also contain \", $, ` or \\ (no .env quoting carries it through every reader)")
    @ValidationRule(value = "!((self.contains('\\\\\\\\') || self.endsWith('\\\\')) && (self.contains('$') || self.contains('`')))",
            message = "a name with a doubled or trailing backslash may not also contain $ or ` (no .env quoting carries it through every reader)")
    @ValidationRule(value = "!self.matches('[$][{][^}:]*(:-[^}]*)?}')",
            message = "must not contain a ${NAME} reference (python-dotenv expands it inside any quotes)")
    private String organizationName;

    @JsonPropertyDescription("USD spending limit of the client's OpenRouter key: \"unlimited\" or a positive amount "
            + "with at most 2 decimals, as a string or an integer, e.g. 1000 or \"12.50\" (digits and an optional point: "
            + "no sign, exponent or spaces). It applies per limitReset period and is set on the key by the "
            + "operator; a lowered limit applies even while the MaiClient is paused. At most the operator's cap "
            + "(MAI_MAX_SPENDING_LIMIT) and the namespace's cap (label mai.dev/max-spending-limit on the Namespace, set by the "
            + "cluster's administrator), and not unlimited under either; a cap lowered later holds the key at the cap.")
    @Required
    @JsonDeserialize(using = LenientIntOrStringDeserializer.class)
    @ValidationRule(value = "type(self) == int ? (self > 0 && self <= 2147483647) : (self == 'unlimited' || (self.matches('^[0-9]{1,12}([.][0-9]{1,2})?$') && !self.matches('^0+([.]0*)?$')))",
            message = "must be \"unlimited\" or a positive USD amount with at most 2 decimals")
    private IntOrString spendingLimit;

    @JsonPropertyDescription("When the limit resets: daily, weekly or monthly (00:00 UTC; weeks start Monday). Absent: never.")
    @Pattern("^(daily|weekly|monthly)$")
    private String limitReset;

    @JsonPropertyDescription("Value of OPENROUTER_EXTERNAL_USER, [A-Za-z0-9_.-]{1,64}. "
            + "Default: mai_client_ + first 8 hex of MD5(organizationName), computed once and kept in status; a default "
            + "another MaiClient of this namespace already uses gives a Warning event ExternalUserCollision (one of another "
            + "namespace, another tenant's, is only logged). Removing the "
            + "field later keeps the value in effect: an identity never changes silently.")
    @Pattern("^[A-Za-z0-9_.-]{1,64}$")
    private String externalUser;

    @JsonPropertyDescription("A management key in a labelled Secret of this namespace, for a tenant billed to another "
            + "OpenRouter account. There is no namespace field: only a Secret of the MaiClient's own namespace can be named. "
            + "Absent: the operator-wide management key.")
    private ProvisioningKeyRef provisioningKeySecretRef;

    @JsonPropertyDescription("The Secret the operator writes the client's environment to (OPENROUTER_API_KEY and five more variables, "
            + "and the same as a .env file): its name and extra labels and annotations. Absent: <metadata.name>-env.")
    private SecretSpec secret;

    @JsonPropertyDescription("What happens to the OpenRouter key and its Secret when this MaiClient is deleted: "
            + "Delete (the default; both are deleted) or Retain (both are kept). Deletion runs even while the MaiClient is paused.")
    @Pattern("^(Delete|Retain)$")
    private String deletionPolicy;

    @JsonPropertyDescription("true disables the key on OpenRouter without deleting anything (the billing brake); "
            + "false enables it again. Absent: false. Applies even while the MaiClient is paused.")
    private Boolean disableKey;

    @JsonPropertyDescription("The client's application instance, managed by the operator: a Deployment <name>-app, "
            + "a Service and optional storage. Absent: no application is run.")
    private AppSpec app;

    @JsonPropertyDescription("Existing Deployments or StatefulSets of this namespace that consume the Secret and must "
            + "restart when it changes: at most 32, each once, and with spec.app not the Deployment <name>-app. Absent: none.")
    @Size(max = 32)
    @ValidationRule(value = "self.all(t, self.exists_one(u, u.kind == t.kind && u.name == t.name))",
            message = "may not list the same workload twice")
    private java.util.List<RolloutTarget> rolloutTargets;

    @JsonPropertyDescription("Scheduled key rotation. A rotation can also be asked for by setting the annotation "
            + "mai.dev/rotate to a new value (honoured at most once per 5 minutes). Absent: no scheduled rotation.")
    private RotationSpec rotation;

    @JsonPropertyDescription("Take over an existing OpenRouter key (from a Secret of this namespace) instead of "
            + "creating one; only in namespaces the operator's administrator opened to adoption. The key keeps its spend; "
            + "it is renamed for this MaiClient and gets its limit. Done once, for a MaiClient that has no key yet. "
            + "Absent: no adoption, a new key is created.")
    private AdoptKeyFrom adoptKeyFrom;

    @JsonPropertyDescription("Percentages of the period's spending limit (1-100, at most 10, each once) whose crossing "
            + "sets BudgetLow=True and posts one Warning event BudgetLow per threshold and period. Absent: 80 and 95; "
            + "an empty list: no budget alerts. Without a spending limit there is nothing to alert on.")
    @Size(max = 10)
    @ValidationRule(value = "self.all(p, p >= 1 && p <= 100)", message = "each threshold must be a percentage from 1 to 100")
    @ValidationRule(value = "self.all(p, self.exists_one(q, q == p))", message = "may not list the same threshold twice")
    private java.util.List<Integer> budgetAlerts;

    public java.util.List<Integer> getBudgetAlerts() {
        return budgetAlerts;
    }

    public void setBudgetAlerts(java.util.List<Integer> budgetAlerts) {
        this.budgetAlerts = budgetAlerts;
    }

    public AdoptKeyFrom getAdoptKeyFrom() {
        return adoptKeyFrom;
    }

    public void setAdoptKeyFrom(AdoptKeyFrom adoptKeyFrom) {
        this.adoptKeyFrom = adoptKeyFrom;
    }

    public AppSpec getApp() {
        return app;
    }

    public void setApp(AppSpec app) {
        this.app = app;
    }

    public java.util.List<RolloutTarget> getRolloutTargets() {
        return rolloutTargets;
    }

    public void setRolloutTargets(java.util.List<RolloutTarget> rolloutTargets) {
        this.rolloutTargets = rolloutTargets;
    }

    public RotationSpec getRotation() {
        return rotation;
    }

    public void setRotation(RotationSpec rotation) {
        this.rotation = rotation;
    }

    public String getOrganizationName() {
        return organizationName;
    }

    public void setOrganizationName(String organizationName) {
        this.organizationName = organizationName;
    }

    public IntOrString getSpendingLimit() {
        return spendingLimit;
    }

    public void setSpendingLimit(IntOrString spendingLimit) {
        this.spendingLimit = spendingLimit;
    }

    public String getLimitReset() {
        return limitReset;
    }

    public void setLimitReset(String limitReset) {
        this.limitReset = limitReset;
    }

    public String getExternalUser() {
        return externalUser;
    }

    public void setExternalUser(String externalUser) {
        this.externalUser = externalUser;
    }

    public ProvisioningKeyRef getProvisioningKeySecretRef() {
        return provisioningKeySecretRef;
    }

    public void setProvisioningKeySecretRef(ProvisioningKeyRef provisioningKeySecretRef) {
        this.provisioningKeySecretRef = provisioningKeySecretRef;
    }

    public SecretSpec getSecret() {
        return secret;
    }

    public void setSecret(SecretSpec secret) {
        this.secret = secret;
    }

    public String getDeletionPolicy() {
        return deletionPolicy;
    }

    public void setDeletionPolicy(String deletionPolicy) {
        this.deletionPolicy = deletionPolicy;
    }

    public Boolean getDisableKey() {
        return disableKey;
    }

    public void setDisableKey(Boolean disableKey) {
        this.disableKey = disableKey;
    }
}
