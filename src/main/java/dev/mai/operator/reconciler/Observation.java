package dev.mai.operator.reconciler;

import dev.mai.operator.openrouter.KeyInfo;
import java.util.Set;

/**
 * What a validation sweep saw of one MaiClient's key: OpenRouter's listing entry for the hash its
 * status names ({@code key}), or null when OpenRouter confirmed the key gone ({@code GET /keys/{hash}}
 * answered 404); whether that key's name fails to mark it as this installation's key of this
 * MaiClient ({@code foreign}: its figures are not this client's, and a reconcile reports it); and this MaiClient's keys that no Secret or status holds any more and that have
 * stayed so for the orphan grace period ({@code orphans}). Delivered to the reconcile as a
 * secondary resource: an event fires only when it differs from the last one.
 *
 * <p>When the sweep could not check the key ({@code gap} set: the listing was taken for a fault, the
 * account could not be listed, a lookup failed), {@code key} is what the last check saw (null if no
 * check since this operator started) and says nothing about the key being gone.
 */
public record Observation(String hash, KeyInfo key, Set<String> orphans, boolean foreign, SweepGap gap) {

    public Observation(String hash, KeyInfo key, Set<String> orphans, boolean foreign) {
        this(hash, key, orphans, foreign, null);
    }

    public Observation(String hash, KeyInfo key, Set<String> orphans) {
        this(hash, key, orphans, false);
    }

    /** OpenRouter says the key no longer exists. */
    public boolean gone() {
        return key == null && gap == null;
    }
}
