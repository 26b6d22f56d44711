package dev.mai.operator.api.v1alpha1;

import java.util.Map;

/** Labels and annotations the operator owns on the objects it creates. */
public final class Labels {

    /**
     * On a Namespace, set by the cluster's administrator: the largest spec.spendingLimit a MaiClient of
     * that namespace may ask for (a positive USD amount with at most 2 decimals).
     */
    public static final String SPENDING_CAP = "mai.dev/max-spending-limit";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "mai-operator";
    /** On a child: the name of the MaiClient it belongs to (same namespace). */
    public static final String CLIENT = "mai.dev/client";
    /** Label selector of every informer on children: only what this operator manages is cached. */
    public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + MANAGED_BY_VALUE;

    public static final String KEY_HASH = "mai.dev/key-hash";
    /**
     * On a Secret of a MaiClient with deletionPolicy Retain: the MaiClient's UID. Such a Secret has no
     * owner reference (the garbage collector must never delete the only copy of a kept key), so this
     * and the {@link #CLIENT} label say whose it is.
     */
    public static final String CLIENT_UID = "mai.dev/client-uid";
    public static final String KEY_DIGEST = "mai.dev/key-digest";
    public static final String ENV_REVISION = "mai.dev/env-revision";
    /** Which labels and annotations of a child came from the spec, so that removing them there removes them here. */
    public static final String SPEC_METADATA = "mai.dev/spec-metadata";

    /** On a Secret holding a management key for provisioningKeySecretRef: must be "true". */
    public static final String PROVISIONING_KEY = "mai.dev/provisioning-key";
    public static final String PROVISIONING_KEY_SELECTOR = PROVISIONING_KEY + "=true";
    /** Held on a management-key Secret by each MaiClient using it: this prefix and the MaiClient's UID. */
    public static final String PROVISIONING_KEY_FINALIZER_PREFIX = "mai.dev/key-user-";
    /** On a MaiClient: "true" lets a person give up its OpenRouter key and release everything. */
    public static final String ABANDON_KEY = "mai.dev/abandon-key";
    /** On a MaiClient: a new value asks for a key rotation (honoured at most once per 5 minutes). */
    public static final String ROTATE = "mai.dev/rotate";
    /**
     * On a MaiClient whose key another installation owns (KeyOwnedElsewhere): this installation's id
     * lets it take the client over with a new key of its own; the other installation's key is left alone.
     */
    public static final String TAKE_OVER = "mai.dev/take-over";
    /**
     * On a MaiClient: exactly "true" pauses the operator's writes for it, to OpenRouter and to the
     * cluster, except its status, its events, the brakes (spec.disableKey, a lower limit) and its
     * deletion. Any other value is no pause.
     */
    public static final String PAUSED = "mai.dev/paused";

    private static final String RESERVED_PREFIX = "mai.dev/";

    private Labels() {
    }

    /** The labels every child of {@code clientName} carries; nothing is copied from the MaiClient itself. */
    public static Map<String, String> child(String clientName) {
        return Map.of(MANAGED_BY, MANAGED_BY_VALUE, CLIENT, clientName);
    }

    /** Keys that users may not set through {@code spec.secret.labels} or {@code annotations}. */
    public static boolean reserved(String key) {
        return MANAGED_BY.equals(key) || key.startsWith(RESERVED_PREFIX);
    }
}
