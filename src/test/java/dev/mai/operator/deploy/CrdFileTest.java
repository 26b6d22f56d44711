package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    void printerColumnsAreSpec23InOrderWithTheWideOnesLast() throws IOException {
        List<CustomResourceColumnDefinition> columns = crd().getSpec().getVersions().get(0).getAdditionalPrinterColumns();
        assertThat(columns).extracting(CustomResourceColumnDefinition::getName)
                .containsExactly("Organization", "Limit", "Usage", "Ready", "Reason", "Age", "Secret", "External User", "Key Valid");
        assertThat(columns).extracting(CustomResourceColumnDefinition::getPriority).containsExactly(0, 0, 0, 0, 0, 0, 1, 1, 1);
        assertThat(columns).extracting(CustomResourceColumnDefinition::getJsonPath).containsExactly(
                ".spec.organizationName", ".spec.spendingLimit", ".status.usage",
                ".status.conditions[?(@.type==\"Ready\")].status", ".status.conditions[?(@.type==\"Ready\")].reason",
                ".metadata.creationTimestamp", ".status.secretName", ".status.externalUser",
                ".status.conditions[?(@.type==\"KeyValid\")].status");
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
}
