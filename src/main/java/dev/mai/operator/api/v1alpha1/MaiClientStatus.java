package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed and did. Never holds the key, nor any part of it beyond OpenRouter's masked label. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MaiClientStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("KeyProvisioned, SecretSynced, KeyValid and Ready.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("OpenRouter's identifier (hash) of the current key.")
    private String keyHash;

    @JsonPropertyDescription("OpenRouter's masked label of the current key.")
    private String keyLabel;

    @JsonPropertyDescription("When OpenRouter created the current key.")
    private String keyCreatedAt;

    @JsonPropertyDescription("Name of the Secret holding the client's environment.")
    private String secretName;

    @JsonPropertyDescription("OPENROUTER_EXTERNAL_USER in effect; the default is computed once and kept here.")
    private String externalUser;

    @JsonPropertyDescription("Lifetime usage in USD of all keys of this client.")
    private String usage;

    @JsonPropertyDescription("Usage in USD in the current spendingLimit period (limitReset window; all time without one).")
    private String usageInPeriod;

    @JsonPropertyDescription("What the key may still spend in this period, USD; absent without a limit.")
    private String limitRemaining;

    @JsonPropertyDescription("When the limit resets next (00:00 UTC; weeks start on Monday); absent without limitReset.")
    private String nextLimitResetAt;

    @JsonPropertyDescription("Lifetime usage in USD of this client's replaced keys (counted in usage).")
    private String carriedUsage;

    @JsonPropertyDescription("What replaced keys spent in the limit period ending at carriedUntil, USD: the current "
            + "key's limit is spendingLimit minus this until then.")
    private String carriedUsageInPeriod;

    @JsonPropertyDescription("End of the limit period carriedUsageInPeriod belongs to; absent without limitReset.")
    private String carriedUntil;

    @JsonPropertyDescription("Set before the operator asks OpenRouter for a key and cleared once the key is stored: "
            + "while set, a key may exist on OpenRouter that no Secret holds yet.")
    private String keyCreationStartedAt;

    @JsonPropertyDescription("True while the current key is disabled by this operator: for spec.disableKey, or because "
            + "the period's budget is used up (never by a limit of 0). Such a key is enabled again only by the operator, "
            + "when the brake is released or the budget returns; a key disabled by anyone else stays disabled. Absent "
            + "otherwise.")
    private Boolean keyDisabledByOperator;

    @JsonPropertyDescription("Where the management key of the current key came from: the Secret of "
            + "spec.provisioningKeySecretRef (held by a finalizer meanwhile), or absent for the operator-wide key.")
    private ProvisioningKeyRef provisioningKeySecretRef;

    @JsonPropertyDescription("When the current key is next replaced: by the schedule (spec.rotation), by a rotation asked for "
            + "with mai.dev/rotate that waits for its 5-minute spacing, or, when a due rotation would leave the new key "
            + "nothing to spend, at the limit reset.")
    private String nextRotationAt;

    @JsonPropertyDescription("The value of the annotation mai.dev/rotate last acted on.")
    private String rotationRequest;

    @JsonPropertyDescription("Old keys still to be deleted on OpenRouter.")
    private List<PendingRevocation> pendingRevocations;

    @JsonPropertyDescription("The adoption of an existing key (spec.adoptKeyFrom): under way or done.")
    private AdoptionStatus adoption;

    @JsonPropertyDescription("The budget alerts already announced in the current limit period (kept here so that an "
            + "operator restart or a new leader neither repeats nor loses one).")
    private BudgetAlertStatus budgetAlerts;

    public BudgetAlertStatus getBudgetAlerts() {
        return budgetAlerts;
    }

    public void setBudgetAlerts(BudgetAlertStatus budgetAlerts) {
        this.budgetAlerts = budgetAlerts;
    }

    public AdoptionStatus getAdoption() {
        return adoption;
    }

    public void setAdoption(AdoptionStatus adoption) {
        this.adoption = adoption;
    }

    public String getNextRotationAt() {
        return nextRotationAt;
    }

    public void setNextRotationAt(String nextRotationAt) {
        this.nextRotationAt = nextRotationAt;
    }

    public String getRotationRequest() {
        return rotationRequest;
    }

    public void setRotationRequest(String rotationRequest) {
        this.rotationRequest = rotationRequest;
    }

    public MaiClientStatus() {
    }

    /** A deep enough copy to build the next status without touching the cached resource. */
    public MaiClientStatus(MaiClientStatus other) {
        this.observedGeneration = other.observedGeneration;
        this.conditions = new ArrayList<>(other.conditions == null ? List.of() : other.conditions);
        this.keyHash = other.keyHash;
        this.keyLabel = other.keyLabel;
        this.keyCreatedAt = other.keyCreatedAt;
        this.nextRotationAt = other.nextRotationAt;
        this.rotationRequest = other.rotationRequest;
        this.secretName = other.secretName;
        this.externalUser = other.externalUser;
        this.usage = other.usage;
        this.usageInPeriod = other.usageInPeriod;
        this.limitRemaining = other.limitRemaining;
        this.nextLimitResetAt = other.nextLimitResetAt;
        this.carriedUsage = other.carriedUsage;
        this.carriedUsageInPeriod = other.carriedUsageInPeriod;
        this.carriedUntil = other.carriedUntil;
        this.keyCreationStartedAt = other.keyCreationStartedAt;
        this.keyDisabledByOperator = other.keyDisabledByOperator;
        this.provisioningKeySecretRef = other.provisioningKeySecretRef;
        this.budgetAlerts = other.budgetAlerts;
        this.pendingRevocations = other.pendingRevocations == null ? null : new ArrayList<>(other.pendingRevocations);
        this.adoption = other.adoption == null ? null : new AdoptionStatus(other.adoption);
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getKeyHash() {
        return keyHash;
    }

    public void setKeyHash(String keyHash) {
        this.keyHash = keyHash;
    }

    public String getKeyLabel() {
        return keyLabel;
    }

    public void setKeyLabel(String keyLabel) {
        this.keyLabel = keyLabel;
    }

    public String getKeyCreatedAt() {
        return keyCreatedAt;
    }

    public void setKeyCreatedAt(String keyCreatedAt) {
        this.keyCreatedAt = keyCreatedAt;
    }

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public String getExternalUser() {
        return externalUser;
    }

    public void setExternalUser(String externalUser) {
        this.externalUser = externalUser;
    }

    public String getUsage() {
        return usage;
    }

    public void setUsage(String usage) {
        this.usage = usage;
    }

    public String getKeyCreationStartedAt() {
        return keyCreationStartedAt;
    }

    public void setKeyCreationStartedAt(String keyCreationStartedAt) {
        this.keyCreationStartedAt = keyCreationStartedAt;
    }

    public Boolean getKeyDisabledByOperator() {
        return keyDisabledByOperator;
    }

    public void setKeyDisabledByOperator(Boolean keyDisabledByOperator) {
        this.keyDisabledByOperator = keyDisabledByOperator;
    }

    public ProvisioningKeyRef getProvisioningKeySecretRef() {
        return provisioningKeySecretRef;
    }

    public void setProvisioningKeySecretRef(ProvisioningKeyRef provisioningKeySecretRef) {
        this.provisioningKeySecretRef = provisioningKeySecretRef;
    }

    public List<PendingRevocation> getPendingRevocations() {
        return pendingRevocations;
    }

    public void setPendingRevocations(List<PendingRevocation> pendingRevocations) {
        this.pendingRevocations = pendingRevocations == null || pendingRevocations.isEmpty() ? null : pendingRevocations;
    }

    public String getUsageInPeriod() {
        return usageInPeriod;
    }

    public void setUsageInPeriod(String usageInPeriod) {
        this.usageInPeriod = usageInPeriod;
    }

    public String getLimitRemaining() {
        return limitRemaining;
    }

    public void setLimitRemaining(String limitRemaining) {
        this.limitRemaining = limitRemaining;
    }

    public String getNextLimitResetAt() {
        return nextLimitResetAt;
    }

    public void setNextLimitResetAt(String nextLimitResetAt) {
        this.nextLimitResetAt = nextLimitResetAt;
    }

    public String getCarriedUsage() {
        return carriedUsage;
    }

    public void setCarriedUsage(String carriedUsage) {
        this.carriedUsage = carriedUsage;
    }

    public String getCarriedUsageInPeriod() {
        return carriedUsageInPeriod;
    }

    public void setCarriedUsageInPeriod(String carriedUsageInPeriod) {
        this.carriedUsageInPeriod = carriedUsageInPeriod;
    }

    public String getCarriedUntil() {
        return carriedUntil;
    }

    public void setCarriedUntil(String carriedUntil) {
        this.carriedUntil = carriedUntil;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MaiClientStatus s)) {
            return false;
        }
        return Objects.equals(observedGeneration, s.observedGeneration)
                && Objects.equals(conditions, s.conditions)
                && Objects.equals(keyHash, s.keyHash)
                && Objects.equals(keyLabel, s.keyLabel)
                && Objects.equals(keyCreatedAt, s.keyCreatedAt)
                && Objects.equals(nextRotationAt, s.nextRotationAt)
                && Objects.equals(rotationRequest, s.rotationRequest)
                && Objects.equals(secretName, s.secretName)
                && Objects.equals(externalUser, s.externalUser)
                && Objects.equals(usage, s.usage)
                && Objects.equals(usageInPeriod, s.usageInPeriod)
                && Objects.equals(limitRemaining, s.limitRemaining)
                && Objects.equals(nextLimitResetAt, s.nextLimitResetAt)
                && Objects.equals(carriedUsage, s.carriedUsage)
                && Objects.equals(carriedUsageInPeriod, s.carriedUsageInPeriod)
                && Objects.equals(carriedUntil, s.carriedUntil)
                && Objects.equals(keyCreationStartedAt, s.keyCreationStartedAt)
                && Objects.equals(keyDisabledByOperator, s.keyDisabledByOperator)
                && Objects.equals(provisioningKeySecretRef, s.provisioningKeySecretRef)
                && Objects.equals(pendingRevocations, s.pendingRevocations)
                && Objects.equals(adoption, s.adoption)
                && Objects.equals(budgetAlerts, s.budgetAlerts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, keyHash, keyLabel, keyCreatedAt, secretName, externalUser, usage,
                usageInPeriod, limitRemaining, nextLimitResetAt, carriedUsage, carriedUsageInPeriod, carriedUntil, keyCreationStartedAt, keyDisabledByOperator, provisioningKeySecretRef,
                pendingRevocations, adoption, budgetAlerts);
    }
}
