package dev.mai.operator.openrouter;

import dev.mai.operator.config.MaiConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What every OpenRouter request passes first: one request budget shared by all reconciles, sweeps
 * and front ends (MAI_OPENROUTER_MAX_RPS), handed out fairly among OpenRouter accounts, and a pause
 * per account after a 429, for as long as its Retry-After said.
 *
 * <p>Fair: requests wait in one queue per turn, and the slots go round robin to the turns with
 * requests waiting ({@link FairSlots}). A request made on behalf of a tenant ({@link #onBehalfOf},
 * the MaiClient's namespace, which the reconciler sets) takes that tenant's turn, whichever account
 * it goes to; any other request (the sweep, the mai-env command) takes its account's turn. So one
 * tenant's many MaiClients, its management keys of its own (even made-up ones), a burst of retries
 * or a sweep of a 10,000-key account delay another tenant's request by about one slot per
 * competing turn, never by the length of their queues.
 *
 * <p>A request for a paused account is not sent: it fails at once as rate limited (the reconcile
 * is retried with backoff), and requests of that account already waiting leave the queue without
 * taking a slot. Accounts are told apart by a digest of their management key, never by the key.
 */
@ApplicationScoped
public class RequestGate {

    private final Clock clock;
    private final LongSupplier ticker;
    private final FairSlots slots;
    /** Per account digest: no request before this instant. Guarded by {@code this}. */
    private final Map<String, Instant> pausedUntil = new HashMap<>();

    @Inject
    public RequestGate(MaiConfig config, Clock clock) {
        this(config.openrouterMaxRps(), clock, System::nanoTime);
    }

    /** With the time of the slots from {@code ticker} (nanoseconds, as {@link System#nanoTime()}). */
    /** The operator's clock (the one every time decision uses). */
    Clock clock() {
        return clock;
    }

    RequestGate(double maxRps, Clock clock, LongSupplier ticker) {
        if (!(maxRps > 0)) {
            throw new IllegalArgumentException("MAI_OPENROUTER_MAX_RPS must be greater than 0");
        }
        this.slots = new FairSlots(Math.max(1, (long) (TimeUnit.SECONDS.toNanos(1) / maxRps)));
        this.clock = clock;
        this.ticker = ticker;
    }

    /** The tenant the current thread's requests are made for; null: the account's own turn. */
    private static final ThreadLocal<String> TENANT = new ThreadLocal<>();

    /** Ends {@link #onBehalfOf}: the thread's earlier tenant is in effect again. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Until the returned scope is closed, this thread's requests take {@code tenant}'s turn
     * (a namespace: the unit a tenant controls), whatever account they go to.
     */
    public static Scope onBehalfOf(String tenant) {
        String before = TENANT.get();
        TENANT.set(tenant);
        return () -> {
            if (before == null) {
                TENANT.remove();
            } else {
                TENANT.set(before);
            }
        };
    }

    /** Waits for this request's turn at a slot, or fails when the account is paused after a 429. */
    public void enter(ApiKey account, String operation) {
        String id = accountId(account);
        String tenant = TENANT.get();
        String turn = tenant == null ? "account:" + id : "tenant:" + tenant;
        synchronized (this) {
            checkPause(id, operation);
            FairSlots.Ticket ticket = slots.enqueue(turn, id);
            try {
                while (true) {
                    FairSlots.Ticket granted = slots.grant(ticker.getAsLong());
                    if (granted != null && granted != ticket) {
                        notifyAll(); // its thread is waiting: let it go
                    }
                    if (ticket.granted) {
                        return;
                    }
                    if (ticket.refused) {
                        throw paused(id, operation); // the account was paused while this request waited
                    }
                    long nanos = Math.max(slots.untilNextSlot(ticker.getAsLong()), TimeUnit.MICROSECONDS.toNanos(100));
                    wait(TimeUnit.NANOSECONDS.toMillis(nanos), (int) (nanos % 1_000_000));
                }
            } catch (InterruptedException e) {
                slots.withdraw(ticket);
                Thread.currentThread().interrupt();
                throw new OpenRouterException(operation, OpenRouterException.NO_RESPONSE, "interrupted", null, null);
            } catch (RuntimeException e) {
                slots.withdraw(ticket);
                throw e;
            }
        }
    }

    /** Throws when the account is paused now. Call with the lock held. */
    private void checkPause(String id, String operation) {
        Instant until = pausedUntil.get(id);
        if (until != null && clock.instant().isBefore(until)) {
            throw paused(id, operation);
        }
    }

    private OpenRouterException paused(String id, String operation) {
        Instant until = pausedUntil.get(id);
        Duration left = Duration.between(clock.instant(), until);
        return new OpenRouterException(operation, 429, "not sent: this OpenRouter account is paused after a rate limit until "
                + until, left.isNegative() ? Duration.ZERO : left, null);
    }

    /** After a 429: no request to this account before {@code retryAfter} has passed; its waiting requests fail now. */
    public synchronized void pause(ApiKey account, Duration retryAfter) {
        String id = accountId(account);
        Instant until = clock.instant().plus(retryAfter);
        pausedUntil.merge(id, until, (a, b) -> a.isAfter(b) ? a : b);
        slots.refuseAll(id);
        notifyAll();
    }

    /** How many requests wait for a slot now. */
    synchronized int waiting() {
        return slots.waiting();
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
