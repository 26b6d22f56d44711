package dev.mai.operator.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The informers' item store keeps everything of an object the operator reads, and not its managedFields. */
class LeanCacheTest {

    @Test
    void anObjectIsCachedWithoutItsManagedFieldsAndWithAllElse() {
        Secret secret = new SecretBuilder().withNewMetadata().withName("acme-env").withNamespace("acme").withResourceVersion("42")
                .withUid("u-1").addToLabels("app.kubernetes.io/managed-by", "mai-operator").addToAnnotations("mai.dev/env-revision", "7")
                .addNewOwnerReference().withUid("mc-1").withName("acme").withKind("MaiClient").endOwnerReference()
                .withManagedFields(new ManagedFieldsEntryBuilder().withManager("mai-operator").withOperation("Update").build(),
                        new ManagedFieldsEntryBuilder().withManager("kubectl").withOperation("Update").build())
                .endMetadata().addToData(Map.of("OPENROUTER_API_KEY", "c2stb3ItdjEtdGVzdA==")).build();
        LeanCache<Secret> cache = new LeanCache<>();

        cache.put(cache.getKey(secret), secret);
        Secret cached = cache.get("acme/acme-env");

        assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(cached.getMetadata().getName()).isEqualTo("acme-env");
        assertThat(cached.getMetadata().getNamespace()).isEqualTo("acme");
        assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(cached.getMetadata().getUid()).isEqualTo("u-1");
        assertThat(cached.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "mai-operator");
        assertThat(cached.getMetadata().getAnnotations()).containsEntry("mai.dev/env-revision", "7");
        assertThat(cached.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo("mc-1"));
        assertThat(cached.getData()).containsEntry("OPENROUTER_API_KEY", "c2stb3ItdjEtdGVzdA==");
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.remove("acme/acme-env")).isSameAs(cached);
        assertThat(cache.get("acme/acme-env")).isNull();
    }
}
