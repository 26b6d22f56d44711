package dev.mai.operator.reconciler;

/** A Secret of the output name exists and is not this MaiClient's. */
final class SecretConflict extends RuntimeException {
    SecretConflict(String message) {
        super(message, null, false, false);
    }
}
