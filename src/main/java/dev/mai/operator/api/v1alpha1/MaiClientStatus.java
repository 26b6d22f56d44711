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

    /**
     * What {@code kubectl explain maiclients.status.conditions} shows: every condition type and every
     * reason (a test holds this text to the constants the operator sets).
     */
    static final String CONDITIONS = "The state of the client, one entry per type, each with status True, False or Unknown, "
            + "a reason, a message that says what is wrong and how to go on, and the observedGeneration it describes. Types: "
            + "KeyProvisioned - the key exists on OpenRouter with the spec's name, limit, reset and enabled state. "
            + "SecretSynced - the Secret exists, is this MaiClient's and holds the current values. "
            + "KeyValid - the key authenticates, is enabled and has budget left, as last seen by the operator. "
            + "AppReady - only with spec.app: the Deployment <name>-app is available with the current Secret. "
            + "Ready - KeyProvisioned, SecretSynced and KeyValid (and AppReady with spec.app) are True; otherwise it has "
            + "the reason of the first part that is not. "
            + "AppRestricted - only with spec.app: the pod passes Pod Security restricted (False with securityProfile "
            + "baseline). Rotating - an old key waits in pendingRevocations until the consumers use the new one. "
            + "Adopted - only with spec.adoptKeyFrom: the key named there was adopted. "
            + "BudgetLow - the spend in this limit period reached a threshold of spec.budgetAlerts. "
            + "Paused - the annotation mai.dev/paused is \"true\": the operator changes nothing for this client but its status "
            + "and events, except that spec.disableKey and a lowered limit still apply and deletion still runs. "
            + "Reconciling (kstatus) - True while Ready is not True and progress is expected without a person. "
            + "Stalled (kstatus) - True when Ready has a reason that needs a person (listed below) or a rollout is stuck. "
            + "Both are False when Ready is True, the key is disabled by spec.disableKey or the client is paused, and "
            + "carry the reason and message of the condition they follow (Paused's while paused). Only Ready's parts make up Ready. Reasons: "
            + "Provisioned - the key matches the spec (Ready=True). Pending - not reconciled yet, or waiting for the key "
            + "of an unfinished create to appear. Synced - the Secret holds the current values. SecretTampered - the "
            + "Secret had been edited to hold or name another key; a new key of its own replaced it. Valid - the key "
            + "is enabled. KeyDisabled - disabled by spec.disableKey. Available - the application is rolled out. AppProgressing - the application is rolling out. "
            + "Restricted / BaselineRequested - AppRestricted True / False. Adopted - the key was adopted. Idle - no "
            + "rotation in progress. RotationInProgress - old keys wait for the consumers. "
            + "ThresholdCrossed - BudgetLow=True. WithinBudget - the spend is below every "
            + "threshold. NoLimit - no spending limit to alert on. Paused - Paused=True. "
            + "KeyNotAcceptedYet - a new key OpenRouter does not accept yet (Unknown while it propagates). "
            + "OpenRouterUnavailable, RateLimited - OpenRouter fails for now; retried with backoff. KeyRevoked - "
            + "deleted on OpenRouter; a new key replaces it at once (while it cannot, the reason says why). "
            + "Reasons that need a person (Stalled=True): InvalidSpec - the spec breaks a rule, which the message "
            + "names. ProvisioningKeyMissing, ProvisioningKeyRejected - the management key is absent or refused. "
            + "ProvisioningKeyChanged - the key was made with another account's management key. KeyOwnedElsewhere - "
            + "the key in status is not this installation's (annotation mai.dev/take-over). AdoptionRefused - "
            + "spec.adoptKeyFrom cannot be acted on. InsufficientCredits, OpenRouterRejected - OpenRouter refused the "
            + "request (not a passing failure; tried again every 5 minutes). SecretConflict - a Secret of that name is not this MaiClient's. SecretWriteFailed - the "
            + "API server refused the Secret. AppRejected - it refused the application's objects. "
            + "KeyDisabledOutside - disabled by someone else; stays so. LimitExhausted - the period's budget is used up until the "
            + "reset or a higher limit. RolloutStuck - a rollout (the application's, or a consumer's during a rotation) "
            + "passed its progress deadline.";

    @JsonPropertyDescription("The metadata.generation this status describes (each condition carries its own too), so that "
            + "kubectl wait --for=condition=Ready waits for the current spec.")
    private Long observedGeneration;

    @JsonPropertyDescription(CONDITIONS)
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("OpenRouter's identifier (hash) of the current key: it names the key and cannot be used as one.")
    private String keyHash;

    @JsonPropertyDescription("OpenRouter's masked label of the current key (its first and last characters), never the key itself.")
    private String keyLabel;

    @JsonPropertyDescription("When OpenRouter created the current key (RFC 3339 time).")
    private String keyCreatedAt;

    @JsonPropertyDescription("Name of the Secret holding the client's environment: spec.secret.name, or <metadata.name>-env.")
    private String secretName;

    @JsonPropertyDescription("OPENROUTER_EXTERNAL_USER in effect; the default is computed once and kept here.")
    private String externalUser;

    @JsonPropertyDescription("Lifetime spend in USD of all keys of this client, replaced ones included (carriedUsage), as a decimal string "
            + "(the TOTAL USED column of kubectl get -o wide). The figures are rewritten together when one moves by at least "
            + "$1 or 1% of the limit, whichever is smaller, or when the period's spend crosses 50, 80, 90 or 100% of the "
            + "limit; the exact ones are metrics.")
    private String usage;

    @JsonPropertyDescription("Spend in USD of all keys of this client in the current limit period: today, this week or this month (UTC) "
            + "as spec.limitReset says, or all time without it (the USED column of kubectl get).")
    private String usageInPeriod;

    @JsonPropertyDescription("What the client may still spend in this period, USD: spendingLimit minus usageInPeriod (the REMAINING column "
            + "of kubectl get); absent with an unlimited spendingLimit.")
    private String limitRemaining;

    @JsonPropertyDescription("When the limit resets next, an RFC 3339 time at 00:00 UTC (weeks start on Monday; the RESETS column of "
            + "kubectl get); absent without spec.limitReset.")
    private String nextLimitResetAt;

    @JsonPropertyDescription("Lifetime usage in USD of this client's replaced keys (counted in usage).")
    private String carriedUsage;

    @JsonPropertyDescription("What replaced keys spent in the limit period ending at carriedUntil, USD: the current "
            + "key's limit is spendingLimit minus this until then.")
    private String carriedUsageInPeriod;

    @JsonPropertyDescription("End of the limit period carriedUsageInPeriod belongs to (RFC 3339 time); absent without limitReset.")
    private String carriedUntil;

    @JsonPropertyDescription("Set before the operator asks OpenRouter for a key and cleared once the key is stored: "
            + "while set, a key may exist on OpenRouter that no Secret holds yet (RFC 3339 time).")
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
            + "nothing to spend, at the limit reset (RFC 3339 time). Absent: no replacement is scheduled.")
    private String nextRotationAt;

    @JsonPropertyDescription("The value of the annotation mai.dev/rotate last acted on.")
    private String rotationRequest;

    @JsonPropertyDescription("Old keys still to be deleted on OpenRouter (kept here so that a crash cannot forget one). Absent: none.")
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
