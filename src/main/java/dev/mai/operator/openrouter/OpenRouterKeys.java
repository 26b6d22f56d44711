package dev.mai.operator.openrouter;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * OpenRouter's key-management API, as the reconciler needs it. Every call takes the management
 * key to use, because tenants may be billed to different OpenRouter accounts. Failures are thrown
 * as {@link OpenRouterException}, which says whether a retry can help.
 */
public interface OpenRouterKeys {

    /** {@code POST /keys}: creates a key with the name, limit and reset of {@code settings}. */
    CreatedKey create(ApiKey managementKey, KeySettings settings);

    /**
     * Every key on the management key's account, disabled ones included: all pages of
     * {@code GET /keys} (100 newest per page, no page metadata), de-duplicated by hash, since keys
     * created or deleted between two pages shift the offsets. The listing ends on a page of fewer
     * than 100 keys (an empty one included). One cut short — a page that repeats the one before (the
     * offset ignored) or 1,000 full pages — is never returned: it throws a retryable
     * {@link OpenRouterException}, so no caller can take a key it did not reach for gone or never made.
     */
    List<KeyInfo> list(ApiKey managementKey);

    /** {@code GET /keys/{hash}}; empty when OpenRouter answers 404. */
    Optional<KeyInfo> get(ApiKey managementKey, String hash);

    /** {@code PATCH /keys/{hash}} with only the fields of {@code patch} that are set. */
    KeyInfo update(ApiKey managementKey, String hash, KeyPatch patch);

    /**
     * {@code GET /key} with a client's own key: true when it authenticates, false on 401 (deleted,
     * disabled, expired or not yet known — {@code GET /keys/{hash}} tells which).
     */
    boolean authenticates(ApiKey key);

    /**
     * {@code GET /key} with a key itself: what OpenRouter says of the key that calls (its label,
     * limit, spend, and whether it is a management key); empty on 401 (deleted, disabled, expired or
     * not yet known).
     */
    Optional<CallerKey> describe(ApiKey key);

    /** {@code DELETE /keys/{hash}}; false when the key was already gone (404), which callers treat as success. */
    boolean delete(ApiKey managementKey, String hash);

    /**
     * OpenRouter's own clock: the HTTP {@code Date} of its most recent answer, moved on by the time
     * elapsed since on a monotonic clock (which no wall-clock jump moves). Empty until an answer
     * carried a readable {@code Date}. Limit resets are judged on it as well as on the operator's
     * clock, so that neither clock alone can raise a limit early.
     */
    default Optional<Instant> serverTime() {
        return Optional.empty();
    }
}
