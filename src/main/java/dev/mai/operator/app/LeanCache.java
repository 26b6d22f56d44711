package dev.mai.operator.app;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * The item store of every informer of the operator: each object is cached without its
 * {@code metadata.managedFields}, the API server's record of which client set which field. The
 * operator never reads them, and on a real API server they are the larger part of a small object
 * (a MaiClient with its status, a Secret): at 10,000 clients they held most of the operator's heap.
 * An update built from a cached object sends no managedFields, which the API server reads as "leave
 * them as they are", so nothing is lost on the server.
 */
public class LeanCache<R extends HasMetadata> extends TransformingItemStore<R> {

    public LeanCache() {
        super(LeanCache::withoutManagedFields);
    }

    /** {@code resource} itself, its managedFields dropped (the informer's fresh copy, not yet shared). */
    static <R extends HasMetadata> R withoutManagedFields(R resource) {
        if (resource.getMetadata() != null) {
            resource.getMetadata().setManagedFields(null);
        }
        return resource;
    }
}
