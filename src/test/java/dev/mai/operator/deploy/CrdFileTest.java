package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.RotationSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The committed CRD, as a cluster would get it (make verify checks it matches what the build generates). */
class CrdFileTest {

    private static final Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");

    private static CustomResourceDefinition crd() throws IOException {
        return Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
    }

    @Test
    void namesAndScopeAreTheSpecs() throws IOException {
        var spec = crd().getSpec();
        assertThat(spec.getGroup()).isEqualTo("mai.dev");
        assertThat(spec.getScope()).isEqualTo("Namespaced");
        assertThat(spec.getNames().getPlural()).isEqualTo("maiclients");
        assertThat(spec.getNames().getShortNames()).containsExactly("mc");
        assertThat(spec.getVersions()).singleElement().satisfies(v -> {
            assertThat(v.getName()).isEqualTo("v1alpha1");
            assertThat(v.getSubresources().getStatus()).isNotNull();
        });
    }

    @Test
    void theSchemaHasNoDefaultsAndCarriesTheValidationRules() throws IOException {
        String text = Files.readString(CRD);
        assertThat(text).doesNotContain("default:");
        JSONSchemaProps spec = crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertThat(spec.getRequired()).containsExactlyInAnyOrder("organizationName", "spendingLimit");
        JSONSchemaProps org = spec.getProperties().get("organizationName");
        assertThat(org.getMinLength()).isEqualTo(3L);
        assertThat(org.getMaxLength()).isEqualTo(200L);
        assertThat(org.getXKubernetesValidations()).hasSizeGreaterThanOrEqualTo(3);
        JSONSchemaProps limit = spec.getProperties().get("spendingLimit");
        assertThat(limit.getXKubernetesIntOrString()).isTrue();
        assertThat(limit.getXKubernetesValidations()).singleElement().satisfies(r -> assertThat(r.getRule()).contains("unlimited"));
        assertThat(spec.getProperties().get("provisioningKeySecretRef").getProperties()).containsOnlyKeys("name", "key");
    }

    private static JSONSchemaProps root() throws IOException {
        return crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    private static List<String> rules(JSONSchemaProps schema) {
        return schema.getXKubernetesValidations() == null ? List.of()
                : schema.getXKubernetesValidations().stream().map(ValidationRule::getRule).toList();
    }

    @Test
    void theAppSchemaCarriesTheValidatorsRules() throws IOException {
        JSONSchemaProps app = root().getProperties().get("spec").getProperties().get("app");
        assertThat(app.getRequired()).containsExactly("image");
        Map<String, JSONSchemaProps> fields = app.getProperties();
        assertThat(fields.get("image").getMinLength()).isEqualTo(1L);
        assertThat(fields.get("image").getMaxLength()).isEqualTo(1024L);
        assertThat(fields.get("image").getPattern()).isEqualTo(AppSpec.IMAGE);
        assertThat(fields.get("replicas").getMinimum()).isEqualTo(0.0);
        assertThat(fields.get("replicas").getMaximum()).isEqualTo(100.0);
        assertThat(fields.get("port").getMinimum()).isEqualTo(1.0);
        assertThat(fields.get("port").getMaximum()).isEqualTo(65535.0);
        assertThat(app.getXKubernetesValidations()).singleElement().satisfies(r -> {
            assertThat(r.getRule()).contains("self.replicas <= 1");
            assertThat(r.getFieldPath()).isEqualTo(".replicas");
        });
        JSONSchemaProps env = fields.get("env");
        assertThat(env.getMaxItems()).isEqualTo((long) AppSpec.MAX_ENV);
        assertThat(rules(env)).filteredOn(r -> r.contains("OPENROUTER")).singleElement().asString().contains("'OPENROUTER_API_KEY'",
                "'OPENROUTER_HOST'", "'OPENROUTER_EXTERNAL_USER'", "'ORGANIZATION_NAME'", "'SPENDING_LIMIT'", "'OPENROUTER_KEY_HASH'");
        JSONSchemaProps storage = fields.get("storage");
        assertThat(storage.getRequired()).containsExactly("size");
        JSONSchemaProps size = storage.getProperties().get("size");
        assertThat(size.getPattern()).isEqualTo(AppStorage.QUANTITY);
        assertThat(rules(size)).containsExactly("self.matches('[1-9]')");
        JSONSchemaProps storageClass = storage.getProperties().get("storageClassName");
        assertThat(storageClass.getMaxLength()).isEqualTo(253L);
        assertThat(storageClass.getPattern()).isEqualTo(root().getProperties().get("spec").getProperties().get("rolloutTargets")
                .getItems().getSchema().getProperties().get("name").getPattern());
        JSONSchemaProps mountPath = storage.getProperties().get("mountPath");
        assertThat(mountPath.getPattern()).isEqualTo(AppStorage.PATH);
        assertThat(mountPath.getMaxLength()).isEqualTo(1024L);
        assertThat(rules(mountPath)).hasSize(2).anySatisfy(r -> assertThat(r).contains("'" + AppStorage.DOTENV_PATH + "'", "'/'"));
    }

    /**
     * An env entry's valueFrom knows only the pod's own fields: secretKeyRef, configMapKeyRef, fileKeyRef
     * and whatever source Kubernetes adds next are not in the schema (strict field validation refuses them,
     * pruning drops them and leaves a valueFrom that the rule refuses).
     */
    @Test
    void anEnvEntryCanOnlyReadThePodsOwnFields() throws IOException {
        JSONSchemaProps env = root().getProperties().get("spec").getProperties().get("app").getProperties().get("env");
        JSONSchemaProps entry = env.getItems().getSchema();
        assertThat(entry.getProperties()).containsOnlyKeys("name", "value", "valueFrom");
        assertThat(entry.getProperties().get("valueFrom").getProperties()).containsOnlyKeys("fieldRef", "resourceFieldRef");
        assertThat(entry.getProperties().get("valueFrom").getXKubernetesPreserveUnknownFields()).isNull();
        assertThat(rules(env)).anySatisfy(r -> assertThat(r).contains("has(e.valueFrom.fieldRef)", "has(e.valueFrom.resourceFieldRef)"));
    }

    @Test
    void theSecurityProfileIsRestrictedOrBaselineWithNoDefault() throws IOException {
        JSONSchemaProps profile = root().getProperties().get("spec").getProperties().get("app").getProperties().get("securityProfile");
        assertThat(profile.getPattern()).isEqualTo("^(restricted|baseline)$");
        assertThat(profile.getDefault()).isNull();
        assertThat(profile.getDescription()).contains("AppRestricted");
    }

    @Test
    void theRolloutTargetAndRotationSchemaCarriesTheValidatorsRules() throws IOException {
        JSONSchemaProps root = root();
        JSONSchemaProps spec = root.getProperties().get("spec");
        JSONSchemaProps targets = spec.getProperties().get("rolloutTargets");
        assertThat(targets.getMaxItems()).isEqualTo(32L);
        assertThat(rules(targets)).singleElement().asString().contains("exists_one");
        JSONSchemaProps target = targets.getItems().getSchema();
        assertThat(target.getRequired()).containsExactlyInAnyOrder("kind", "name");
        assertThat(target.getProperties().get("kind").getPattern()).isEqualTo("^(Deployment|StatefulSet)$");
        assertThat(target.getProperties().get("name").getMaxLength()).isEqualTo(253L);
        assertThat(rules(root)).anySatisfy(r -> assertThat(r).asString().contains("self.metadata.name + '-app'"));
        assertThat(rules(root)).anySatisfy(r -> assertThat(r).asString().contains("{0,57}"));
        JSONSchemaProps rotation = spec.getProperties().get("rotation");
        assertThat(rotation.getRequired()).containsExactly("every");
        assertThat(rotation.getProperties().get("every").getPattern()).isEqualTo(RotationSpec.DURATION);
        assertThat(rules(rotation.getProperties().get("every"))).singleElement().asString().contains("duration('1h')");
    }

    /**
     * The API server refuses a CRD whose CEL rule may cost more than its budget, and estimates the cost
     * of a rule over a list without maxItems from the largest request (about a million entries).
     */
    @Test
    void everyListThatACelRuleIteratesHasMaxItems() throws IOException {
        List<String> unbounded = new ArrayList<>();
        collectUnboundedRuleLists("", root(), unbounded);
        assertThat(unbounded).isEmpty();
    }

    private static void collectUnboundedRuleLists(String path, JSONSchemaProps schema, List<String> out) {
        if ("array".equals(schema.getType()) && !rules(schema).isEmpty() && schema.getMaxItems() == null) {
            out.add(path);
        }
        if (schema.getProperties() != null) {
            schema.getProperties().forEach((name, child) -> collectUnboundedRuleLists(path + "." + name, child, out));
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            collectUnboundedRuleLists(path + "[]", schema.getItems().getSchema(), out);
        }
        if (schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
            collectUnboundedRuleLists(path + "{}", schema.getAdditionalProperties().getSchema(), out);
        }
    }
}
