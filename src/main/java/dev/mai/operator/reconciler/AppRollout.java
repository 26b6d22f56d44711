package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.app.AppData;
import dev.mai.operator.app.AppDeployment;
import dev.mai.operator.app.AppInputs;
import dev.mai.operator.app.AppResources;
import dev.mai.operator.app.AppSecurity;
import dev.mai.operator.app.AppService;
import dev.mai.operator.app.RolloutTargets;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The client's consumers of the Secret: its application (the JOSDK workflow of Deployment, Service
 * and data claim, each deleted again without spec.app but a retained claim) and its rollout targets,
 * which get the Secret's revision so they roll out a new key. Reports AppReady and AppRestricted
 * and which consumers have not rolled out the revision yet.
 */
@ApplicationScoped
public class AppRollout {

    private final Events events;

    public AppRollout(Events events) {
        this.events = events;
    }

    /** Brings the consumers in line with {@code revision} of Secret {@code secretName}. */
    Rollout apply(MaiClient client, Context<MaiClient> context, StatusBuilder status, String secretName, String revision) {
        var workflow = context.managedWorkflowAndDependentResourceContext();
        workflow.put(AppInputs.class, new AppInputs(secretName, revision));
        Optional<String> refused;
        try {
            workflow.reconcileManagedWorkflow();
            refused = Optional.empty();
        } catch (OperatorException e) {
            refused = refusal(e);
        }
        List<String> waiting = new ArrayList<>();
        int consumers = 0;
        boolean deadline = false;
        if (client.getSpec().getApp() != null) {
            consumers++;
            deadline = app(client, context, status, revision, refused, waiting);
        } else {
            status.noApp();
        }
        RolloutTargets.State targets = RolloutTargets.apply(client, context, revision);
        consumers += Optional.ofNullable(client.getSpec().getRolloutTargets()).map(List::size).orElse(0);
        waiting.addAll(targets.rolling());
        // a target left alone (not found for a moment, rolled by another MaiClient) has not rolled out the new key:
        // an old key waits for it like for any consumer (a forced replacement at most MAI_ROTATION_GRACE)
        waiting.addAll(targets.missing());
        return new Rollout(consumers, waiting, targets.missing(), deadline || targets.deadlineExceeded(), refused.isPresent());
    }

    /** AppReady and AppRestricted of spec.app; true when its Deployment gave up rolling out. */
    private boolean app(MaiClient client, Context<MaiClient> context, StatusBuilder status, String revision,
            Optional<String> refused, List<String> waiting) {
        String name = AppResources.appName(client);
        Optional<Deployment> app = ManagementKeys.informer(context, AppDeployment.NAME, Deployment.class)
                .get(new ResourceID(name, client.getMetadata().getNamespace()));
        boolean gaveUp = false;
        if (refused.isPresent()) {
            // the API server refused an app object (invalid, forbidden, a name another object has): say what
            // it said, and count the app as not rolled out, so no old key goes before it runs the new one
            waiting.add("Deployment/" + name);
            status.appRejected(refused.get());
        } else if (app.isPresent() && AppResources.rolledOut(app.get(), revision)) {
            status.app(name, revision, true, false);
        } else {
            gaveUp = app.map(AppResources::progressDeadlineExceeded).orElse(false);
            waiting.add("Deployment/" + name);
            status.app(name, revision, false, gaveUp);
        }
        Optional<String> relaxed = AppSecurity.relaxation(client.getSpec().getApp());
        boolean newlyRelaxed = relaxed.isPresent()
                && !StatusBuilder.hasReason(status.status(), Conditions.APP_RESTRICTED, Reason.BASELINE_REQUESTED);
        status.appRestricted(relaxed);
        if (newlyRelaxed) {
            events.warning(client, Reason.BASELINE_REQUESTED, relaxed.get());
        }
        return gaveUp;
    }

    /**
     * What the API server said when it refused an app object (invalid, forbidden, a name another
     * object has): the failed dependents, each with the server's message (it names the field; any key
     * is scrubbed). Anything else the workflow threw is thrown on: JOSDK retries it with backoff.
     */
    private static Optional<String> refusal(OperatorException e) {
        AggregatedOperatorException aggregated = null;
        for (Throwable t = e; t != null && aggregated == null; t = t.getCause()) {
            if (t instanceof AggregatedOperatorException a) {
                aggregated = a;
            }
        }
        if (aggregated == null) {
            throw e;
        }
        List<String> parts = new ArrayList<>();
        for (var failed : aggregated.getAggregatedExceptions().entrySet()) {
            Throwable cause = failed.getValue();
            while (cause != null && !(cause instanceof KubernetesClientException)) {
                cause = cause.getCause();
            }
            if (!(cause instanceof KubernetesClientException k) || k.getCode() < 400 || k.getCode() >= 500 || k.getCode() == 429) {
                throw e; // not a refusal: a server or network failure heals with a retry
            }
            parts.add(describe(failed.getKey(), k));
        }
        parts.sort(String::compareTo);
        return Optional.of(String.join("; ", parts));
    }

    private static String describe(String dependent, KubernetesClientException k) {
        String what = switch (dependent) {
            case AppDeployment.NAME -> "Deployment";
            case AppService.NAME -> "Service";
            case AppData.NAME -> "PersistentVolumeClaim";
            default -> dependent;
        };
        String said = k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getMessage();
        return what + " refused by the API server (HTTP " + k.getCode() + "): " + ApiKey.scrub(said)
                + (k.getCode() == 409 ? " (an object of that name exists and is not this MaiClient's: delete or rename "
                        + "that object, or re-create the MaiClient under another name)" : "");
    }
}
