package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * An old key still to be deleted on OpenRouter; kept in status so that a crash cannot forget it.
 * Immutable in use: a changed entry is a new object (status copies share entries).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PendingRevocation {

    /** A key replaced because it was revoked, tampered with or lost with its Secret: deleted at notAfter at the latest. */
    public static final String FORCED = "Forced";
    /** A key replaced by spec.rotation: kept while a consumer has not rolled out the new key. */
    public static final String SCHEDULED = "Scheduled";
    /** A key replaced on request (mai.dev/rotate): kept while a consumer has not rolled out the new key. */
    public static final String REQUESTED = "Requested";

    @JsonPropertyDescription("OpenRouter's hash of the key to delete.")
    private String hash;

    @JsonPropertyDescription("RFC 3339 time. Forced rotations delete the key at this time at the latest; for scheduled and requested "
            + "ones a rollout unfinished by then is reported as RolloutStuck and the key kept.")
    private String notAfter;

    @JsonPropertyDescription("Why the key was replaced: Forced, Scheduled or Requested.")
    private String reason;

    @JsonPropertyDescription("USD the old key may spend in the limit period while it overlaps the new one (its limit); "
            + "the new key's limit leaves this much of the budget out. Absent: the key was frozen at its spend.")
    private String reservedInPeriod;

    @JsonPropertyDescription("USD the old key had spent over its lifetime when it was replaced (already in status.usage).")
    private String usage;

    @JsonPropertyDescription("USD the old key had spent in the limit period when it was replaced.")
    private String usageInPeriod;

    @JsonPropertyDescription("True when this operator disabled the old key because it must not spend any more (frozen "
            + "with nothing left, an overlap share of nothing, the brake): a limit of 0 is never sent. Absent otherwise.")
    private Boolean disabledByOperator;

    public PendingRevocation() {
    }

    public PendingRevocation(String hash, String notAfter) {
        this.hash = hash;
        this.notAfter = notAfter;
    }

    public PendingRevocation(String hash, String notAfter, String reason, String reservedInPeriod, String usage,
            String usageInPeriod) {
        this.hash = hash;
        this.notAfter = notAfter;
        this.reason = reason;
        this.reservedInPeriod = reservedInPeriod;
        this.usage = usage;
        this.usageInPeriod = usageInPeriod;
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

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getReservedInPeriod() {
        return reservedInPeriod;
    }

    public void setReservedInPeriod(String reservedInPeriod) {
        this.reservedInPeriod = reservedInPeriod;
    }

    public String getUsage() {
        return usage;
    }

    public void setUsage(String usage) {
        this.usage = usage;
    }

    public String getUsageInPeriod() {
        return usageInPeriod;
    }

    public void setUsageInPeriod(String usageInPeriod) {
        this.usageInPeriod = usageInPeriod;
    }

    public Boolean getDisabledByOperator() {
        return disabledByOperator;
    }

    public void setDisabledByOperator(Boolean disabledByOperator) {
        this.disabledByOperator = disabledByOperator;
    }

    /** This entry with {@code disabledByOperator} set (entries are shared between status copies: never changed in place). */
    public PendingRevocation disabledByOperator() {
        PendingRevocation copy = new PendingRevocation(hash, notAfter, reason, reservedInPeriod, usage, usageInPeriod);
        copy.setDisabledByOperator(true);
        return copy;
    }

    /** True for a rotation whose old key waits for every consumer (scheduled or requested). */
    public boolean waitsForRollout() {
        return SCHEDULED.equals(reason) || REQUESTED.equals(reason);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PendingRevocation p && Objects.equals(hash, p.hash) && Objects.equals(notAfter, p.notAfter)
                && Objects.equals(reason, p.reason) && Objects.equals(reservedInPeriod, p.reservedInPeriod)
                && Objects.equals(usage, p.usage) && Objects.equals(usageInPeriod, p.usageInPeriod)
                && Objects.equals(disabledByOperator, p.disabledByOperator);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hash, notAfter, reason, reservedInPeriod);
    }
}
