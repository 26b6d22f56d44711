package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The application's data directory on a ReadWriteOnce PersistentVolumeClaim ({@code <name>-data}). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AppStorage {

    /** A Kubernetes quantity such as 10Gi or 500M. */
    public static final String QUANTITY = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";
    public static final String PATH = "^/[^\\x00]*$";
    /** Where the Secret's .env file is mounted in the application container; storage may not cover it. */
    public static final String DOTENV_PATH = "/app/.env";

    @JsonPropertyDescription("Requested size, a non-zero Kubernetes quantity such as 10Gi.")
    @Required
    @Pattern(QUANTITY)
    @ValidationRule(value = "self.matches('[1-9]')", message = "must not be zero")
    private String size;

    @JsonPropertyDescription("Storage class of the claim (a DNS subdomain name). Absent: the cluster's default class.")
    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    private String storageClassName;

    @JsonPropertyDescription("Where the data directory is mounted: a clean absolute path other than / and /app/.env. "
            + "Default /app/backend/data.")
    @Pattern(PATH)
    @Size(max = 1024)
    @ValidationRule(value = "!self.matches('//|/[.][.]?(/|$)')", message = "must be a clean path (no empty, . or .. segments)")
    @ValidationRule(value = "self != '/' && self != '" + DOTENV_PATH + "' && !self.startsWith('" + DOTENV_PATH + "/')",
            message = "may not be / nor " + DOTENV_PATH + " or under it (the Secret's .env file is mounted there)")
    private String mountPath;

    @JsonPropertyDescription("Keep the claim (no owner reference) when spec.app is removed or the MaiClient is deleted. "
            + "Default true.")
    private Boolean retain;

    public String getSize() {
        return size;
    }

    public void setSize(String size) {
        this.size = size;
    }

    public String getStorageClassName() {
        return storageClassName;
    }

    public void setStorageClassName(String storageClassName) {
        this.storageClassName = storageClassName;
    }

    public String getMountPath() {
        return mountPath;
    }

    public void setMountPath(String mountPath) {
        this.mountPath = mountPath;
    }

    public Boolean getRetain() {
        return retain;
    }

    public void setRetain(Boolean retain) {
        this.retain = retain;
    }
}
