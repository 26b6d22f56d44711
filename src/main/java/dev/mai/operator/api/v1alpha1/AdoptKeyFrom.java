package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * An existing OpenRouter key to take over instead of creating one: where it is (a Secret of the
 * MaiClient's namespace and the entry holding it) and, when more than one key of the account looks
 * like it, the hash that picks one.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AdoptKeyFrom {

    /** The Secret entry read when {@code key} is not given: the variable the old script and mai-env write. */
    public static final String DEFAULT_KEY = "OPENROUTER_API_KEY";

    @JsonPropertyDescription("Name of a Secret in this namespace holding the key to adopt (e.g. made with "
            + "kubectl create secret generic NAME --from-env-file=.env). Read once: later edits change nothing.")
    @Required
    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    private String name;

    @JsonPropertyDescription("The Secret's entry holding the key. Default: OPENROUTER_API_KEY.")
    @Size(max = 253)
    @Pattern("^[-._a-zA-Z0-9]+$")
    private String key;

    @JsonPropertyDescription("The key's hash on OpenRouter (64 lower-case hex digits), only needed when the operator "
            + "reports that more than one key of the account looks like the one given: it picks one of those, never another.")
    @Pattern("^[0-9a-f]{64}$")
    private String hash;

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

    /** The entry to read: {@link #getKey()}, or {@link #DEFAULT_KEY}. */
    public String entry() {
        return key == null ? DEFAULT_KEY : key;
    }

    public String getHash() {
        return hash;
    }

    public void setHash(String hash) {
        this.hash = hash;
    }
}
