package dev.mai.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * ignore the offset. Every request is recorded, with its body.
 */
public final class OpenRouterSimulator implements AutoCloseable {

    /**
     * One request as the simulator saw it; status {@link #LOST} when the connection was dropped
     * instead. {@code body} is the request body as sent ("" for none).
     */
    public record Request(String method, String path, int status, Instant at, String userAgent, String body) {
        public static final int LOST = -1;

        /** e.g. {@code POST /keys}, {@code PATCH /keys/{hash}}. */
        public String operation() {
            return method + " " + path.replaceAll("/keys/[0-9a-f]{64}", "/keys/{hash}");
        }

        public boolean isWrite() {
            return !"GET".equals(method);
        }
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

    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "openrouter-simulator");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Key> keysByHash = new ConcurrentHashMap<>();
    private final Set<String> managementKeys = ConcurrentHashMap.newKeySet();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Every request body received, for leak scans: kept when {@link #clearRequests()} empties the list above. */
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> issued = new CopyOnWriteArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Clock clock;

    private volatile long latencyMillis;
    private volatile int failStatus;
    private volatile boolean failAll;
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile String retryAfter;
    private volatile int createStatus = 201;
    private final AtomicInteger loseCreates = new AtomicInteger();
    private volatile java.time.Duration listDelay = java.time.Duration.ZERO;
    private volatile boolean keyInData;
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
        this.clock = clock;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the OpenRouter simulator", e);
        }
        server.setExecutor(executor);
        server.createContext("/api/v1/", this::handle);
        server.start();
    }

    /** The base URL to give the operator as MAI_OPENROUTER_URL. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1";
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
     * Answers with a {@code Date} header this far off the simulator's clock: OpenRouter's clock behind
     * (negative) or ahead of the operator's. Zero (the default) sends the server's own Date.
     */
    public OpenRouterSimulator dateSkew(java.time.Duration skew) {
        this.dateSkew = skew;
        return this;
    }

    public OpenRouterSimulator heal() {
        repeatPages = false;
        endlessListing = false;
        failAll = false;
        failNext.set(0);
        retryAfter = null;
        loseCreates.set(0);
        listDelay = java.time.Duration.ZERO;
        hideHalf.set(0);
        hiddenFromListings.clear();
        propagation = java.time.Duration.ZERO;
        lookupDelay = java.time.Duration.ZERO;
        createAnswerDelay = java.time.Duration.ZERO;
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
        requests.clear();
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
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- HTTP ---------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        String path = URI.create(exchange.getRequestURI().toString()).getPath().substring("/api/v1".length());
        String method = exchange.getRequestMethod();
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (!body.isEmpty()) {
                bodies.add(body);
            }
            sleep(latencyMillis);
            int status;
            // failNext aims at the reconciles' requests: the sweep's listing (every 2 s in tests) would race for it
            boolean listing = "GET".equals(method) && path.equals("/keys");
            if (failAll || !listing && failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                status = failStatus;
                if (retryAfter != null) {
                    exchange.getResponseHeaders().add("Retry-After", retryAfter);
                }
                send(exchange, status, error(status, failStatus == 429 ? "Rate limit exceeded" : "Simulated failure"));
            } else {
                status = route(exchange, method, path, body);
            }
            requests.add(new Request(method, path, status, clock.instant(),
                    Optional.ofNullable(exchange.getRequestHeaders().getFirst("User-Agent")).orElse(""), body));
        }
    }

    private int route(HttpExchange exchange, String method, String path, String body) throws IOException {
        String auth = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse("");
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

    private int create(HttpExchange exchange, String managementKey, String text) throws IOException {
        JsonNode body = readBody(text);
        if (body == null || !body.path("name").isTextual() || body.path("name").asText().isEmpty()) {
            return send(exchange, 400, error(400, "name is required"));
        }
        String reset = body.hasNonNull("limit_reset") ? body.get("limit_reset").asText() : null;
        if (reset != null && !Set.of("daily", "weekly", "monthly").contains(reset)) {
            return send(exchange, 400, error(400, "Invalid limit_reset"));
        }
        String secret = newSecret();
        Key key = new Key(secret, randomHex(32), managementKey, clock.instant().plusNanos(sequence.incrementAndGet() * 1000));
        key.name = body.get("name").asText();
        key.limit = body.hasNonNull("limit") ? body.get("limit").decimalValue() : null;
        key.limitReset = reset;
        keysByHash.put(key.hash, key);
        issued.add(secret);
        if (loseCreates.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            exchange.getResponseHeaders().clear();
            return Request.LOST; // closing the exchange without an answer drops the connection
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

    private int list(HttpExchange exchange, String managementKey) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
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

    private int patch(HttpExchange exchange, Key key, String text) throws IOException {
        JsonNode body = readBody(text);
        if (body == null || !body.isObject()) {
            return send(exchange, 400, error(400, "Invalid body"));
        }
        if (body.has("limit_reset") && !body.get("limit_reset").isNull()
                && !Set.of("daily", "weekly", "monthly").contains(body.get("limit_reset").asText())) {
            return send(exchange, 400, error(400, "Invalid limit_reset"));
        }
        if (body.has("name")) {
            key.name = body.get("name").asText();
        }
        if (body.has("disabled")) {
            key.disabled = body.get("disabled").asBoolean();
        }
        if (body.has("limit")) {
            key.limit = body.get("limit").isNull() ? null : body.get("limit").decimalValue();
        }
        if (body.has("limit_reset")) {
            key.limitReset = body.get("limit_reset").isNull() ? null : body.get("limit_reset").asText();
        }
        key.updatedAt = clock.instant();
        return send(exchange, 200, wrap(keyObject(key)));
    }

    /** A test completion, as the old script sent with a new key: any live client key gets a one-word answer. */
    private int completion(HttpExchange exchange, String bearer) throws IOException {
        boolean live = keysByHash.values().stream().anyMatch(k -> k.secret.equals(bearer) && !k.deleted && !k.disabled);
        if (!live) {
            return send(exchange, 401, error(401, "User not found."));
        }
        ObjectNode answer = json.createObjectNode().put("id", "gen-" + randomHex(8)).put("object", "chat.completion");
        answer.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", "OK");
        return send(exchange, 200, answer);
    }

    private int currentKey(HttpExchange exchange, String bearer) throws IOException {
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

    private int send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        java.time.Duration skew = dateSkew;
        if (!skew.isZero()) {
            SkewedDate.install(exchange, clock.instant().plus(skew));
        }
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        return status;
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

    /**
     * The JDK's server sets {@code Date} itself, from the system clock, just before it writes the
     * headers: the exchange's response headers are swapped for a copy that keeps the skewed value
     * instead. Test code only; {@code sun.misc.Unsafe} because the JDK does not open the server's
     * internals to reflection.
     */
    private static final class SkewedDate extends com.sun.net.httpserver.Headers {
        private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
        private final String date;

        private SkewedDate(Instant at) {
            this.date = HTTP_DATE.format(at);
        }

        @Override
        public void set(String key, String value) {
            super.set(key, "Date".equalsIgnoreCase(key) ? date : value);
        }

        static void install(HttpExchange exchange, Instant at) {
            try {
                java.lang.reflect.Field field = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
                field.setAccessible(true);
                sun.misc.Unsafe unsafe = (sun.misc.Unsafe) field.get(null);
                Object impl = unsafe.getObject(exchange, unsafe.objectFieldOffset(exchange.getClass().getDeclaredField("impl")));
                long headers = unsafe.objectFieldOffset(impl.getClass().getDeclaredField("rspHdrs"));
                SkewedDate skewed = new SkewedDate(at);
                skewed.putAll((com.sun.net.httpserver.Headers) unsafe.getObject(impl, headers));
                unsafe.putObject(impl, headers, skewed);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this JDK's HTTP server does not allow a skewed Date", e);
            }
        }
    }
}
