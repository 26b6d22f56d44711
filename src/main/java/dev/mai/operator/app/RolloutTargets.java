package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * {@code spec.rolloutTargets}: existing Deployments and StatefulSets that read the client's Secret.
 * The operator sets the Secret's revision on their pod template (which rolls them) and watches them
 * to know when they finished rolling out. They are not the operator's: it changes only that
 * annotation and a label, {@code mai.dev/rollout-target}, by which its informers find them (so it
 * never caches every workload of the cluster); a target not labelled yet is read by name.
 */
public final class RolloutTargets {

    /** On a workload that is a rollout target of a MaiClient; the informers select by it. */
    public static final String LABEL = "mai.dev/rollout-target";
    /** On a rollout target: the MaiClient whose revision it carries; another MaiClient leaves it alone. */
    public static final String CLIENT = "mai.dev/rollout-client";
    public static final String DEPLOYMENTS = "rollout-target-deployments";
    public static final String STATEFUL_SETS = "rollout-target-statefulsets";

    /** Where a MaiClient's targets stand: those still rolling out, those missing, and whether one gave up. */
    public record State(List<String> rolling, List<String> missing, boolean deadlineExceeded) {
    }

    private RolloutTargets() {
    }

    /** Informers on the labelled targets, mapped to the MaiClients naming them. */
    public static List<InformerEventSource<?, MaiClient>> eventSources(EventSourceContext<MaiClient> context) {
        return List.of(informer(context, Deployment.class, "Deployment", DEPLOYMENTS),
                informer(context, StatefulSet.class, "StatefulSet", STATEFUL_SETS));
    }

    private static <R extends HasMetadata> InformerEventSource<R, MaiClient> informer(EventSourceContext<MaiClient> context,
            Class<R> type, String kind, String name) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, MaiClient.class)
                .withName(name)
                .withLabelSelector(LABEL)
                .withSecondaryToPrimaryMapper(workload -> context.getPrimaryCache().list(workload.getMetadata().getNamespace())
                        .filter(mc -> mc.getSpec() != null && mc.getSpec().getRolloutTargets() != null
                                && mc.getSpec().getRolloutTargets().contains(new RolloutTarget(kind, workload.getMetadata().getName())))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
    }

    /** Puts {@code revision} on every target's pod template where it is not yet, and reports where they stand. */
    public static State apply(MaiClient client, Context<MaiClient> context, String revision) {
        List<String> rolling = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        boolean deadline = false;
        for (RolloutTarget target : Optional.ofNullable(client.getSpec().getRolloutTargets()).orElse(List.of())) {
            if ("StatefulSet".equals(target.getKind())) {
                Optional<StatefulSet> s = roll(client, context, target, revision, missing, StatefulSet.class, STATEFUL_SETS,
                        x -> new StatefulSetBuilder(x).build(), x -> x.getSpec().getTemplate());
                if (s.isPresent() && !AppResources.rolledOut(s.get(), revision)) {
                    rolling.add(target.toString());
                }
            } else {
                Optional<Deployment> d = roll(client, context, target, revision, missing, Deployment.class, DEPLOYMENTS,
                        x -> new DeploymentBuilder(x).build(), x -> x.getSpec().getTemplate());
                if (d.isPresent() && !AppResources.rolledOut(d.get(), revision)) {
                    rolling.add(target.toString());
                    deadline |= AppResources.progressDeadlineExceeded(d.get());
                }
            }
        }
        return new State(rolling, missing, deadline);
    }

    /**
     * One target: left alone (and added to {@code skipped}) when {@link #skip} says so, else given
     * {@code revision} on its pod template if it does not carry it yet. Returns the workload as it is now.
     */
    private static <W extends HasMetadata> Optional<W> roll(MaiClient client, Context<MaiClient> context, RolloutTarget target,
            String revision, List<String> skipped, Class<W> type, String informer, UnaryOperator<W> copy,
            Function<W, PodTemplateSpec> template) {
        Optional<W> actual = find(client, context, type, informer, target.getName());
        Optional<String> skip = skip(client, target, actual);
        if (skip.isPresent()) {
            skipped.add(skip.get());
            return Optional.empty();
        }
        W workload = actual.get();
        if (AppResources.revision(template.apply(workload)).map(revision::equals).orElse(false)) {
            return Optional.of(workload);
        }
        W next = copy.apply(workload);
        mark(client, next, template.apply(next), revision);
        return Optional.of(context.resourceOperations().update(next, informer(context, type, informer)));
    }

    /**
     * Why a target is left alone, if it is: it does not exist, another MaiClient rolls it (two
     * revisions on one workload would restart it without end), or it is another client's application.
     */
    private static Optional<String> skip(MaiClient client, RolloutTarget target, Optional<? extends HasMetadata> actual) {
        if (actual.isEmpty()) {
            return Optional.of(target + " (not found)");
        }
        var meta = actual.get().getMetadata();
        String rolledBy = Optional.ofNullable(meta.getAnnotations()).map(a -> a.get(CLIENT)).orElse(null);
        if (rolledBy != null && !rolledBy.equals(client.getMetadata().getName())) {
            return Optional.of(target + " (rolled by MaiClient " + rolledBy + ")");
        }
        if (Labels.MANAGED_BY_VALUE.equals(Optional.ofNullable(meta.getLabels()).map(l -> l.get(Labels.MANAGED_BY)).orElse(null))) {
            return Optional.of(target + " (the application of another MaiClient)");
        }
        return Optional.empty();
    }

    /** The target from the informer, or read by name while it does not carry the label yet. */
    private static <R extends HasMetadata> Optional<R> find(MaiClient client, Context<MaiClient> context, Class<R> type,
            String informer, String name) {
        String namespace = client.getMetadata().getNamespace();
        Optional<R> cached = informer(context, type, informer).get(new ResourceID(name, namespace));
        return cached.isPresent() ? cached : Optional.ofNullable(context.getClient().resources(type).inNamespace(namespace).withName(name).get());
    }

    private static void mark(MaiClient client, HasMetadata workload, PodTemplateSpec template, String revision) {
        Map<String, String> labels = new HashMap<>(Optional.ofNullable(workload.getMetadata().getLabels()).orElse(Map.of()));
        labels.put(LABEL, "true");
        workload.getMetadata().setLabels(labels);
        Map<String, String> owned = new HashMap<>(Optional.ofNullable(workload.getMetadata().getAnnotations()).orElse(Map.of()));
        owned.put(CLIENT, client.getMetadata().getName());
        workload.getMetadata().setAnnotations(owned);
        if (template.getMetadata() == null) {
            template.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
        }
        Map<String, String> annotations = new HashMap<>(Optional.ofNullable(template.getMetadata().getAnnotations()).orElse(Map.of()));
        annotations.put(Labels.ENV_REVISION, revision);
        template.getMetadata().setAnnotations(annotations);
    }

    @SuppressWarnings("unchecked")
    private static <R extends HasMetadata> InformerEventSource<R, MaiClient> informer(Context<MaiClient> context, Class<R> type,
            String name) {
        return (InformerEventSource<R, MaiClient>) context.eventSourceRetriever().getEventSourceFor(type, name);
    }
}
