package dev.mai.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful stand-in for OpenRouter's key-management API, served over real HTTP on loopback and
 * faithful to shared/openrouter-api.md: 201 on create with the plaintext key once at top level,
 * random hashes (not derivable from the key), masked labels, Postgres-style timestamps, the error
 * envelope, 401 for unknown keys, 403 for a client key on management routes, 404 for unknown
 * hashes, pages of 100 newest first. Switches add latency and faults (a status for the next N
 * requests or for every request, with an optional Retry-After), and listings that never end or
 * ignore the offset. Every request is recorded, with its body and its outcome, also when the client
 * went away before the answer (a SIGKILLed operator). Every answer carries OpenRouter's clock in
 * its {@code Date} header, which {@link #dateSkew} can move away from the tests' clock.
 *
 * <p>Served by Vert.x rather than the JDK's HTTP server: that one overwrites any {@code Date} header
 * with its own clock, and cannot tell that a client went away while its request was being served.
 */
public final class OpenRouterSimulator implements AutoCloseable {

    /** What became of a request. */
    public enum Outcome {
        /** The client got the answer. */
        ANSWERED,
        /** The simulator dropped the connection instead of answering ({@link #loseCreateResponses}). */
        DROPPED,
        /** The client was gone (killed, timed out) before the answer could reach it; the work was done all the same. */
        CLIENT_GONE
    }

    /**
     * One request as the simulator saw it, recorded once it was done with, whatever became of it;
     * status {@link #LOST} when the simulator dropped the connection instead. {@code status} is what
     * the simulator answered, or would have: see {@code outcome}. {@code body} is the request body
     * as sent ("" for none).
     */
    public record Request(String method, String path, int status, Instant at, String userAgent, String body, Outcome outcome) {
        public static final int LOST = -1;

        /** e.g. {@code POST /keys}, {@code PATCH /keys/{hash}}. */
        public String operation() {
            return method + " " + path.replaceAll("/keys/[0-9a-f]{64}", "/keys/{hash}");
        }

        public boolean isWrite() {
            return !"GET".equals(method);
        }

        @Override
        public String toString() {
            return method + " " + path + (body.isEmpty() ? "" : " " + body) + " -> " + status + (outcome == null ? "" : " " + outcome)
                    + " at " + at;
        }
    }

    /** Whose key: the installation id and the MaiClient UID in the name's trailing suffix (retained or not). */
    public record Owner(String installation, String uid) {
        private static final Pattern SUFFIX = Pattern.compile(" \\[mai:([^:\\]]+):([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})(:retained)?]$");

        static Optional<Owner> of(String keyName) {
            if (keyName == null) {
                return Optional.empty();
            }
            Matcher m = SUFFIX.matcher(keyName);
            return m.find() ? Optional.of(new Owner(m.group(1), m.group(2))) : Optional.empty();
        }
    }

    /**
     * A request after which one client's keys could spend more in the period than the operator's
     * last seen spec allowed: {@code before} and {@code after} are the spent plus the still spendable
     * of all its keys (null: unlimited), {@code keys} the figures of each.
     */
    public record BudgetBreach(Request request, Owner owner, String client, BigDecimal before, BigDecimal after,
            ClientBudgets.Allowance allowance, String keys) {
        @Override
        public String toString() {
            return request + " left MaiClient " + client + " (uid " + owner.uid() + ", installation " + owner.installation()
                    + ") able to spend " + show(after) + " in the period (spent + still spendable; before the request " + show(before)
                    + ") while the operator may have acted on at most " + show(allowance.limit()) + " [" + allowance.why()
                    + "]; its keys now: " + keys;
        }

        private static String show(BigDecimal amount) {
            return amount == null ? "unlimited" : amount.toPlainString();
        }
    }

    /** A request being served now: for timing a kill while one is in flight. */
    public record InFlight(String operation, Instant since) {
    }

    /** A key as OpenRouter stores it. */
    public static final class Key {
        public final String secret;
        public final String hash;
        public final String managementKey;
        public final Instant createdAt;
        public volatile String name;
        public volatile boolean disabled;
        public volatile BigDecimal limit;
        public volatile String limitReset;
        public volatile BigDecimal usage = BigDecimal.ZERO;
        /** Spend since the last reset of the limit period (what {@code usage_daily/weekly/monthly} show). */
        public volatile BigDecimal usageInPeriod = BigDecimal.ZERO;
        public volatile Instant updatedAt;
        public volatile boolean deleted;

        Key(String secret, String hash, String managementKey, Instant createdAt) {
            this.secret = secret;
            this.hash = hash;
            this.managementKey = managementKey;
            this.createdAt = createdAt;
        }

        public String label() {
            return "sk-or-v1-" + secret.substring(9, 12) + "..." + secret.substring(secret.length() - 3);
        }

        @Override
        public String toString() {
            return "Key[" + hash.substring(0, 8) + " " + name + "]";
        }
    }

    private static final Pattern KEY_PATH = Pattern.compile("/keys/([^/]+)");
    private static final DateTimeFormatter POSTGRES = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx");
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private final ObjectMapper json = new ObjectMapper();
    private final Vertx vertx;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "openrouter-simulator");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Key> keysByHash = new ConcurrentHashMap<>();
    private final Set<String> managementKeys = ConcurrentHashMap.newKeySet();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();
    private final ClientBudgets budgets = new ClientBudgets();
    private final List<BudgetBreach> breaches = new CopyOnWriteArrayList<>();
    private final List<Request> zeroLimits = new CopyOnWriteArrayList<>();
    /** Every request body received, for leak scans: kept when {@link #clearRequests()} empties the list above. */
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> issued = new CopyOnWriteArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Clock clock;

    private volatile long latencyMillis;
    private volatile int failStatus;
    private volatile boolean failAll;
    private final AtomicInteger failNext = new AtomicInteger();
    /** attack20: GET /key with this secret answers failStatus once okCurrentKey answers went out (until heal). */
    private volatile String failCurrentKeySecret;
    private final AtomicInteger okCurrentKey = new AtomicInteger();
    private volatile int failCurrentKeyStatus;
    /** attack20: a PATCH renaming this key is applied, and then answered with this status (until heal). */
    private volatile String failRenameAnswerOf;
    private volatile int failRenameAnswerStatus;
    private volatile String retryAfter;
    private volatile int createStatus = 201;
    private final AtomicInteger loseCreates = new AtomicInteger();
    private final AtomicInteger losePatches = new AtomicInteger();
    private volatile boolean losePatchesApplied;
    private volatile java.time.Duration listDelay = java.time.Duration.ZERO;
    private volatile boolean keyInData;
    private volatile boolean bareKeyAnswers;
    private final AtomicInteger hideHalf = new AtomicInteger();
    private final Set<String> hiddenFromListings = ConcurrentHashMap.newKeySet();
    private volatile java.time.Duration propagation = java.time.Duration.ZERO;
    private volatile java.time.Duration lookupDelay = java.time.Duration.ZERO;
    private volatile java.time.Duration createAnswerDelay = java.time.Duration.ZERO;
    private volatile boolean repeatPages;
    private volatile boolean endlessListing;
    private volatile java.time.Duration dateSkew = java.time.Duration.ZERO;

    public OpenRouterSimulator() {
        this(Clock.systemUTC());
    }

    public OpenRouterSimulator(Clock clock) {
        this(clock, 0);
    }

    /** On {@code port} of 127.0.0.1 (0: any free port). */
    public OpenRouterSimulator(Clock clock, int port) {
        this.clock = clock;
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setAcceptBacklog(200));
        server.requestHandler(this::accept);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot start the OpenRouter simulator", e);
        }
    }

    /** The base URL to give the operator as MAI_OPENROUTER_URL. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort() + "/api/v1";
    }

    /** Registers and returns a new management key. */
    public String newManagementKey() {
        String key = newSecret();
        managementKeys.add(key);
        issued.add(key);
        return key;
    }

    // ---- switches -----------------------------------------------------------------------------

    public OpenRouterSimulator latency(long millis) {
        this.latencyMillis = millis;
        return this;
    }

    /** Answers {@code status} to the next {@code count} requests other than key listings (which the sweep sends on its own clock). */
    public OpenRouterSimulator failNext(int count, int status) {
        this.failStatus = status;
        this.failNext.set(count);
        return this;
    }

    /** Answers {@code status} to every request until {@link #heal()}. */
    public OpenRouterSimulator failAll(int status) {
        this.failStatus = status;
        this.failAll = true;
        return this;
    }

    /** Sends this Retry-After header with injected failures (null: none). */
    public OpenRouterSimulator retryAfter(String value) {
        this.retryAfter = value;
        return this;
    }

    /**
     * The next {@code count} creates make the key and then drop the connection before answering:
     * the client never learns the key, which exists and bills all the same.
     */
    public OpenRouterSimulator loseCreateResponses(int count) {
        loseCreates.set(count);
        return this;
    }

    /**
     * The next {@code count} PATCHes drop the connection without an answer: after changing the key
     * ({@code applied}: the answer was lost) or before (the request never got through). Either way the
     * client cannot tell which.
     */
    public OpenRouterSimulator losePatchResponses(int count, boolean applied) {
        losePatches.set(count);
        losePatchesApplied = applied;
        return this;
    }

    /** New keys show up in {@code GET /keys} only this long after their creation (eventual consistency). */
    public OpenRouterSimulator listDelay(java.time.Duration delay) {
        this.listDelay = delay;
        return this;
    }

    /** Creates make the key at once and answer only this much later: a client can be killed in between. */
    public OpenRouterSimulator createAnswerDelay(java.time.Duration delay) {
        this.createAnswerDelay = delay;
        return this;
    }

    /** Answers creates with this status instead of 201 (clients must accept any 2xx). */
    public OpenRouterSimulator createStatus(int status) {
        this.createStatus = status;
        return this;
    }

    /** Puts the plaintext key into {@code data.key} instead of the top level, as one OpenRouter doc shows. */
    public OpenRouterSimulator keyInData(boolean inData) {
        this.keyInData = inData;
        return this;
    }

    /**
     * Answers every page of {@code GET /keys} past the first with the first page, as a server that
     * ignores {@code offset} would (an account with fewer than 100 keys has no second page: unaffected).
     */
    /** Answers {@code GET /key} with {@code 200 {"data": {}}} (a broken proxy, a changed API) until {@link #heal()}. */
    public OpenRouterSimulator bareKeyAnswers(boolean bare) {
        this.bareKeyAnswers = bare;
        return this;
    }

    public OpenRouterSimulator repeatListPages(boolean repeat) {
        this.repeatPages = repeat;
        return this;
    }

    /** Fills every page of {@code GET /keys} to 100 with made-up keys: the listing never ends. */
    public OpenRouterSimulator endlessListing(boolean endless) {
        this.endlessListing = endless;
        return this;
    }

    /**
     * OpenRouter's clock: the {@code Date} header of every answer is the tests' clock moved by
     * {@code skew} (negative: OpenRouter is behind). Key timestamps and usage are not moved.
     */
    public OpenRouterSimulator dateSkew(java.time.Duration skew) {
        this.dateSkew = skew;
        return this;
    }

    /** attack20: {@code GET /key} with {@code secret} answers {@code ok} times, then {@code status} until {@link #heal()}. */
    public OpenRouterSimulator failCurrentKeyAfter(String secret, int ok, int status) {
        this.okCurrentKey.set(ok);
        this.failCurrentKeyStatus = status;
        this.failCurrentKeySecret = secret;
        return this;
    }

    /** attack20: a PATCH that renames key {@code hash} is applied, then answered {@code status} (until {@link #heal()}). */
    public OpenRouterSimulator failRenameAnswer(String hash, int status) {
        this.failRenameAnswerStatus = status;
        this.failRenameAnswerOf = hash;
        return this;
    }

    public OpenRouterSimulator heal() {
        failCurrentKeySecret = null;
        failRenameAnswerOf = null;
        repeatPages = false;
        endlessListing = false;
        failAll = false;
        failNext.set(0);
        retryAfter = null;
        loseCreates.set(0);
        losePatches.set(0);
        listDelay = java.time.Duration.ZERO;
        hideHalf.set(0);
        hiddenFromListings.clear();
        propagation = java.time.Duration.ZERO;
        lookupDelay = java.time.Duration.ZERO;
        createAnswerDelay = java.time.Duration.ZERO;
        bareKeyAnswers = false;
        return this;
    }

    // ---- what happened ------------------------------------------------------------------------

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public long count(Predicate<Request> which) {
        return requests.stream().filter(which).count();
    }

    public long count(String operation) {
        return count(r -> r.operation().equals(operation));
    }

    public void clearRequests() {
        clearedAt = clock.instant();
        requests.clear();
    }

    /** When {@link #clearRequests()} was last called: requests that arrived before are not recorded. */
    private volatile Instant clearedAt = Instant.MIN;

    /**
     * What each MaiClient may have out, as the tests' API server shows it ({@link BudgetWatch} feeds
     * it): every create and every PATCH of a key (limit, enable, name) is judged against it.
     */
    public ClientBudgets budgets() {
        return budgets;
    }

    /**
     * The requests after which a client's keys together could spend more in the period than the
     * operator's last seen spec allows (see {@link #judge}), emptied by the call.
     */
    public List<BudgetBreach> takeBudgetBreaches() {
        List<BudgetBreach> out = List.copyOf(breaches);
        breaches.removeAll(out);
        return out;
    }

    /** The creates and PATCHes that carried {@code "limit": 0} (refused with 400), emptied by the call. */
    public List<Request> takeZeroLimitRequests() {
        List<Request> out = List.copyOf(zeroLimits);
        zeroLimits.removeAll(out);
        return out;
    }

    /**
     * A new limit period on OpenRouter (00:00 UTC of a new day, week or month): the period spend of
     * every key, deleted ones included, starts at zero again.
     */
    public synchronized void newPeriod() {
        keysByHash.values().forEach(k -> k.usageInPeriod = BigDecimal.ZERO);
    }

    /** The requests being served at this moment, each with when it arrived. */
    public List<InFlight> inFlight() {
        return List.copyOf(inFlight);
    }

    /** Keys not deleted (enabled or disabled). */
    public List<Key> liveKeys() {
        return keysByHash.values().stream().filter(k -> !k.deleted).sorted(Comparator.comparing(k -> k.createdAt)).toList();
    }

    public Optional<Key> key(String hash) {
        return Optional.ofNullable(keysByHash.get(hash));
    }

    public Collection<Key> allKeys() {
        return List.copyOf(keysByHash.values());
    }

    /** Every request body this simulator received, {@link #clearRequests()} notwithstanding: for leak scans. */
    public List<String> requestBodies() {
        return List.copyOf(bodies);
    }

    /** Every secret this simulator ever issued (client and management keys), for leak scans. */
    public List<String> issuedSecrets() {
        return List.copyOf(issued);
    }

    /** A key created as if through the API (no request is recorded): for setting up what a crash leaves behind. */
    public Key createKey(String managementKey, String name) {
        Key key = new Key(newSecret(), randomHex(32), managementKey, clock.instant().plusNanos(sequence.incrementAndGet() * 1000));
        key.name = name;
        keysByHash.put(key.hash, key);
        issued.add(key.secret);
        return key;
    }

    /**
     * Puts back a key as an earlier run left it (an upgrade fixture): its own value, hash, name,
     * figures and creation time, on {@code managementKey}'s account. Its value counts as issued, so
     * leak scans look for it too.
     */
    public synchronized Key restore(String secret, String hash, String managementKey, Instant createdAt, String name,
            BigDecimal limit, String limitReset, boolean disabled, BigDecimal usage, BigDecimal usageInPeriod) {
        Key key = new Key(secret, hash, managementKey, createdAt);
        key.name = name;
        key.limit = limit;
        key.limitReset = limitReset;
        key.disabled = disabled;
        key.usage = usage;
        key.usageInPeriod = usageInPeriod;
        keysByHash.put(hash, key);
        issued.add(secret);
        return key;
    }

    /** Simulated spend on a key. */
    public synchronized void spend(String hash, BigDecimal amount) {
        Key k = keysByHash.get(hash);
        k.usage = k.usage.add(amount);
        k.usageInPeriod = k.usageInPeriod.add(amount);
    }

    /** Answers the next {@code count} key listings with every other key left out (a listing fault). */
    public OpenRouterSimulator hideHalfOfListings(int count) {
        hideHalf.set(count);
        return this;
    }

    /**
     * Leaves these keys out of every {@code GET /keys} until {@link #heal()} or {@link #showInListings()}
     * (a listing fault): {@code GET /keys/{hash}} still shows them.
     */
    public OpenRouterSimulator hideFromListings(Collection<String> hashes) {
        hiddenFromListings.addAll(hashes);
        return this;
    }

    /** Ends {@link #hideFromListings}. */
    public OpenRouterSimulator showInListings() {
        hiddenFromListings.clear();
        return this;
    }

    /** {@code GET /keys/{hash}} answers 404 for keys younger than this (OpenRouter's lookups are eventually consistent). */
    public OpenRouterSimulator lookupDelay(java.time.Duration delay) {
        this.lookupDelay = delay;
        return this;
    }

    /** {@code GET /key} answers 401 for keys younger than this (a new key propagating). */
    public OpenRouterSimulator keyPropagation(java.time.Duration delay) {
        this.propagation = delay;
        return this;
    }

    /** As a person would in OpenRouter's dashboard. */
    public void disableOutside(String hash) {
        keysByHash.get(hash).disabled = true;
    }

    public void deleteOutside(String hash) {
        keysByHash.get(hash).deleted = true;
    }

    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        vertx.close();
        executor.shutdownNow();
    }

    // ---- HTTP ---------------------------------------------------------------------------------

    private void accept(HttpServerRequest request) {
        AtomicBoolean gone = new AtomicBoolean();
        // called when the connection closes while the answer still has to go out: the client went away
        request.response().closeHandler(v -> gone.set(true));
        request.body().onComplete(body -> executor.execute(() -> handle(new Exchange(request,
                body.succeeded() ? body.result().toString(StandardCharsets.UTF_8) : "", gone))));
    }

    private void handle(Exchange exchange) {
        String path = exchange.request.path().substring("/api/v1".length());
        String method = exchange.request.method().name();
        String body = exchange.body;
        Instant arrived = clock.instant();
        InFlight serving = new InFlight(new Request(method, path, 0, null, "", "", null).operation(), arrived);
        inFlight.add(serving);
        String userAgent = Optional.ofNullable(exchange.request.getHeader("User-Agent")).orElse("");
        // stamped with its arrival: a request of a process killed mid-answer belongs to before the kill, and
        // one that arrived before clearRequests() stays out of the next test's counts even if it ends later
        exchange.recorder = (answered, outcome) -> record(exchange, new Request(method, path, answered, arrived, userAgent, body, outcome));
        int status = Request.LOST;
        try {
            if (!body.isEmpty()) {
                bodies.add(body);
            }
            sleep(latencyMillis);
            // failNext aims at the reconciles' requests: the sweep's listing (every 2 s in tests) would race for it
            boolean listing = "GET".equals(method) && path.equals("/keys");
            String bearerNow = Optional.ofNullable(exchange.request.getHeader("Authorization")).orElse("").replaceFirst("^Bearer ", "");
            boolean failThisCurrentKey = path.equals("/key") && bearerNow.equals(failCurrentKeySecret)
                    && okCurrentKey.getAndDecrement() <= 0;
            if (failThisCurrentKey) {
                status = failCurrentKeyStatus;
                send(exchange, status, error(status, "Simulated failure"));
            } else if (failAll || !listing && failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                status = failStatus;
                if (retryAfter != null) {
                    exchange.header("Retry-After", retryAfter);
                }
                send(exchange, status, error(status, failStatus == 429 ? "Rate limit exceeded" : "Simulated failure"));
            } else {
                status = route(exchange, method, path, body);
            }
        } catch (IOException | RuntimeException e) {
            status = 500;
            send(exchange, status, error(500, "Simulator failure: " + e));
        } finally {
            // recorded whatever became of the request, so that counts stay true when the client died; an answer
            // was recorded as it went out (a client that read it finds it counted), and is corrected if it never arrived
            inFlight.remove(serving);
            Request recorded = exchange.recorded;
            if (recorded == null || recorded.outcome() != exchange.outcome || recorded.status() != status) {
                exchange.recorder.accept(status, exchange.outcome);
            }
        }
    }

    /** Records a request the first time, or puts its corrected record in place of the earlier one. */
    private void record(Exchange exchange, Request done) {
        Request before = exchange.recorded;
        exchange.recorded = done;
        if (!done.at().isBefore(clearedAt)) {
            if (before == null) {
                requests.add(done);
            } else {
                requests.replaceAll(r -> r == before ? done : r);
            }
        }
        if (exchange.zeroLimit) {
            if (before == null) {
                zeroLimits.add(done);
            } else {
                zeroLimits.replaceAll(r -> r == before ? done : r);
            }
        }
    }

    private int route(Exchange exchange, String method, String path, String body) throws IOException {
        String auth = Optional.ofNullable(exchange.request.getHeader("Authorization")).orElse("");
        if (!auth.startsWith("Bearer ")) {
            return send(exchange, 401, error(401, "No auth credentials found"));
        }
        String bearer = auth.substring("Bearer ".length());
        if (path.equals("/key") || path.equals("/auth/key")) {
            return currentKey(exchange, bearer);
        }
        if (path.equals("/chat/completions") && method.equals("POST")) {
            return completion(exchange, bearer);
        }
        if (!managementKeys.contains(bearer)) {
            boolean clientKey = keysByHash.values().stream().anyMatch(k -> k.secret.equals(bearer) && !k.deleted && !k.disabled);
            return clientKey ? send(exchange, 403, error(403, "Only management keys can perform this operation"))
                    : send(exchange, 401, error(401, "User not found."));
        }
        Matcher m = KEY_PATH.matcher(path);
        if (path.equals("/keys") && method.equals("POST")) {
            return create(exchange, bearer, body);
        }
        if (path.equals("/keys") && method.equals("GET")) {
            return list(exchange, bearer);
        }
        if (m.matches()) {
            Key key = keysByHash.get(m.group(1));
            if (key == null || key.deleted || !key.managementKey.equals(bearer)) {
                return send(exchange, 404, error(404, "Resource not found"));
            }
            switch (method) {
                case "GET":
                    if (key.createdAt.plus(lookupDelay).isAfter(clock.instant())) {
                        return send(exchange, 404, error(404, "Resource not found"));
                    }
                    return send(exchange, 200, wrap(keyObject(key)));
                case "PATCH":
                    return patch(exchange, key, body);
                case "DELETE":
                    key.deleted = true;
                    return send(exchange, 200, json.createObjectNode().put("deleted", true));
                default:
                    break;
            }
        }
        return send(exchange, 404, error(404, "Not found"));
    }

    private int create(Exchange exchange, String managementKey, String text) throws IOException {
        JsonNode body = readBody(text);
        if (body == null || !body.path("name").isTextual() || body.path("name").asText().isEmpty()) {
            return send(exchange, 400, error(400, "name is required"));
        }
        String reset = body.hasNonNull("limit_reset") ? body.get("limit_reset").asText() : null;
        if (reset != null && !Set.of("daily", "weekly", "monthly").contains(reset)) {
            return send(exchange, 400, error(400, "Invalid limit_reset"));
        }
        if (zeroLimit(body)) {
            exchange.zeroLimit = true;
            return send(exchange, 400, error(400, "limit must be greater than 0"));
        }
        String secret = newSecret();
        Key key = new Key(secret, randomHex(32), managementKey, clock.instant().plusNanos(sequence.incrementAndGet() * 1000));
        synchronized (this) {
            Map<Owner, Optional<BigDecimal>> before = exposures(Owner.of(body.get("name").asText()));
            key.name = body.get("name").asText();
            key.limit = body.hasNonNull("limit") ? amount(body.get("limit")) : null;
            key.limitReset = reset;
            keysByHash.put(key.hash, key);
            judge(exchange, before);
        }
        issued.add(secret);
        confirm(exchange, createStatus);
        if (loseCreates.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return exchange.drop();
        }
        sleep(createAnswerDelay.toMillis());
        ObjectNode data = keyObject(key);
        ObjectNode answer = wrap(data);
        if (keyInData) {
            data.put("key", secret);
        } else {
            answer.put("key", secret);
        }
        return send(exchange, createStatus, answer);
    }

    private int list(Exchange exchange, String managementKey) throws IOException {
        Map<String, String> query = query(exchange.request.query());
        int asked = Integer.parseInt(query.getOrDefault("offset", "0"));
        int offset = repeatPages ? 0 : asked;
        boolean includeDisabled = "true".equals(query.get("include_disabled"));
        List<Key> page = keysByHash.values().stream()
                .filter(k -> !k.deleted && k.managementKey.equals(managementKey) && (includeDisabled || !k.disabled))
                .filter(k -> !k.createdAt.plus(listDelay).isAfter(clock.instant()))
                .filter(k -> !hiddenFromListings.contains(k.hash))
                .sorted(Comparator.comparing((Key k) -> k.createdAt).reversed())
                .skip(offset).limit(100).toList();
        if (offset == 0 && hideHalf.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            List<Key> half = new ArrayList<>();
            for (int i = 0; i < page.size(); i += 2) {
                half.add(page.get(i));
            }
            page = half;
        }
        ArrayNode data = json.createArrayNode();
        page.forEach(k -> data.add(keyObject(k)));
        for (int i = page.size(); endlessListing && i < 100; i++) {
            Key madeUp = new Key(newSecret(), String.format("%064x", (long) asked + i), managementKey, clock.instant());
            madeUp.name = "made-up key " + (asked + i);
            data.add(keyObject(madeUp));
        }
        return send(exchange, 200, json.createObjectNode().set("data", data));
    }

    private int patch(Exchange exchange, Key key, String text) throws IOException {
        JsonNode body = readBody(text);
        if (body == null || !body.isObject()) {
            return send(exchange, 400, error(400, "Invalid body"));
        }
        if (body.has("limit_reset") && !body.get("limit_reset").isNull()
                && !Set.of("daily", "weekly", "monthly").contains(body.get("limit_reset").asText())) {
            return send(exchange, 400, error(400, "Invalid limit_reset"));
        }
        if (zeroLimit(body)) {
            exchange.zeroLimit = true;
            return send(exchange, 400, error(400, "limit must be greater than 0"));
        }
        boolean lose = losePatches.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        if (lose && !losePatchesApplied) {
            return exchange.drop();
        }
        synchronized (this) {
            Optional<Owner> taker = body.has("name") ? Owner.of(body.get("name").asText()).filter(o -> !Owner.of(key.name)
                    .filter(o::equals).isPresent()) : Optional.empty();
            Map<Owner, Optional<BigDecimal>> before = exposures(Owner.of(key.name), taker);
            // a key that changes hands (an adoption) brings what it could spend already: only more than that is the request's
            taker.filter(before::containsKey).ifPresent(o -> before.put(o, plus(before.get(o), contribution(key))));
            if (body.has("name")) {
                key.name = body.get("name").asText();
            }
            if (body.has("disabled")) {
                key.disabled = body.get("disabled").asBoolean();
            }
            if (body.has("limit")) {
                key.limit = body.get("limit").isNull() ? null : amount(body.get("limit"));
            }
            if (body.has("limit_reset")) {
                key.limitReset = body.get("limit_reset").isNull() ? null : body.get("limit_reset").asText();
            }
            key.updatedAt = clock.instant();
            judge(exchange, before);
        }
        if (body.has("name") && key.hash.equals(failRenameAnswerOf)) {
            return send(exchange, failRenameAnswerStatus, error(failRenameAnswerStatus, "Simulated failure after the write"));
        }
        confirm(exchange, 200);
        if (lose) {
            return exchange.drop();
        }
        return send(exchange, 200, wrap(keyObject(key)));
    }

    /** A test completion, as the old script sent with a new key: any live client key gets a one-word answer. */
    private int completion(Exchange exchange, String bearer) throws IOException {
        boolean live = keysByHash.values().stream().anyMatch(k -> k.secret.equals(bearer) && !k.deleted && !k.disabled);
        if (!live) {
            return send(exchange, 401, error(401, "User not found."));
        }
        ObjectNode answer = json.createObjectNode().put("id", "gen-" + randomHex(8)).put("object", "chat.completion");
        answer.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", "OK");
        return send(exchange, 200, answer);
    }

    private int currentKey(Exchange exchange, String bearer) throws IOException {
        if (bareKeyAnswers) {
            return send(exchange, 200, wrap(json.createObjectNode()));
        }
        if (managementKeys.contains(bearer)) {
            ObjectNode data = json.createObjectNode();
            data.put("label", "sk-or-v1-" + bearer.substring(9, 12) + "..." + bearer.substring(bearer.length() - 3));
            data.putNull("limit");
            data.put("usage", 0);
            data.put("is_management_key", true);
            data.put("is_provisioning_key", true);
            return send(exchange, 200, wrap(data));
        }
        Optional<Key> key = keysByHash.values().stream().filter(k -> k.secret.equals(bearer) && !k.deleted && !k.disabled)
                .filter(k -> !k.createdAt.plus(propagation).isAfter(clock.instant())).findFirst();
        if (key.isEmpty()) {
            return send(exchange, 401, error(401, "User not found."));
        }
        ObjectNode data = keyObject(key.get());
        data.remove(List.of("hash", "name", "disabled"));
        data.put("is_management_key", false);
        data.put("is_provisioning_key", false);
        data.put("is_free_tier", false);
        return send(exchange, 200, wrap(data));
    }

    // ---- the budget invariant -----------------------------------------------------------------

    /** A request's breach as judged while it changed the keys, to be confirmed once it is recorded. */
    private record Candidate(Owner owner, Optional<BigDecimal> before, Optional<BigDecimal> after, long observed, String keys) {
    }

    /** {@code "limit": 0} in any form: 0, 0.0, "0". */
    static boolean zeroLimit(JsonNode body) {
        JsonNode limit = body.get("limit");
        if (limit == null || limit.isNull()) {
            return false;
        }
        BigDecimal value = amount(limit);
        return value != null && value.signum() == 0;
    }

    /** A JSON amount, number or numeric string; null when it is neither. */
    private static BigDecimal amount(JsonNode value) {
        if (value.isNumber()) {
            return value.decimalValue();
        }
        try {
            return new BigDecimal(value.asText().trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The exposure of each named client whose budget is known (empty Optional: unlimited). */
    @SafeVarargs
    private Map<Owner, Optional<BigDecimal>> exposures(Optional<Owner>... owners) {
        Map<Owner, Optional<BigDecimal>> out = new java.util.HashMap<>();
        for (Optional<Owner> owner : owners) {
            owner.filter(o -> budgets.knows(o.uid())).ifPresent(o -> out.put(o, exposure(o)));
        }
        return out;
    }

    /**
     * What one client's keys together can spend in the current period: for every live enabled key
     * its limit (or what it spent, if more; unlimited without a limit), for every disabled or
     * deleted key what it spent — so spent plus still spendable. The period is each key's own
     * ({@code usageInPeriod} with a reset, lifetime {@code usage} without one).
     */
    private Optional<BigDecimal> exposure(Owner owner) {
        Optional<BigDecimal> total = Optional.of(BigDecimal.ZERO);
        for (Key k : keysByHash.values()) {
            if (Owner.of(k.name).filter(owner::equals).isPresent()) {
                total = plus(total, contribution(k));
            }
        }
        return total;
    }

    /** What one key adds to its owner's exposure: what it spent if it cannot spend, else its limit or more (empty: unlimited). */
    private static Optional<BigDecimal> contribution(Key k) {
        BigDecimal spent = k.limitReset == null ? k.usage : k.usageInPeriod;
        if (k.deleted || k.disabled) {
            return Optional.of(spent);
        }
        return k.limit == null ? Optional.empty() : Optional.of(k.limit.max(spent));
    }

    private static Optional<BigDecimal> plus(Optional<BigDecimal> a, Optional<BigDecimal> b) {
        return a.isPresent() && b.isPresent() ? Optional.of(a.get().add(b.get())) : Optional.empty();
    }

    private String keyFigures(Owner owner) {
        StringBuilder out = new StringBuilder();
        for (Key k : keysByHash.values().stream().sorted(Comparator.comparing((Key k) -> k.createdAt)).toList()) {
            if (Owner.of(k.name).filter(owner::equals).isPresent()) {
                out.append(out.isEmpty() ? "" : "; ").append(k.hash, 0, 8).append(k.deleted ? " deleted" : k.disabled ? " disabled" : " enabled")
                        .append(" limit ").append(k.limit == null ? "none" : k.limit.toPlainString())
                        .append(" spent ").append((k.limitReset == null ? k.usage : k.usageInPeriod).toPlainString())
                        .append(k.limitReset == null ? " (lifetime)" : " (" + k.limitReset + ")");
            }
        }
        return out.toString();
    }

    /**
     * Called with the simulator's lock held, right after a request changed keys: a client whose keys
     * can now spend more than it may ({@link ClientBudgets#allowed}) is a breach of this request,
     * unless the request lowered what they can spend (it moved toward the limit, whatever made them
     * exceed it). Confirmed, with a fresh look at the API server, once the request is recorded.
     */
    private void judge(Exchange exchange, Map<Owner, Optional<BigDecimal>> before) {
        before.forEach((owner, was) -> {
            Optional<BigDecimal> now = exposure(owner);
            long observed = budgets.observedGeneration(owner.uid());
            if (exceeds(now, budgets.allowed(owner.uid(), observed)) && !lower(now, was)) {
                exchange.candidates.add(new Candidate(owner, was, now, observed, keyFigures(owner)));
            }
        });
    }

    /**
     * Confirms the request's breaches, outside the lock and before the answer (so that whoever
     * reads them after the answer finds them), with a fresh look at the API server.
     */
    private void confirm(Exchange exchange, int status) {
        if (exchange.candidates.isEmpty()) {
            return;
        }
        budgets.refresh(); // the operator may have acted on an edit the watch has not delivered yet
        Request request = new Request(exchange.request.method().name(), exchange.request.path().substring("/api/v1".length()), status,
                clock.instant(), Optional.ofNullable(exchange.request.getHeader("User-Agent")).orElse(""), exchange.body, null);
        for (Candidate candidate : exchange.candidates) {
            ClientBudgets.Allowance allowance = budgets.allowed(candidate.owner().uid(), candidate.observed());
            if (exceeds(candidate.after(), allowance)) {
                breaches.add(new BudgetBreach(request, candidate.owner(), budgets.reference(candidate.owner().uid()),
                        candidate.before().orElse(null), candidate.after().orElse(null), allowance, candidate.keys()));
            }
        }
    }

    private static boolean exceeds(Optional<BigDecimal> exposure, ClientBudgets.Allowance allowance) {
        if (!allowance.known() || allowance.limit() == null) {
            return false;
        }
        return exposure.isEmpty() || exposure.get().compareTo(allowance.limit()) > 0;
    }

    private static boolean lower(Optional<BigDecimal> now, Optional<BigDecimal> before) {
        if (now.isEmpty()) {
            return false;
        }
        return before.isEmpty() || now.get().compareTo(before.get()) < 0;
    }

    private ObjectNode keyObject(Key k) {
        ObjectNode o = json.createObjectNode();
        o.put("hash", k.hash);
        o.put("name", k.name);
        o.put("label", k.label());
        o.put("disabled", k.disabled);
        if (k.limit == null) {
            o.putNull("limit");
            o.putNull("limit_remaining");
        } else {
            o.put("limit", k.limit.doubleValue());
            o.put("limit_remaining", k.limit.subtract(k.limitReset == null ? k.usage : k.usageInPeriod).doubleValue());
        }
        if (k.limitReset == null) {
            o.putNull("limit_reset");
        } else {
            o.put("limit_reset", k.limitReset);
        }
        o.put("include_byok_in_limit", false);
        o.put("usage", k.usage.doubleValue());
        o.put("usage_daily", k.usageInPeriod.doubleValue());
        o.put("usage_weekly", k.usageInPeriod.doubleValue());
        o.put("usage_monthly", k.usageInPeriod.doubleValue());
        o.put("byok_usage", 0);
        o.put("created_at", POSTGRES.format(OffsetDateTime.ofInstant(k.createdAt, ZoneOffset.UTC)));
        if (k.updatedAt == null) {
            o.putNull("updated_at");
        } else {
            o.put("updated_at", POSTGRES.format(OffsetDateTime.ofInstant(k.updatedAt, ZoneOffset.UTC)));
        }
        o.putNull("creator_user_id");
        o.put("workspace_id", "00000000-0000-4000-8000-000000000000");
        o.putNull("expires_at");
        return o;
    }

    private ObjectNode wrap(JsonNode data) {
        ObjectNode o = json.createObjectNode();
        o.set("data", data);
        return o;
    }

    private ObjectNode error(int code, String message) {
        ObjectNode error = json.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        error.putNull("metadata");
        ObjectNode o = json.createObjectNode();
        o.set("error", error);
        return o;
    }

    private JsonNode readBody(String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return json.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private int send(Exchange exchange, int status, JsonNode body) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        exchange.header("Content-Type", "application/json");
        exchange.header("Date", HTTP_DATE.format(clock.instant().plus(dateSkew)));
        exchange.answer(status, bytes);
        return status;
    }

    /** One request being served: what it asked, and what became of its answer. */
    private static final class Exchange {
        final HttpServerRequest request;
        final String body;
        final AtomicBoolean gone;
        volatile Outcome outcome = Outcome.CLIENT_GONE;
        volatile boolean zeroLimit;
        /** Records this request with the status and outcome given (set by the simulator before it is served). */
        volatile java.util.function.BiConsumer<Integer, Outcome> recorder = (status, outcome) -> { };
        /** What was recorded so far: null until the answer goes out or the request is done with. */
        volatile Request recorded;
        final List<Candidate> candidates = new CopyOnWriteArrayList<>();

        Exchange(HttpServerRequest request, String body, AtomicBoolean gone) {
            this.request = request;
            this.body = body;
            this.gone = gone;
        }

        void header(String name, String value) {
            request.response().putHeader(name, value);
        }

        /** Sends the answer and waits until it is written; a client already gone is recorded as such. */
        void answer(int status, byte[] bytes) {
            if (gone.get()) {
                outcome = Outcome.CLIENT_GONE;
                return;
            }
            try {
                // counted before the client can read the answer; corrected in handle() if it never arrives
                recorder.accept(status, Outcome.ANSWERED);
                request.response().setStatusCode(status).end(Buffer.buffer(bytes)).toCompletionStage().toCompletableFuture()
                        .get(30, TimeUnit.SECONDS);
                // written: the client was there (a close right after, even before this line runs, is the client
                // hanging up after reading, which once made a fast answer look like CLIENT_GONE)
                outcome = Outcome.ANSWERED;
            } catch (Exception e) {
                // the connection closed under the answer (IllegalStateException when it was closed already)
                outcome = Outcome.CLIENT_GONE;
            }
        }

        /** Closes the connection without an answer. */
        int drop() {
            outcome = Outcome.DROPPED;
            request.connection().close();
            return Request.LOST;
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new ConcurrentHashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String newSecret() {
        return "sk-or-v1-" + randomHex(32);
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** All live keys whose name contains {@code text}. */
    public List<Key> keysNamed(String text) {
        List<Key> out = new ArrayList<>();
        for (Key k : liveKeys()) {
            if (k.name != null && k.name.contains(text)) {
                out.add(k);
            }
        }
        return out;
    }
}
