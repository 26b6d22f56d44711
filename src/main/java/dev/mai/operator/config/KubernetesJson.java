package dev.mai.operator.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * How the operator's Kubernetes client reads JSON: every object's {@code metadata.managedFields} (the
 * API server's record of which client set which field) is skipped while reading. The operator never
 * reads them, and on a real API server they are the larger part of a small object such as a MaiClient
 * with its status or a Secret: kept in the informer caches they cost about 9 KB of heap per client,
 * and reading them costs CPU at every watch event. An update built from an object read this way sends
 * no managedFields, which the API server takes as "leave them as they are". (An informer item store
 * that drops them would do the same for the caches only, but JOSDK hands one item store to every
 * namespace's informer when the operator watches a list of namespaces, and a shared store loses
 * objects.)
 */
@Singleton
public class KubernetesJson implements KubernetesClientObjectMapperCustomizer {

    /** managedFields skipped when read; written when set (the operator sets none). */
    @JsonIgnoreProperties(value = "managedFields", allowGetters = true)
    abstract static class WithoutManagedFields {
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.addMixIn(ObjectMeta.class, WithoutManagedFields.class);
    }
}
