package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * The adoption of an existing key (spec.adoptKeyFrom): under way ({@code startedAt} set, recorded
 * before the first write to the key) or done ({@code adoptedAt}). While under way it holds what a
 * restart needs to finish it or to undo its one write, and nothing a tenant could learn another
 * key's identity from: the key is named by keyed digests only, which only the operator can compute.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AdoptionStatus {

    @JsonPropertyDescription("The Secret the key was (or is being) adopted from.")
    private String from;

    @JsonPropertyDescription("The entry of that Secret holding the key.")
    private String entry;

    @JsonPropertyDescription("When the adoption under way recorded its intent (RFC 3339 time); absent when none is under way.")
    private String startedAt;

    @JsonPropertyDescription("A keyed digest of the hash of the key being adopted (only the operator can compute it).")
    private String candidate;

    @JsonPropertyDescription("A keyed digest of the key value being adopted and its hash.")
    private String keyDigest;

    @JsonPropertyDescription("The limit the key had before the adoption's proof of possession changed it: a USD amount "
            + "or unlimited; restored if the proof fails.")
    private String previousLimit;

    @JsonPropertyDescription("A keyed digest of the limit the proof of possession gives the key: it is put back only "
            + "while the key still has that limit.")
    private String challenge;

    @JsonPropertyDescription("The generation whose adoption failed its proof of possession: not tried again until the spec changes.")
    private Long failedGeneration;

    @JsonPropertyDescription("When the key was adopted (RFC 3339 time); a MaiClient adopts once.")
    private String adoptedAt;

    public AdoptionStatus() {
    }

    public AdoptionStatus(AdoptionStatus other) {
        this.from = other.from;
        this.entry = other.entry;
        this.startedAt = other.startedAt;
        this.candidate = other.candidate;
        this.keyDigest = other.keyDigest;
        this.previousLimit = other.previousLimit;
        this.challenge = other.challenge;
        this.failedGeneration = other.failedGeneration;
        this.adoptedAt = other.adoptedAt;
    }

    /** True while an adoption is under way (its intent recorded, its outcome not yet). */
    public boolean underWay() {
        return startedAt != null;
    }

    public String getFrom() {
        return from;
    }

    public void setFrom(String from) {
        this.from = from;
    }

    public String getEntry() {
        return entry;
    }

    public void setEntry(String entry) {
        this.entry = entry;
    }

    public String getStartedAt() {
        return startedAt;
    }

    public void setStartedAt(String startedAt) {
        this.startedAt = startedAt;
    }

    public String getCandidate() {
        return candidate;
    }

    public void setCandidate(String candidate) {
        this.candidate = candidate;
    }

    public String getKeyDigest() {
        return keyDigest;
    }

    public void setKeyDigest(String keyDigest) {
        this.keyDigest = keyDigest;
    }

    public String getPreviousLimit() {
        return previousLimit;
    }

    public void setPreviousLimit(String previousLimit) {
        this.previousLimit = previousLimit;
    }

    public String getChallenge() {
        return challenge;
    }

    public void setChallenge(String challenge) {
        this.challenge = challenge;
    }

    public Long getFailedGeneration() {
        return failedGeneration;
    }

    public void setFailedGeneration(Long failedGeneration) {
        this.failedGeneration = failedGeneration;
    }

    public String getAdoptedAt() {
        return adoptedAt;
    }

    public void setAdoptedAt(String adoptedAt) {
        this.adoptedAt = adoptedAt;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdoptionStatus a && Objects.equals(from, a.from) && Objects.equals(entry, a.entry)
                && Objects.equals(startedAt, a.startedAt) && Objects.equals(candidate, a.candidate)
                && Objects.equals(keyDigest, a.keyDigest) && Objects.equals(previousLimit, a.previousLimit)
                && Objects.equals(challenge, a.challenge)
                && Objects.equals(failedGeneration, a.failedGeneration) && Objects.equals(adoptedAt, a.adoptedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(from, entry, startedAt, candidate, keyDigest, previousLimit, challenge, failedGeneration, adoptedAt);
    }
}
