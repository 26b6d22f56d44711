package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** An old key still to be deleted on OpenRouter; kept in status so that a crash cannot forget it. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PendingRevocation {

    @JsonPropertyDescription("OpenRouter's hash of the key to delete.")
    private String hash;

    @JsonPropertyDescription("The key is deleted at the latest at this time.")
    private String notAfter;

    public PendingRevocation() {
    }

    public PendingRevocation(String hash, String notAfter) {
        this.hash = hash;
        this.notAfter = notAfter;
    }

    public String getHash() {
        return hash;
    }

    public void setHash(String hash) {
        this.hash = hash;
    }

    public String getNotAfter() {
        return notAfter;
    }

    public void setNotAfter(String notAfter) {
        this.notAfter = notAfter;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PendingRevocation p && Objects.equals(hash, p.hash) && Objects.equals(notAfter, p.notAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hash, notAfter);
    }
}
