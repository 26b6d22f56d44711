package dev.mai.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One client company's mAI instance: its organization, spending limit and the OpenRouter key the
 * operator keeps for it.
 */
@Group("mai.dev")
@Version("v1alpha1")
@Plural("maiclients")
@ShortNames("mc")
@Categories("mai")
// what a platform team asks first: the money (limit, spent in this period, what is left, when it resets) and
// whether the client works; lifetime usage and the plumbing go to -o wide. RESETS is a string column: kubectl
// shows a date column as an age, and a future time as "<invalid>"
@AdditionalPrinterColumn(name = "Organization", jsonPath = ".spec.organizationName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Limit", jsonPath = ".spec.spendingLimit", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Used", jsonPath = ".status.usageInPeriod", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Remaining", jsonPath = ".status.limitRemaining", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Resets", jsonPath = ".status.nextLimitResetAt", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Total Used", jsonPath = ".status.usage", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Secret", jsonPath = ".status.secretName", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "External User", jsonPath = ".status.externalUser", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Key Valid", jsonPath = ".status.conditions[?(@.type==\"KeyValid\")].status", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Budget Low", jsonPath = ".status.conditions[?(@.type==\"BudgetLow\")].status", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Paused", jsonPath = ".status.conditions[?(@.type==\"Paused\")].status", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
// CEL sees metadata.name without a maxLength: concatenated once per list entry, its estimated cost would exceed
// the API server's budget (10M per rule), so the name is built once and looked up in the list
@ValidationRule(value = "!has(self.spec) || !has(self.spec.app) || self.metadata.name.matches('^[a-z]([-a-z0-9]{0,57}[a-z0-9])?$')",
        message = "with spec.app, metadata.name must be a DNS label of at most 59 characters starting with a letter "
                + "(the Service <name>-app is named after it)")
@ValidationRule(value = "!has(self.spec) || !has(self.spec.app) || !has(self.spec.rolloutTargets) || "
        + "!((self.metadata.name + '-app') in self.spec.rolloutTargets.filter(t, t.kind == 'Deployment').map(t, t.name))",
        message = "rolloutTargets may not name the Deployment <name>-app: with spec.app the operator manages it",
        fieldPath = ".spec.rolloutTargets")
public class MaiClient extends CustomResource<MaiClientSpec, MaiClientStatus> implements Namespaced {

    /** Finalizer held while the OpenRouter key may still need to be deleted or retained. */
    public static final String FINALIZER = "mai.dev/key-cleanup";
}
