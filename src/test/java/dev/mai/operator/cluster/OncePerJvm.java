package dev.mai.operator.cluster;

import java.util.function.Supplier;

/**
 * Something started at most once per test JVM, on first use, and shared by every test class of the
 * JVM ({@link RealApiServer}, {@link WholeCluster}). A failed start fails every later use the same
 * way instead of being tried again by each class.
 */
final class OncePerJvm<T> {

    private final Supplier<T> start;
    private T started;
    private RuntimeException failure;

    OncePerJvm(Supplier<T> start) {
        this.start = start;
    }

    synchronized T get() {
        if (failure != null) {
            throw failure;
        }
        if (started == null) {
            try {
                started = start.get();
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }
        return started;
    }
}
