package dev.mai.operator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * The operator's MAI_* settings. Each method maps to an environment variable:
 * {@code mai.openrouter-url} is {@code MAI_OPENROUTER_URL}, and so on.
 */
@ConfigMapping(prefix = "mai")
public interface MaiConfig {

    /** Where the operator calls OpenRouter. */
    @WithName("openrouter-url")
    @WithDefault("https://openrouter.ai/api/v1")
    String openrouterUrl();

    /** What is written as OPENROUTER_HOST; defaults to {@link #openrouterUrl()}. */
    @WithName("openrouter-host")
    Optional<String> openrouterHost();

    /** Operator-wide management key, as a value. Prefer {@link #provisioningKeyFile()}. */
    @WithName("provisioning-key")
    Optional<String> provisioningKey();

    /** File holding the operator-wide management key; re-read when it changes. */
    @WithName("provisioning-key-file")
    Optional<String> provisioningKeyFile();

    /**
     * Label selector on namespaces allowed to use the operator-wide management key; absent: all.
     * MaiClients elsewhere must name their own key (spec.provisioningKeySecretRef).
     */
    @WithName("default-key-namespaces")
    Optional<String> defaultKeyNamespaces();

    /**
     * Label selector on the namespaces whose MaiClients may adopt an existing key
     * (spec.adoptKeyFrom); absent: none may. A tenant holding a leaked key must not be able to take
     * it over, so an administrator opens namespaces one by one.
     */
    @WithName("adoption-namespaces")
    Optional<String> adoptionNamespaces();

    /**
     * Owners whose keys an adoption may move to a MaiClient: installation ids of other operator
     * installations, {@code mai-env} (a .env the mai-env command manages) and {@code retained} (a key
     * kept after its MaiClient was deleted); absent: only keys that carry no owner's mark.
     */
    @WithName("adoption-from")
    Optional<List<String>> adoptionFrom();

    /** Largest spending limit a MaiClient may ask for, in USD. */
    @WithName("max-spending-limit")
    Optional<BigDecimal> maxSpendingLimit();

    /** Requests per second to OpenRouter, shared by all reconciles. */
    @WithName("openrouter-max-rps")
    @WithDefault("10")
    double openrouterMaxRps();

    /** How often the leader sweeps every management key's keys (jittered by up to a tenth). */
    @WithName("validation-interval")
    @WithDefault("15m")
    java.time.Duration validationInterval();

    /**
     * How long a key of this installation that no MaiClient holds must stay so before it is revoked
     * (a create in flight or a status not yet written must not look like an orphan).
     */
    @WithName("orphan-grace")
    @WithDefault("1h")
    java.time.Duration orphanGrace();

    /**
     * Longest wait before a forced rotation (revoked, tampered or lost key) deletes the old key while
     * a consumer has not rolled out the new one; for scheduled and requested rotations, how long a
     * rollout may take before it is reported as RolloutStuck (the old key is then kept).
     */
    @WithName("rotation-grace")
    @WithDefault("10m")
    java.time.Duration rotationGrace();

    /** Marks this installation's keys on OpenRouter; generated once into a ConfigMap when absent. */
    @WithName("installation-id")
    Optional<String> installationId();

    /**
     * Image prefixes spec.app.image must fall under (registry/path prefixes matched on whole path
     * segments); absent: any image.
     */
    @WithName("app-allowed-images")
    Optional<List<String>> appAllowedImages();

    /** Node label keys spec.app.nodeSelector may use ({@code *}: any); absent: none. */
    @WithName("app-allowed-node-selector-keys")
    Optional<List<String>> appAllowedNodeSelectorKeys();

    /** Taint keys spec.app.tolerations may name ({@code *}: any, also a toleration of every taint); absent: none. */
    @WithName("app-allowed-toleration-keys")
    Optional<List<String>> appAllowedTolerationKeys();

    /** The value written as OPENROUTER_HOST. */
    default String effectiveOpenrouterHost() {
        return openrouterHost().filter(h -> !h.isBlank()).orElse(openrouterUrl());
    }
}
