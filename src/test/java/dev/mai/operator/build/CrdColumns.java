package dev.mai.operator.build;

import dev.mai.operator.api.v1alpha1.MaiClient;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last step of CRD generation ({@code make crds}, {@code make verify}). fabric8's generator
 * sorts printer columns by JSONPath, but {@code kubectl get} shows them in the CRD's order: this
 * puts them back in the order {@link MaiClient} declares them. It also leaves out {@code priority: 0}
 * (the default, which the API server drops, so that every {@code kubectl apply} of the unchanged CRD
 * said "configured") and gives {@code kubectl explain} the descriptions the generator cannot take from
 * the model: the object, its spec and its status, and the fields of Kubernetes' own types the model
 * uses (EnvVar, ResourceRequirements, Toleration, Condition), whose fabric8 classes carry none.
 * A description given here for a field the schema does not have fails the build.
 */
public final class CrdColumns {

    private CrdColumns() {
    }

    /** Descriptions of the fields of Kubernetes' types in the schema, by path from the root ([] = list items). */
    static final Map<String, String> KUBERNETES_FIELDS = kubernetesFields();

    private static Map<String, String> kubernetesFields() {
        Map<String, String> d = new LinkedHashMap<>();
        String env = "spec.app.env[].";
        d.put(env + "name", "Name of the environment variable.");
        d.put(env + "value", "The variable's value; $(VAR_NAME) references to earlier variables are expanded by the kubelet.");
        d.put(env + "valueFrom", "Where the value comes from instead: exactly one of fieldRef or resourceFieldRef.");
        d.put(env + "valueFrom.fieldRef.apiVersion", "Version of the schema fieldPath is written in. Default: v1.");
        d.put(env + "valueFrom.fieldRef.fieldPath", "Path of the field in the pod, such as metadata.name or status.podIP.");
        d.put(env + "valueFrom.resourceFieldRef.containerName", "Container whose resource is read. Default: this one.");
        d.put(env + "valueFrom.resourceFieldRef.divisor", "Unit the value is given in (a quantity such as 1Mi). Default: 1.");
        d.put(env + "valueFrom.resourceFieldRef.resource", "The resource: limits.cpu, limits.memory, requests.cpu, requests.memory, ...");
        String resources = "spec.app.resources.";
        d.put(resources + "claims", "Dynamic resource claims of the pod the container uses (as in a pod spec).");
        d.put(resources + "claims[].name", "Name of an entry of the pod's resourceClaims.");
        d.put(resources + "claims[].request", "Name of a request within that claim; absent: the whole claim.");
        d.put(resources + "limits", "The most of each resource (cpu, memory, ...) the container may use, as quantities such as 500m or 1Gi.");
        d.put(resources + "requests", "The resources (cpu, memory, ...) the container is scheduled with, as quantities; "
                + "absent: the limits.");
        String toleration = "spec.app.tolerations[].";
        d.put(toleration + "key", "Taint key the toleration matches; absent with operator Exists: every taint.");
        d.put(toleration + "operator", "Exists or Equal (default): whether the taint's value must equal value.");
        d.put(toleration + "value", "Taint value the toleration matches (with operator Equal).");
        d.put(toleration + "effect", "Taint effect matched: NoSchedule, PreferNoSchedule or NoExecute; absent: all.");
        d.put(toleration + "tolerationSeconds", "With effect NoExecute: how long the pod stays bound after the taint "
                + "appears, in seconds; absent: for ever.");
        String condition = "status.conditions[].";
        d.put(condition + "type", "The condition type, such as Ready (listed under conditions).");
        d.put(condition + "status", "True, False or Unknown.");
        d.put(condition + "reason", "Why the condition has its status, a CamelCase word (listed under conditions).");
        d.put(condition + "message", "What is the matter, in words for a person: what is wrong and how to go on.");
        d.put(condition + "lastTransitionTime", "When the status, reason or message last changed (RFC 3339 time).");
        d.put(condition + "observedGeneration", "The metadata.generation the condition describes.");
        return d;
    }

    static final String KIND = "A client company's mAI instance: one OpenRouter API key with a spending limit, kept by "
            + "mai-operator, and the Secret holding that key and the application's environment (and, with spec.app, the "
            + "application itself). kubectl get maiclients shows the limit, what was spent in the current period, what "
            + "remains and when the limit resets (kubectl get mai lists them too). metadata.name is at most 63 characters (it is "
            + "a label value on the Secret): the operator checks it, not the API server, and reports a longer one as InvalidSpec.";
    static final String SPEC = "What the client should have: the organization, the spending limit (USD) and its reset, "
            + "the Secret, rotation, what happens on deletion, and optionally the application. Written by the user; "
            + "defaults are applied by the operator, not stored here.";
    static final String STATUS = "What mai-operator observed and did, written only by the operator: the key (its label "
            + "and hash, never the key itself), the spend in USD, rotation, and the conditions.";

    private static void describe(JSONSchemaProps schema, String description) {
        if (schema != null && (schema.getDescription() == null || schema.getDescription().isBlank())) {
            schema.setDescription(description);
        }
    }

    /** The schema at {@code path} (dots between properties, [] for list items); fails when there is none. */
    static JSONSchemaProps at(JSONSchemaProps root, String path) {
        JSONSchemaProps schema = root;
        for (String part : path.split("\\.")) {
            boolean items = part.endsWith("[]");
            String name = items ? part.substring(0, part.length() - 2) : part;
            schema = schema.getProperties() == null ? null : schema.getProperties().get(name);
            if (schema != null && items) {
                schema = schema.getItems() == null ? null : schema.getItems().getSchema();
            }
            if (schema == null) {
                throw new IllegalStateException("the CRD schema has no field " + path + " (a description is kept for it)");
            }
        }
        return schema;
    }

    public static void main(String[] args) throws IOException {
        Path generated = Path.of(args[0]);
        Path out = Path.of(args[1]);
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(generated), CustomResourceDefinition.class);
        List<String> order = Arrays.stream(MaiClient.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::jsonPath).toList();
        crd.getSpec().getVersions().forEach(v -> {
            JSONSchemaProps schema = v.getSchema().getOpenAPIV3Schema();
            describe(schema, KIND);
            describe(schema.getProperties().get("spec"), SPEC);
            describe(schema.getProperties().get("status"), STATUS);
            KUBERNETES_FIELDS.forEach((path, description) -> describe(at(schema, path), description));
            v.getAdditionalPrinterColumns().forEach(c -> {
                if (c.getPriority() != null && c.getPriority() == 0) {
                    c.setPriority(null);
                }
            });
            List<CustomResourceColumnDefinition> columns = v.getAdditionalPrinterColumns();
            columns.sort(Comparator.comparingInt(c -> {
                int i = order.indexOf(c.getJsonPath());
                if (i < 0) {
                    throw new IllegalStateException("column " + c.getName() + " is not declared on MaiClient");
                }
                return i;
            }));
        });
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, "# Generated by the build (make crds) from the MaiClient model; do not edit.\n"
                + Serialization.asYaml(crd));
        System.out.println("wrote " + out);
    }
}
