package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** Where the operator writes the client's environment, and extra metadata for that Secret. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SecretSpec {

    @JsonPropertyDescription("Name of the output Secret, a DNS subdomain name. Default: <metadata.name>-env. Renaming moves the Secret.")
    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    private String name;

    @JsonPropertyDescription("Extra labels for the Secret. May not set app.kubernetes.io/managed-by or anything under mai.dev/; "
            + "keys must be qualified names ([prefix/]name, name at most 63 characters) and values at most 63 characters of "
            + "letters, digits, '-', '_' and '.', starting and ending with a letter or digit. Absent: none.")
    @ValidationRule(value = "self.all(k, k != 'app.kubernetes.io/managed-by' && !k.startsWith('mai.dev/'))",
            message = "labels may not set app.kubernetes.io/managed-by or keys under mai.dev/")
    private Map<String, String> labels;

    @JsonPropertyDescription("Extra annotations for the Secret. May not set app.kubernetes.io/managed-by or anything under "
            + "mai.dev/; keys must be qualified names ([prefix/]name, name at most 63 characters). Absent: none.")
    @ValidationRule(value = "self.all(k, k != 'app.kubernetes.io/managed-by' && !k.startsWith('mai.dev/'))",
            message = "annotations may not set app.kubernetes.io/managed-by or keys under mai.dev/")
    private Map<String, String> annotations;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }
}
