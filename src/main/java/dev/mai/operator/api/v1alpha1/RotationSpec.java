package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Scheduled key rotation. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RotationSpec {

    /** A Kubernetes (Go) duration of hours, minutes and seconds, such as 720h or 1h30m. */
    public static final String DURATION = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$";

    @JsonPropertyDescription("Rotate the key this long after it was created, a duration such as 720h; at least 1h.")
    @Required
    @Pattern(DURATION)
    @ValidationRule(value = "self != '' && duration(self) >= duration('1h')", message = "must be a duration of at least 1h")
    private String every;

    public String getEvery() {
        return every;
    }

    public void setEvery(String every) {
        this.every = every;
    }
}
