package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import java.util.Map;
import java.util.Optional;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The client's application Deployment {@code <name>-app}, owned by the MaiClient. Matched by a digest
 * of the desired spec, kept in an annotation: an API server rewrites parts of what it stores
 * (quantities such as {@code 0.5} to {@code 500m}, empty values dropped), so comparing fields would see
 * a difference on every reconcile and write the Deployment each time. A change of spec.app or of the
 * Secret's revision changes the digest; hand edits of the Deployment's spec stay until then.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class AppDeployment extends CRUDKubernetesDependentResource<Deployment, MaiClient> {

    public static final String NAME = "app-deployment";
    /** On the Deployment: the digest of the spec the operator last wrote. */
    public static final String SPEC_DIGEST = "mai.dev/spec-digest";

    public AppDeployment() {
        super(Deployment.class);
    }

    /** By name, without computing desired(): the workflow looks the object up to delete it when spec.app is gone. */
    @Override
    protected ResourceID targetSecondaryResourceID(MaiClient primary, Context<MaiClient> context) {
        return new ResourceID(AppResources.appName(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected Deployment desired(MaiClient primary, Context<MaiClient> context) {
        AppInputs in = context.managedWorkflowAndDependentResourceContext().getMandatory(AppInputs.class, AppInputs.class);
        Deployment desired = AppResources.deployment(primary, in.secretName(), in.revision());
        desired.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(SPEC_DIGEST, AppResources.digest(desired.getSpec()))));
        return desired;
    }

    @Override
    public Result<Deployment> match(Deployment actual, MaiClient primary, Context<MaiClient> context) {
        Deployment desired = getOrComputeDesired(context);
        String stored = Optional.ofNullable(actual.getMetadata().getAnnotations()).map(a -> a.get(SPEC_DIGEST)).orElse(null);
        return Result.computed(desired.getMetadata().getAnnotations().get(SPEC_DIGEST).equals(stored), desired);
    }
}
