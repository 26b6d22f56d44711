package dev.mai.operator.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

/** The operator's client reads every object without its managedFields, and all else as it is. */
class KubernetesJsonTest {

    private static KubernetesSerialization serialization() {
        ObjectMapper mapper = new ObjectMapper();
        new KubernetesJson().customize(mapper);
        return new KubernetesSerialization(mapper, true);
    }

    @Test
    void managedFieldsAreSkippedWhenReadAndNothingElseIs() {
        String json = """
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"acme-env","namespace":"acme","uid":"u-1",
                 "resourceVersion":"42","labels":{"app.kubernetes.io/managed-by":"mai-operator"},
                 "annotations":{"mai.dev/env-revision":"7"},
                 "ownerReferences":[{"apiVersion":"mai.dev/v1alpha1","kind":"MaiClient","name":"acme","uid":"mc-1"}],
                 "managedFields":[{"manager":"mai-operator","operation":"Update","apiVersion":"v1",
                   "fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:OPENROUTER_API_KEY":{}}}}]},
                 "data":{"OPENROUTER_API_KEY":"c2stb3ItdjEtdGVzdA=="},"type":"Opaque"}
                """;

        Secret read = serialization().unmarshal(json, Secret.class);

        assertThat(read.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(read.getMetadata().getName()).isEqualTo("acme-env");
        assertThat(read.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(read.getMetadata().getUid()).isEqualTo("u-1");
        assertThat(read.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "mai-operator");
        assertThat(read.getMetadata().getAnnotations()).containsEntry("mai.dev/env-revision", "7");
        assertThat(read.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo("mc-1"));
        assertThat(read.getData()).containsEntry("OPENROUTER_API_KEY", "c2stb3ItdjEtdGVzdA==");
        // and an update built from it sends none: the API server keeps its own
        assertThat(serialization().asJson(read)).doesNotContain("managedFields");
    }

    @Test
    void managedFieldsSetOnAnObjectAreStillWritten() {
        Secret secret = new SecretBuilder().withNewMetadata().withName("s")
                .withManagedFields(new ManagedFieldsEntryBuilder().withManager("someone").build()).endMetadata().build();

        assertThat(serialization().asJson(secret)).contains("\"managedFields\":[{\"manager\":\"someone\"}]");
    }
}
