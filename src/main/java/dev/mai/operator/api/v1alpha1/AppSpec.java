package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaSwap;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * The client's application instance: a Deployment, a Service and optional storage. Whoever edits a
 * MaiClient with this runs a workload, so the pod is contained by default ({@link #securityProfile})
 * and an env entry may only carry a literal value or a reference to the pod's own fields: in the
 * schema, an entry's valueFrom knows only fieldRef and resourceFieldRef (the schema of EnvVar's
 * valueFrom is swapped for {@link EnvVarSourceSchema}, so a secretKeyRef, configMapKeyRef, fileKeyRef or
 * any source a newer Kubernetes adds is unknown and refused or pruned), and the operator checks the
 * same by allow-list.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaSwap(originalType = EnvVar.class, fieldName = "valueFrom", targetType = AppSpec.EnvVarSourceSchema.class)
@ValidationRule(value = "!has(self.storage) || !has(self.replicas) || self.replicas <= 1",
        message = "replicas may be at most 1 with storage (ReadWriteOnce)", fieldPath = ".replicas")
public class AppSpec {

    /** No whitespace or control characters anywhere in the image reference. */
    public static final String IMAGE = "^[^\\p{Cc}\\p{Z}]*$";
    /** Bounds the env list: Kubernetes estimates a CEL rule's cost from it and refuses unbounded ones. */
    public static final int MAX_ENV = 256;
    /** The Pod Security restricted profile: the default. */
    public static final String RESTRICTED = "restricted";
    /** Root allowed, the container runtime's default capabilities: only when asked for. */
    public static final String BASELINE = "baseline";

    @JsonPropertyDescription("Container image of the mAI application (required with spec.app). When the operator's "
            + "MAI_APP_ALLOWED_IMAGES is set, the image must be under one of its registry/path prefixes.")
    @Required
    @Size(min = 1, max = 1024)
    @Pattern(IMAGE)
    private String image;

    @JsonPropertyDescription("Number of pods. Default 1; at most 1 with storage (ReadWriteOnce).")
    @Min(0)
    @Max(100)
    private Integer replicas;

    @JsonPropertyDescription("Port the application listens on. Default 8080.")
    @Min(1)
    @Max(65535)
    private Integer port;

    @JsonPropertyDescription("A PersistentVolumeClaim (ReadWriteOnce) for the application's data directory. "
            + "Absent: no claim.")
    private AppStorage storage;

    @JsonPropertyDescription("Resource requests and limits of the application container, as in a pod spec. Absent: none.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Extra environment variables, at most 256 with distinct names. They may not redefine "
            + "the six variables of the Secret. Absent: none.")
    @Size(max = MAX_ENV)
    @ValidationRule(value = "self.all(e, !(e.name in ['OPENROUTER_API_KEY', 'OPENROUTER_HOST', 'OPENROUTER_EXTERNAL_USER', "
            + "'ORGANIZATION_NAME', 'SPENDING_LIMIT', 'OPENROUTER_KEY_HASH']))",
            message = "env may not redefine a variable of the Secret")
    @ValidationRule(value = "self.all(e, !has(e.valueFrom) || (has(e.valueFrom.fieldRef) ? !has(e.valueFrom.resourceFieldRef) "
            + ": has(e.valueFrom.resourceFieldRef)))",
            message = "an env entry takes a value, or valueFrom with exactly one of fieldRef or resourceFieldRef "
                    + "(no secretKeyRef, configMapKeyRef, fileKeyRef or other source)")
    @ValidationRule(value = "self.all(e, !has(e.valueFrom) || !has(e.value) || e.value == '')",
            message = "an env entry may not have both a value and valueFrom")
    private List<EnvVar> env;

    @JsonPropertyDescription("How far the application pod is contained. restricted (the default) passes the Pod "
            + "Security restricted profile: no root (the image must run as a numeric non-root user), no privilege "
            + "escalation, every capability dropped, seccomp RuntimeDefault. baseline lets the image run as root with the "
            + "container runtime's default capabilities, for images that need it; it is reported by the condition "
            + "AppRestricted=False and a Warning event. Either way no service-account token is mounted.")
    @Pattern("^(restricted|baseline)$")
    private String securityProfile;

    @JsonPropertyDescription("Node selector of the application pods: only keys the operator's "
            + "MAI_APP_ALLOWED_NODE_SELECTOR_KEYS allows (none by default). Absent: none.")
    private Map<String, String> nodeSelector;

    @JsonPropertyDescription("Tolerations of the application pods: only taint keys the operator's "
            + "MAI_APP_ALLOWED_TOLERATION_KEYS allows (none by default). Absent: none.")
    private List<Toleration> tolerations;

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public AppStorage getStorage() {
        return storage;
    }

    public void setStorage(AppStorage storage) {
        this.storage = storage;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public List<EnvVar> getEnv() {
        return env;
    }

    public void setEnv(List<EnvVar> env) {
        this.env = env;
    }

    public String getSecurityProfile() {
        return securityProfile;
    }

    public void setSecurityProfile(String securityProfile) {
        this.securityProfile = securityProfile;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }

    /**
     * The schema of an env entry's valueFrom, in the CRD only (the model keeps fabric8's EnvVarSource,
     * whose unknown fields the operator sees and refuses): the two sources that read the pod's own fields.
     */
    public static final class EnvVarSourceSchema {

        @JsonPropertyDescription("A field of the pod (metadata.name, metadata.namespace, status.podIP, ...).")
        public ObjectFieldSelector fieldRef;

        @JsonPropertyDescription("A resource request or limit of the container.")
        public ResourceFieldSelector resourceFieldRef;

        private EnvVarSourceSchema() {
        }
    }
}
