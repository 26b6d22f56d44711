package dev.mai.operator.reconciler;

import java.util.List;

/**
 * Where the client's consumers stand with the Secret's current revision: how many there are, which
 * have not rolled it out yet, which were left alone (missing), whether one gave up (its progress
 * deadline passed), and whether the API server refused an app object.
 */
record Rollout(int consumers, List<String> waiting, List<String> missing, boolean deadlineExceeded, boolean refused) {

    /** Every consumer runs the current revision: old keys may go. */
    boolean done() {
        return waiting.isEmpty();
    }
}
