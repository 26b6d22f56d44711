package dev.mai.operator.openrouter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.config.OperatorIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.client.ClientRequestFilter;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@link OpenRouterKeys} over HTTP with the Quarkus REST client. Maps every answer to a value or
 * an {@link OpenRouterException}; tolerant of fields OpenRouter adds or leaves out, and of a
 * create answered with any 2xx and the key at top level or (as an OpenRouter doc shows) in
 * {@code data.key}.
 */
@ApplicationScoped
public class RestOpenRouterKeys implements OpenRouterKeys {

    /** Longest pause a Retry-After can impose. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(10);
    /** OpenRouter's fixed page size for GET /keys. */
    static final int PAGE = 100;
    /** Most pages one listing reads (100,000 keys): an answer that never ends must not hold the request budget. */
    static final int PAGE_CAP = 1_000;

    private final OpenRouterApi api;
    private final ObjectMapper json;
    private final RequestGate gate;
    private final MeterRegistry registry;
    private final ObjectReader reader;
    private final int pageCap;
    /** The Date of OpenRouter's most recent answer and the monotonic time it arrived at. */
    private final AtomicReference<ServerDate> lastDate = new AtomicReference<>();
    private final LongSupplier nanoTime;

    /** A {@code Date} header as read, and {@link System#nanoTime()} when its answer arrived. */
    private record ServerDate(Instant date, long receivedNanos) {
    }

    @Inject
    public RestOpenRouterKeys(MaiConfig config, ObjectMapper json, RequestGate gate, MeterRegistry registry, OperatorIdentity identity) {
        this(QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(config.openrouterUrl()))
                // mai-operator/<version> (<pod>): which replica called, for OpenRouter's and our own logs
                .register((ClientRequestFilter) request -> request.getHeaders().putSingle("User-Agent", identity.userAgent()))
                .connectTimeout(5, TimeUnit.SECONDS)
                .readTimeout(30, TimeUnit.SECONDS)
                // status codes are mapped below; the default mapper would throw before we see the body
                .property("microprofile.rest.client.disable.default.mapper", true)
                .build(OpenRouterApi.class), json, gate, registry);
    }

    RestOpenRouterKeys(OpenRouterApi api, ObjectMapper json, RequestGate gate, MeterRegistry registry) {
        this(api, json, gate, registry, PAGE_CAP);
    }

    /** With another page cap than {@link #PAGE_CAP}: tests reach a small one quickly. */
    RestOpenRouterKeys(OpenRouterApi api, ObjectMapper json, RequestGate gate, MeterRegistry registry, int pageCap) {
        this(api, json, gate, registry, pageCap, System::nanoTime);
    }

    /** With a monotonic clock of the test's choosing, for {@link #serverTime()}. */
    RestOpenRouterKeys(OpenRouterApi api, ObjectMapper json, RequestGate gate, MeterRegistry registry, int pageCap,
            LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.pageCap = pageCap;
        this.api = api;
        this.json = json;
        this.gate = gate;
        this.registry = registry;
        // money arrives as JSON numbers: read them as BigDecimal, never through a double
        this.reader = json.readerFor(JsonNode.class).with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    }

    @Override
    public CreatedKey create(ApiKey managementKey, KeySettings settings) {
        checkLimit(settings.limit());
        ObjectNode body = json.createObjectNode();
        body.put("name", settings.name());
        if (settings.limit() != null) {
            body.put("limit", settings.limit());
        }
        if (settings.limitReset() != null) {
            body.put("limit_reset", settings.limitReset());
        }
        String op = "POST /keys";
        JsonNode answer = call(managementKey, op, () -> api.createKey(bearer(managementKey), write(body)));
        JsonNode data = answer.path("data");
        JsonNode key = answer.hasNonNull("key") ? answer.get("key") : data.get("key");
        if (key == null || !key.isTextual() || data.path("hash").asText("").isEmpty()) {
            throw new OpenRouterException(op, 200, "answer without a key or hash", null, null);
        }
        return new CreatedKey(keyInfo(data), ApiKey.of(key.asText()));
    }

    @Override
    public List<KeyInfo> list(ApiKey managementKey) {
        String op = "GET /keys";
        Map<String, KeyInfo> byHash = new LinkedHashMap<>();
        List<String> previous = List.of();
        for (int page = 0; page < pageCap; page++) {
            int from = page * PAGE;
            JsonNode data = call(managementKey, op, () -> api.listKeys(bearer(managementKey), from, "true")).path("data");
            if (!data.isArray()) {
                throw new OpenRouterException(op, 502, "answer without a list", null, null);
            }
            List<String> hashes = new ArrayList<>();
            data.forEach(k -> {
                KeyInfo info = keyInfo(k);
                hashes.add(info.hash());
                if (info.hash() != null) {
                    byHash.putIfAbsent(info.hash(), info);
                }
            });
            if (page > 0 && hashes.equals(previous)) {
                // OpenRouter ignored the offset: asking on would never end, and what was read is not the whole account
                throw cutShort(op, "page " + (page + 1) + " repeats page " + page);
            }
            if (data.size() < PAGE) {
                return List.copyOf(byHash.values()); // a short or empty page is the last
            }
            previous = hashes;
        }
        throw cutShort(op, pageCap + " full pages read, the most one listing reads");
    }

    /**
     * A listing that ended before its last page. Retryable: the caller concludes nothing from it (no
     * key is gone, no key failed to appear) and tries again later.
     */
    private static OpenRouterException cutShort(String op, String why) {
        return new OpenRouterException(op, 502, "listing cut short, not used: " + why, null, null);
    }

    @Override
    public Optional<KeyInfo> get(ApiKey managementKey, String hash) {
        checkHash(hash);
        try {
            return Optional.of(keyInfo(call(managementKey, "GET /keys/{hash}", () -> api.getKey(bearer(managementKey), hash)).path("data")));
        } catch (OpenRouterException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public KeyInfo update(ApiKey managementKey, String hash, KeyPatch patch) {
        checkHash(hash);
        if (patch.fields().containsKey("limit")) {
            checkLimit((BigDecimal) patch.fields().get("limit"));
        }
        String body = write(json.valueToTree(patch.fields()));
        return keyInfo(call(managementKey, "PATCH /keys/{hash}", () -> api.updateKey(bearer(managementKey), hash, body)).path("data"));
    }

    @Override
    public boolean delete(ApiKey managementKey, String hash) {
        checkHash(hash);
        try {
            call(managementKey, "DELETE /keys/{hash}", () -> api.deleteKey(bearer(managementKey), hash));
            return true;
        } catch (OpenRouterException e) {
            if (e.status() == 404) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The last line of defence: a hash goes into a URL only in OpenRouter's form. Callers check hashes
     * from Secrets and status themselves and say what is wrong; reaching this is a defect, and the
     * message does not repeat the value (it may be anything a tenant typed).
     */
    private static void checkHash(String hash) {
        if (!KeyInfo.isHash(hash)) {
            throw new IllegalArgumentException("refused to put a value that is not an OpenRouter key hash "
                    + "(64 lowercase hex characters) into a request URL");
        }
    }

    /**
     * The last line of defence for money: a limit goes out only when it is above zero at cent
     * precision. What OpenRouter does with {@code limit: 0} is undocumented (no budget, or no cap?),
     * and a negative one is meaningless; a key that must not spend is disabled instead, and a key
     * that would start with nothing is not created. Callers decide that themselves: reaching this is
     * a defect.
     */
    private static void checkLimit(BigDecimal limit) {
        if (limit != null && limit.setScale(2, java.math.RoundingMode.HALF_EVEN).signum() <= 0) {
            throw new IllegalArgumentException("refused to send a key limit of zero or below (" + limit.toPlainString()
                    + "): a key that must not spend is disabled instead");
        }
    }

    @Override
    public Optional<Instant> serverTime() {
        ServerDate last = lastDate.get();
        return last == null ? Optional.empty()
                : Optional.of(last.date().plusNanos(Math.max(0, nanoTime.getAsLong() - last.receivedNanos())));
    }

    /**
     * How far OpenRouter's {@code Date} may be from the operator's clock and still be taken for its
     * clock: further off is a proxy's, a cache's or a broken clock, and a far-future date would hold
     * carried spend (and so a lowered limit) long past the real reset.
     */
    static final java.time.Duration DATE_TRUST = java.time.Duration.ofHours(1);

    /** Keeps the {@code Date} of an answer (any status): OpenRouter's clock, for {@link #serverTime()}. */
    private void recordDate(String header) {
        if (header == null || header.isBlank()) {
            return;
        }
        try {
            Instant date = ZonedDateTime.parse(header.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Instant ours = gate.clock().instant();
            if (date.isAfter(ours.plus(DATE_TRUST)) || date.isBefore(ours.minus(DATE_TRUST))) {
                registry.counter("mai_openrouter_dates_ignored_total").increment();
                return; // the last trusted Date stands; with none, no limit is raised (resets wait, money stays safe)
            }
            lastDate.set(new ServerDate(date, nanoTime.getAsLong()));
        } catch (DateTimeParseException unreadable) {
            // an answer without a usable clock tells nothing about OpenRouter's: the last one stands
        }
    }

    @Override
    public boolean authenticates(ApiKey key) {
        try {
            call(key, "GET /key", () -> api.currentKey(bearer(key)));
            return true;
        } catch (OpenRouterException e) {
            if (e.status() == 401) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Optional<CallerKey> describe(ApiKey key) {
        JsonNode data;
        try {
            data = call(key, "GET /key", () -> api.currentKey(bearer(key))).path("data");
        } catch (OpenRouterException e) {
            if (e.status() == 401) {
                return Optional.empty();
            }
            throw e;
        }
        // an answer without what identifies the key is no answer: never taken for an unlimited key that spent nothing
        if (!data.isObject() || !data.path("label").isTextual() || money(data.get("usage")) == null
                || !data.has("is_management_key") && !data.has("is_provisioning_key")) {
            throw new OpenRouterException("GET /key", OpenRouterException.NO_RESPONSE, "the answer lacks label, usage or the "
                    + "management-key flag", null, null);
        }
        return Optional.of(new CallerKey(
                data.path("label").asText(),
                money(data.get("limit")),
                money(data.get("limit_remaining")),
                data.hasNonNull("limit_reset") ? data.get("limit_reset").asText() : null,
                money(data.get("usage")),
                money(data.get("usage_daily")),
                money(data.get("usage_weekly")),
                money(data.get("usage_monthly")),
                // the deprecated name is still sent, and older answers have only it: either one marks a management key
                data.path("is_management_key").asBoolean(false) || data.path("is_provisioning_key").asBoolean(false)));
    }

    private JsonNode call(ApiKey account, String operation, Supplier<Response> request) {
        gate.enter(account, operation);
        Response response;
        try {
            response = request.get();
        } catch (ProcessingException e) {
            // connection refused, reset, timeout: no answer at all; the cause's message names no key
            count(operation, "none");
            throw new OpenRouterException(operation, OpenRouterException.NO_RESPONSE, e.getClass().getSimpleName(), null, null);
        }
        count(operation, String.valueOf(response.getStatus()));
        recordDate(response.getHeaderString("Date"));
        try (response) {
            String text = response.hasEntity() ? response.readEntity(String.class) : "";
            int status = response.getStatus();
            if (status >= 200 && status < 300) {
                return text.isBlank() ? json.createObjectNode() : reader.readTree(text);
            }
            Duration retryAfter = retryAfter(response.getHeaderString("Retry-After"), Instant.now());
            if (status == 429 && retryAfter != null) {
                gate.pause(account, retryAfter);
            }
            throw new OpenRouterException(operation, status, errorMessage(text), retryAfter, null);
        } catch (JsonProcessingException e) {
            throw new OpenRouterException(operation, 502, "unreadable answer", null, null);
        } catch (ProcessingException e) {
            throw new OpenRouterException(operation, OpenRouterException.NO_RESPONSE, e.getClass().getSimpleName(), null, null);
        }
    }

    /** {@code mai_openrouter_requests_total{operation, status}}: every request sent, by its answer ("none": no answer). */
    private void count(String operation, String status) {
        registry.counter("mai_openrouter_requests_total", "operation", operation, "status", status).increment();
    }

    private String errorMessage(String text) {
        try {
            JsonNode error = reader.readTree(text).path("error");
            return error.path("message").asText("");
        } catch (JsonProcessingException e) {
            return "";
        }
    }

    /** Retry-After as seconds or an HTTP date, clamped to [0, 10 minutes]; null when absent or unreadable. */
    static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        Duration wait;
        try {
            wait = Duration.ofSeconds(Long.parseLong(header.strip()));
        } catch (NumberFormatException notSeconds) {
            try {
                wait = Duration.between(now, ZonedDateTime.parse(header.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
    }

    private static KeyInfo keyInfo(JsonNode data) {
        return new KeyInfo(
                data.path("hash").asText(null),
                data.path("name").asText(null),
                data.path("label").asText(null),
                data.path("disabled").asBoolean(false),
                money(data.get("limit")),
                money(data.get("limit_remaining")),
                data.hasNonNull("limit_reset") ? data.get("limit_reset").asText() : null,
                Optional.ofNullable(money(data.get("usage"))).orElse(BigDecimal.ZERO),
                money(data.get("usage_daily")),
                money(data.get("usage_weekly")),
                money(data.get("usage_monthly")),
                data.hasNonNull("created_at") ? data.get("created_at").asText() : null);
    }

    /** Exact decimal from a JSON number (read as BigDecimal) or a numeric string. */
    private static BigDecimal money(JsonNode node) {
        if (node == null || node.isNull() || !node.isNumber() && !node.isTextual()) {
            return null;
        }
        try {
            return new BigDecimal(node.asText());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private String write(JsonNode body) {
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise request body", e);
        }
    }

    private static String bearer(ApiKey key) {
        return "Bearer " + key.reveal();
    }
}
