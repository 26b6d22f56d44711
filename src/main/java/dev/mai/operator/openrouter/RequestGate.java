package dev.mai.operator.openrouter;

import dev.mai.operator.config.MaiConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What every OpenRouter request passes first: one rate limiter shared by all reconciles
 * (MAI_OPENROUTER_MAX_RPS), and a pause per OpenRouter account after a 429, for as long as its
 * Retry-After said. A request during a pause is not sent: it fails at once as rate limited, and the
 * reconcile is retried with backoff.
 */
@ApplicationScoped
public class RequestGate {

    private final long intervalNanos;
    private final Clock clock;
    private final Map<String, Instant> pausedUntil = new ConcurrentHashMap<>();
    private long nextSlot;

    public RequestGate(MaiConfig config, Clock clock) {
        double rps = config.openrouterMaxRps();
        if (!(rps > 0)) {
            throw new IllegalArgumentException("MAI_OPENROUTER_MAX_RPS must be greater than 0");
        }
        this.intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / rps);
        this.clock = clock;
    }

    /** Waits for a request slot, or fails when the account is paused after a 429. */
    public void enter(ApiKey account, String operation) {
        checkPause(account, operation);
        long wait;
        synchronized (this) {
            long t = System.nanoTime();
            long slot = Math.max(nextSlot, t);
            nextSlot = slot + intervalNanos;
            wait = slot - t;
        }
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OpenRouterException(operation, OpenRouterException.NO_RESPONSE, "interrupted", null, null);
            }
            checkPause(account, operation); // a 429 may have arrived while this request waited for its slot
        }
    }

    private void checkPause(ApiKey account, String operation) {
        Instant until = pausedUntil.get(accountId(account));
        Instant now = clock.instant();
        if (until != null && now.isBefore(until)) {
            throw new OpenRouterException(operation, 429, "not sent: this OpenRouter account is paused after a rate limit until "
                    + until, Duration.between(now, until), null);
        }
    }

    /** After a 429: no request to this account before {@code retryAfter} has passed. */
    public void pause(ApiKey account, Duration retryAfter) {
        Instant until = clock.instant().plus(retryAfter);
        pausedUntil.merge(accountId(account), until, (a, b) -> a.isAfter(b) ? a : b);
    }

    /** Accounts are told apart by a digest of their management key, never by the key itself. */
    private static String accountId(ApiKey account) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(account.reveal().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
