package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/** The Service in front of the client's application, owned by the MaiClient. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class AppService extends CRUDKubernetesDependentResource<Service, MaiClient> {

    public static final String NAME = "app-service";

    public AppService() {
        super(Service.class);
    }

    /** By name, without computing desired(): the workflow looks the object up to delete it when spec.app is gone. */
    @Override
    protected ResourceID targetSecondaryResourceID(MaiClient primary, Context<MaiClient> context) {
        return new ResourceID(AppResources.appName(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected Service desired(MaiClient primary, Context<MaiClient> context) {
        return AppResources.service(primary);
    }
}
