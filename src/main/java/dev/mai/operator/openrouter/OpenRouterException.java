package dev.mai.operator.openrouter;

import java.time.Duration;
import java.util.Optional;

/**
 * A failed OpenRouter call. {@link #retryable()} separates what time can fix (408, 429, 5xx, I/O)
 * from what needs a person (400, 401, 402, 403). The message carries OpenRouter's own error text
 * with anything shaped like a key removed.
 */
public class OpenRouterException extends RuntimeException {

    /** Status code used for failures without an HTTP answer (connection refused, timeout, reset). */
    public static final int NO_RESPONSE = 0;

    private final int status;
    private final String operation;
    private final transient Duration retryAfter;

    public OpenRouterException(String operation, int status, String detail, Duration retryAfter, Throwable cause) {
        super(operation + " failed: " + (status == NO_RESPONSE ? "no response" : "HTTP " + status)
                + (detail == null || detail.isBlank() ? "" : " (" + ApiKey.scrub(detail) + ")"), cause, false, true);
        this.status = status;
        this.operation = operation;
        this.retryAfter = retryAfter;
    }

    /** The HTTP status, or {@link #NO_RESPONSE}. */
    public int status() {
        return status;
    }

    /** The operation that failed, e.g. {@code POST /keys}. */
    public String operation() {
        return operation;
    }

    /** The server's Retry-After, already clamped, when it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** True when the same call may succeed later without anyone changing anything. */
    public boolean retryable() {
        return status == NO_RESPONSE || status == 408 || status == 429 || status >= 500;
    }

    public boolean rateLimited() {
        return status == 429;
    }

    /** The management key was refused (401) or is not a management key (403). */
    public boolean managementKeyRejected() {
        return status == 401 || status == 403;
    }

    public boolean insufficientCredits() {
        return status == 402;
    }
}
