package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** The client's application instance (SPEC section 4): a Deployment, a Service and optional storage. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.storage) || !has(self.replicas) || self.replicas <= 1",
        message = "replicas may be at most 1 with storage (ReadWriteOnce)", fieldPath = ".replicas")
public class AppSpec {

    /** No whitespace or control characters anywhere in the image reference. */
    public static final String IMAGE = "^[^\\p{Cc}\\p{Z}]*$";
    /** Bounds the env list: Kubernetes estimates a CEL rule's cost from it and refuses unbounded ones. */
    public static final int MAX_ENV = 256;

    @JsonPropertyDescription("Container image of the mAI application.")
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

    @JsonPropertyDescription("A PersistentVolumeClaim (ReadWriteOnce) for the application's data directory.")
    private AppStorage storage;

    @JsonPropertyDescription("Resource requests and limits of the application container.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Extra environment variables, at most 256 with distinct names. They may not redefine "
            + "the six variables of the Secret.")
    @Size(max = MAX_ENV)
    @ValidationRule(value = "self.all(e, !(e.name in ['OPENROUTER_API_KEY', 'OPENROUTER_HOST', 'OPENROUTER_EXTERNAL_USER', "
            + "'ORGANIZATION_NAME', 'SPENDING_LIMIT', 'OPENROUTER_KEY_HASH']))",
            message = "env may not redefine a variable of the Secret")
    private List<EnvVar> env;

    @JsonPropertyDescription("Node selector of the application pods.")
    private Map<String, String> nodeSelector;

    @JsonPropertyDescription("Tolerations of the application pods.")
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
}
