package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A management key in a Secret of the MaiClient's own namespace, labelled
 * {@code mai.dev/provisioning-key: "true"}. No namespace field, by design: a tenant can only use
 * a key from its own namespace.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProvisioningKeyRef {

    @JsonPropertyDescription("Name of the Secret, in this MaiClient's namespace; it must carry the label mai.dev/provisioning-key: \"true\".")
    @Required
    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    private String name;

    @JsonPropertyDescription("The data key in that Secret holding the management key.")
    @Required
    @Pattern("^[-._a-zA-Z0-9]{1,253}$")
    private String key;

    public ProvisioningKeyRef() {
    }

    public ProvisioningKeyRef(String name, String key) {
        this.name = name;
        this.key = key;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProvisioningKeyRef r && java.util.Objects.equals(name, r.name) && java.util.Objects.equals(key, r.key);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(name, key);
    }
}
