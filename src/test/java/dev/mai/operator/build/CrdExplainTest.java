package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.mai.operator.reconciler.Conditions;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What {@code kubectl get} and {@code kubectl explain} show, as the committed CRD ({@code crds/}, which
 * {@code make verify} holds to the build's output) declares it: the columns a platform team reads, the
 * category {@code mai}, a description on every field at every depth, and a conditions description that
 * names every condition type and every reason the operator sets — found by reflection over
 * {@link Conditions}, so a new type or reason without words here fails.
 */
class CrdExplainTest {

    private static final Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");
    private static final Set<String> CONDITION_STATUSES = Set.of(Conditions.TRUE, Conditions.FALSE, Conditions.UNKNOWN);

    private static CustomResourceDefinitionVersion version() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
        assertThat(crd.getSpec().getVersions()).hasSize(1);
        return crd.getSpec().getVersions().get(0);
    }

    private static JSONSchemaProps root() throws IOException {
        return version().getSchema().getOpenAPIV3Schema();
    }

    // --- kubectl get -------------------------------------------------------------------------------

    @Test
    void theDefaultColumnsAreTheMoneyAndReadinessAndWideAddsLifetimeUsageAndThePlumbing() throws IOException {
        List<CustomResourceColumnDefinition> columns = version().getAdditionalPrinterColumns();

        assertThat(columns).extracting(CustomResourceColumnDefinition::getName, CustomResourceColumnDefinition::getJsonPath,
                CustomResourceColumnDefinition::getType, CustomResourceColumnDefinition::getPriority).containsExactly(
                // priority 0 is the default, left out (the API server drops it; kubectl apply would say "configured" every time)
                tuple("Organization", ".spec.organizationName", "string", null),
                tuple("Limit", ".spec.spendingLimit", "string", null),
                tuple("Used", ".status.usageInPeriod", "string", null),
                tuple("Remaining", ".status.limitRemaining", "string", null),
                // a string: a date column shows a time in the future as "<invalid>"
                tuple("Resets", ".status.nextLimitResetAt", "string", null),
                tuple("Ready", ".status.conditions[?(@.type==\"Ready\")].status", "string", null),
                tuple("Reason", ".status.conditions[?(@.type==\"Ready\")].reason", "string", null),
                tuple("Age", ".metadata.creationTimestamp", "date", null),
                tuple("Total Used", ".status.usage", "string", 1),
                tuple("Secret", ".status.secretName", "string", 1),
                tuple("External User", ".status.externalUser", "string", 1),
                tuple("Key Valid", ".status.conditions[?(@.type==\"KeyValid\")].status", "string", 1),
                tuple("Budget Low", ".status.conditions[?(@.type==\"BudgetLow\")].status", "string", 1),
                tuple("Paused", ".status.conditions[?(@.type==\"Paused\")].status", "string", 1));
    }

    @Test
    void everyColumnShowsAFieldTheSchemaHasWithADescription() throws IOException {
        JSONSchemaProps root = root();
        for (CustomResourceColumnDefinition c : version().getAdditionalPrinterColumns()) {
            String path = c.getJsonPath().replaceFirst("^\\.", "").replaceFirst("\\[\\?.*\\)]", "[]");
            if (path.startsWith("metadata.")) {
                continue;
            }
            assertThat(CrdColumns.at(root, path).getDescription()).as("column %s: %s", c.getName(), path).isNotBlank();
        }
    }

    @Test
    void kubectlGetMaiListsMaiClients() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
        assertThat(crd.getSpec().getNames().getCategories()).containsExactly("mai");
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("mc");
    }

    // --- kubectl explain ---------------------------------------------------------------------------

    @Test
    void theKindItsSpecAndItsStatusAreDescribed() throws IOException {
        JSONSchemaProps root = root();
        assertThat(root.getDescription()).contains("OpenRouter API key").contains("spending limit");
        assertThat(root.getProperties().get("spec").getDescription()).contains("What the client should have");
        assertThat(root.getProperties().get("status").getDescription()).contains("written only by the operator");
    }

    @Test
    void everyFieldAtEveryDepthHasADescription() throws IOException {
        List<String> fields = new ArrayList<>();
        List<String> undescribed = undescribed(root(), fields);

        assertThat(fields).as("fields walked").hasSizeGreaterThan(100)
                .contains("spec.app.env[].valueFrom.fieldRef.fieldPath", "status.conditions[].reason",
                        "status.budgetAlerts.raised", "status.adoption.adoptedAt", "spec.app.tolerations[].effect");
        assertThat(undescribed).as("fields kubectl explain would show without a description").isEmpty();
    }

    @Test
    void theWalkReportsAFieldWithoutADescriptionDeepDown() throws IOException {
        JSONSchemaProps root = root();
        CrdColumns.at(root, "spec.app.storage.mountPath").setDescription(null);
        CrdColumns.at(root, "status.conditions[].observedGeneration").setDescription(" ");

        assertThat(undescribed(root, new ArrayList<>()))
                .containsExactly("spec.app.storage.mountPath", "status.conditions[].observedGeneration");
    }

    @Test
    void theConditionsDescriptionNamesEveryConditionTypeAndEveryReason() throws IOException {
        String description = root().getProperties().get("status").getProperties().get("conditions").getDescription();
        Set<String> types = constants(Conditions.class);
        Set<String> reasons = constants(Conditions.Reason.class);
        assertThat(types).contains(Conditions.READY, Conditions.BUDGET_LOW, Conditions.PAUSED, Conditions.RECONCILING,
                Conditions.STALLED).hasSize(12);
        assertThat(reasons).contains(Conditions.Reason.INVALID_SPEC, Conditions.Reason.THRESHOLD_CROSSED).hasSizeGreaterThan(30);

        assertThat(unnamed(description, types)).as("condition types missing from status.conditions' description").isEmpty();
        assertThat(unnamed(description, reasons)).as("reasons missing from status.conditions' description").isEmpty();
        assertThat(description).contains("mai.dev/paused").contains("spec.budgetAlerts").contains("kstatus");
        // the reasons that make Stalled True are the ones listed as needing a person
        String needAPerson = description.substring(description.indexOf("Reasons that need a person"));
        Set<String> listed = new TreeSet<>(reasons);
        listed.removeAll(unnamed(needAPerson, reasons));
        assertThat(listed).as("reasons listed as needing a person").containsExactlyInAnyOrderElementsOf(Conditions.TERMINAL);
    }

    @Test
    void aReasonMissingFromTheDescriptionIsFound() throws IOException {
        String description = root().getProperties().get("status").getProperties().get("conditions").getDescription();
        String without = description.replace("KeyDisabledOutside", "Key-Disabled-Outside");

        // KeyDisabled is still named: a whole word is looked for, not a prefix of a longer one
        assertThat(unnamed(without, constants(Conditions.Reason.class))).containsExactly("KeyDisabledOutside");
    }

    /** The values of the public String constants of {@code type}, condition statuses (True, False, Unknown) aside. */
    static Set<String> constants(Class<?> type) {
        Set<String> out = new TreeSet<>();
        for (Field f : type.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == String.class) {
                try {
                    String value = (String) f.get(null);
                    if (!CONDITION_STATUSES.contains(value)) {
                        out.add(value);
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    /** The words of {@code words} that {@code text} does not contain as whole words. */
    private static List<String> unnamed(String text, Set<String> words) {
        return words.stream().filter(w -> !Pattern.compile("(?<![A-Za-z])" + Pattern.quote(w) + "(?![A-Za-z])").matcher(text).find())
                .toList();
    }

    /**
     * Every named field under {@code root} (properties, through list items and map values) whose
     * description is missing or blank; {@code walked} gets every field seen. List items and map values
     * themselves need none: kubectl explain shows the field's own.
     */
    private static List<String> undescribed(JSONSchemaProps root, List<String> walked) {
        List<String> out = new ArrayList<>();
        walk("", root, walked, out);
        return out;
    }

    private static void walk(String path, JSONSchemaProps schema, List<String> walked, List<String> out) {
        if (schema.getProperties() != null) {
            schema.getProperties().forEach((name, child) -> {
                String at = path.isEmpty() ? name : path + "." + name;
                walked.add(at);
                if (child.getDescription() == null || child.getDescription().isBlank()) {
                    out.add(at);
                }
                walk(at, child, walked, out);
            });
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            walk(path + "[]", schema.getItems().getSchema(), walked, out);
        }
        if (schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
            walk(path + "{}", schema.getAdditionalProperties().getSchema(), walked, out);
        }
    }
}
