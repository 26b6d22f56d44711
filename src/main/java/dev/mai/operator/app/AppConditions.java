package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.MaiClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** When the application's objects should exist: otherwise the workflow deletes them (a retained claim excepted). */
public final class AppConditions {

    private AppConditions() {
    }

    /** spec.app is set. */
    public static class AppRequested implements Condition<Object, MaiClient> {
        @Override
        public boolean isMet(DependentResource<Object, MaiClient> dependent, MaiClient primary, Context<MaiClient> context) {
            return primary.getSpec() != null && primary.getSpec().getApp() != null;
        }
    }

    /** spec.app.storage is set. */
    public static class StorageRequested implements Condition<Object, MaiClient> {
        @Override
        public boolean isMet(DependentResource<Object, MaiClient> dependent, MaiClient primary, Context<MaiClient> context) {
            return primary.getSpec() != null && primary.getSpec().getApp() != null && primary.getSpec().getApp().getStorage() != null;
        }
    }
}
