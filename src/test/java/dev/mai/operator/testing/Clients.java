package dev.mai.operator.testing;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.SecretSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import java.util.function.Consumer;

/** MaiClients for tests. */
public final class Clients {

    private Clients() {
    }

    public static MaiClient maiClient(String namespace, String name, String organization, String limit) {
        MaiClient client = new MaiClient();
        client.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        MaiClientSpec spec = new MaiClientSpec();
        spec.setOrganizationName(organization);
        spec.setSpendingLimit(new IntOrString(limit));
        client.setSpec(spec);
        return client;
    }

    public static MaiClient with(MaiClient client, Consumer<MaiClientSpec> change) {
        change.accept(client.getSpec());
        return client;
    }

    public static SecretSpec secret(String name, Map<String, String> labels, Map<String, String> annotations) {
        SecretSpec s = new SecretSpec();
        s.setName(name);
        s.setLabels(labels);
        s.setAnnotations(annotations);
        return s;
    }

    /** Ready=True for the current generation: what {@code kubectl wait --for=condition=Ready} waits for. */
    public static boolean isReady(MaiClient mc) {
        return mc.getStatus() != null && mc.getStatus().getConditions() != null
                && mc.getMetadata().getGeneration().equals(mc.getStatus().getObservedGeneration())
                && mc.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
