package dev.mai.operator.openrouter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The production OpenRouter client over real HTTP against the simulator: answers, errors and their types. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class OpenRouterClientTest {

    @Inject
    OpenRouterKeys keys;

    @Inject
    RequestGate gate;

    private OpenRouterSimulator sim() {
        return SimulatorResource.simulator();
    }

    private ApiKey management() {
        return ApiKey.of(SimulatorResource.managementKey());
    }

    private static KeySettings settings(String name) {
        return new KeySettings(name, new BigDecimal("12.50"), "weekly", false);
    }

    @org.junit.jupiter.api.BeforeEach
    void waitOutAnyRateLimitPause() {
        // a 429 earlier in the run pauses the shared account for its Retry-After: wait until requests go out
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).ignoreException(OpenRouterException.class)
                .untilAsserted(() -> assertThat(keys.get(management(), "f".repeat(64))).isEmpty());
    }

    @AfterEach
    void heal() {
        sim().heal().createStatus(201).keyInData(false).dateSkew(Duration.ZERO);
    }

    @Test
    void aLimitOfZeroOrBelowIsNeverSent() {
        CreatedKey created = keys.create(management(), settings("client test no zero"));
        long before = sim().requests().size();
        for (String limit : new String[] {"0", "0.00", "0.004", "-1"}) {
            assertThatThrownBy(() -> keys.update(management(), created.info().hash(), new KeyPatch().limit(new BigDecimal(limit))))
                    .as(limit).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> keys.create(management(), new KeySettings("client test zero", new BigDecimal(limit), null, false)))
                    .as(limit).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(sim().requests()).as("nothing went out").hasSize((int) before);
        assertThat(keys.update(management(), created.info().hash(), new KeyPatch().limit(new BigDecimal("0.01"))).limit())
                .isEqualByComparingTo("0.01");
        assertThat(keys.update(management(), created.info().hash(), new KeyPatch().limit(null)).limit()).as("no cap").isNull();
    }

    @Test
    void openRoutersClockIsTheDateOfItsLatestAnswer() {
        sim().dateSkew(Duration.ofMinutes(-40));
        keys.get(management(), "f".repeat(64)); // a 404 carries a Date too
        assertThat(keys.serverTime()).hasValueSatisfying(t -> assertThat(Duration.between(t, java.time.Instant.now()))
                .isBetween(Duration.ofMinutes(40).minusSeconds(5), Duration.ofMinutes(40).plusSeconds(5)));
        sim().dateSkew(Duration.ZERO);
        keys.list(management());
        assertThat(keys.serverTime()).as("the latest answer's, not the largest").hasValueSatisfying(t ->
                assertThat(Duration.between(t, java.time.Instant.now()).abs()).isLessThan(Duration.ofSeconds(5)));
    }

    @Test
    void aDateFarFromTheOperatorsClockIsNotTakenForOpenRoutersClock() {
        keys.list(management());
        for (Duration skew : new Duration[] {Duration.ofDays(40), Duration.ofHours(-2)}) {
            sim().dateSkew(skew);
            keys.get(management(), "f".repeat(64));
            assertThat(keys.serverTime()).as("after a Date %s off", skew).hasValueSatisfying(t ->
                    assertThat(Duration.between(t, java.time.Instant.now()).abs()).isLessThan(Duration.ofSeconds(5)));
        }
    }

    /**
     * {@code GET /key} with the key itself: its label, limit and spend as OpenRouter has them, and
     * whether it is a management key; nothing for a key that does not authenticate.
     */
    @Test
    void aKeyDescribesItselfAndAManagementKeySaysWhatItIs() {
        CreatedKey created = keys.create(management(), new KeySettings("client test describe", new BigDecimal("100"), "monthly", false));
        sim().spend(created.info().hash(), new BigDecimal("30.25"));
        CallerKey self = keys.describe(created.key()).orElseThrow();
        assertThat(self.label()).isEqualTo(created.info().label());
        assertThat(self.limit()).isEqualByComparingTo("100");
        assertThat(self.limitReset()).isEqualTo("monthly");
        assertThat(self.usage()).isEqualByComparingTo("30.25");
        assertThat(self.usageInPeriod()).isEqualByComparingTo("30.25");
        assertThat(self.limitRemaining()).isEqualByComparingTo("69.75");
        assertThat(self.management()).isFalse();

        assertThat(keys.describe(management()).orElseThrow().management()).isTrue();

        sim().bareKeyAnswers(true);
        assertThatThrownBy(() -> keys.describe(created.key())).as("an answer that says nothing is no unlimited key that spent nothing")
                .isInstanceOfSatisfying(OpenRouterException.class, e -> assertThat(e.retryable()).isTrue());
        sim().bareKeyAnswers(false);

        sim().disableOutside(created.info().hash());
        assertThat(keys.describe(created.key())).as("a disabled key answers 401").isEmpty();
        keys.delete(management(), created.info().hash());
        assertThat(keys.describe(created.key())).as("a deleted key answers 401").isEmpty();
    }

    @Test
    void createReturnsTheKeyOnceWithExactMoney() {
        CreatedKey created = keys.create(management(), settings("client test create"));
        OpenRouterSimulator.Key stored = sim().key(created.info().hash()).orElseThrow();
        assertThat(created.key().reveal()).isEqualTo(stored.secret);
        assertThat(created.info().limit()).isEqualByComparingTo("12.50");
        assertThat(created.info().limitReset()).isEqualTo("weekly");
        assertThat(created.info().label()).isEqualTo(stored.label());
        assertThat(created.info().usage()).isEqualByComparingTo("0");
    }

    @Test
    void createAcceptsAny2xxAndAKeyInsideData() {
        sim().createStatus(200).keyInData(true);
        CreatedKey created = keys.create(management(), settings("client test 200"));
        assertThat(created.key().reveal()).isEqualTo(sim().key(created.info().hash()).orElseThrow().secret);
    }

    @Test
    void patchSendsOnlyWhatChangedAndNullRemovesTheLimit() {
        CreatedKey created = keys.create(management(), settings("client test patch"));
        var updated = keys.update(management(), created.info().hash(), new KeyPatch().limit(null).limitReset(null));
        assertThat(updated.limit()).isNull();
        assertThat(updated.limitReset()).isNull();
        assertThat(updated.name()).isEqualTo("client test patch");
    }

    @Test
    void unknownKeysAreEmptyAndDeletingTwiceIsFine() {
        CreatedKey created = keys.create(management(), settings("client test delete"));
        assertThat(keys.delete(management(), created.info().hash())).isTrue();
        assertThat(keys.delete(management(), created.info().hash())).isFalse();
        assertThat(keys.get(management(), created.info().hash())).isEmpty();
    }

    @Test
    void serverErrorsAreRetryableAndCarryRetryAfter() {
        sim().failNext(1, 503);
        assertThatThrownBy(() -> keys.create(management(), settings("x")))
                .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.retryable()).isTrue();
                });
        sim().retryAfter("1").failNext(1, 429);
        assertThatThrownBy(() -> keys.create(management(), settings("x")))
                .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                    assertThat(e.rateLimited()).isTrue();
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
                    assertThat(e.getMessage()).contains("Rate limit exceeded");
                });
        // the account is paused for the Retry-After: the next call is not even sent
        long sent = sim().requests().size();
        assertThatThrownBy(() -> keys.get(management(), "0".repeat(64)))
                .isInstanceOfSatisfying(OpenRouterException.class, e -> assertThat(e.getMessage()).contains("not sent"));
        assertThat(sim().requests()).hasSize((int) sent);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).ignoreException(OpenRouterException.class)
                .untilAsserted(() -> assertThat(keys.get(management(), "0".repeat(64))).isEmpty());
    }

    @Test
    void aRejectedManagementKeyIsNotRetryableAndNotShown() {
        String wrong = "sk-or-v1-" + "0".repeat(64);
        assertThatThrownBy(() -> keys.create(ApiKey.of(wrong), settings("x")))
                .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.managementKeyRejected()).isTrue();
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).doesNotContain(wrong);
                });
    }

    @Test
    void aValueThatIsNotAKeyHashNeverGoesIntoAUrl() {
        long before = sim().requests().size();
        for (String value : new String[] {"../keys", "A".repeat(64), "a".repeat(63), "a".repeat(64) + "?x=1", "", null}) {
            assertThatThrownBy(() -> keys.get(management(), value)).as(value).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageNotContaining(String.valueOf(value).isEmpty() ? "\u0000" : String.valueOf(value));
            assertThatThrownBy(() -> keys.update(management(), value, new KeyPatch().disabled(true))).as(value)
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> keys.delete(management(), value)).as(value).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(sim().requests()).hasSize((int) before);
    }

    @Test
    void noAnswerIsRetryable() {
        OpenRouterSimulator closed = new OpenRouterSimulator();
        String url = closed.baseUrl();
        closed.close();
        var api = io.quarkus.rest.client.reactive.QuarkusRestClientBuilder.newBuilder()
                .baseUri(java.net.URI.create(url))
                .property("microprofile.rest.client.disable.default.mapper", true)
                .build(OpenRouterApi.class);
        var unreachable = new RestOpenRouterKeys(api, new com.fasterxml.jackson.databind.ObjectMapper(), gate,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        assertThatThrownBy(() -> unreachable.get(management(), "a".repeat(64)))
                .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                    assertThat(e.status()).isEqualTo(OpenRouterException.NO_RESPONSE);
                    assertThat(e.retryable()).isTrue();
                });
    }
    /**
     * The production client against a simulator of its own (the shared one serves the running
     * operator), with a gate out of the way and at most {@code pageCap} pages per listing.
     */
    private static RestOpenRouterKeys clientOf(OpenRouterSimulator sim, int pageCap) {
        var api = io.quarkus.rest.client.reactive.QuarkusRestClientBuilder.newBuilder()
                .baseUri(java.net.URI.create(sim.baseUrl()))
                .property("microprofile.rest.client.disable.default.mapper", true)
                .build(OpenRouterApi.class);
        return new RestOpenRouterKeys(api, new com.fasterxml.jackson.databind.ObjectMapper(),
                new RequestGate(1_000_000, java.time.Clock.systemUTC(), System::nanoTime),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), pageCap);
    }

    private static void fill(OpenRouterSimulator sim, String account, int keys) {
        for (int i = 0; i < keys; i++) {
            sim.createKey(account, "listing test " + i);
        }
    }

    @Test
    void aListingEndsOnAShortPageOrAnEmptyOneWithEveryKey() {
        try (OpenRouterSimulator own = new OpenRouterSimulator()) {
            String short250 = own.newManagementKey();
            String exact200 = own.newManagementKey();
            String none = own.newManagementKey();
            fill(own, short250, 250);
            fill(own, exact200, 200);
            RestOpenRouterKeys client = clientOf(own, RestOpenRouterKeys.PAGE_CAP);

            assertThat(client.list(ApiKey.of(short250))).hasSize(250).doesNotHaveDuplicates();
            assertThat(own.count("GET /keys")).as("pages of 100, 100 and 50").isEqualTo(3);
            own.clearRequests();
            assertThat(client.list(ApiKey.of(exact200))).hasSize(200);
            assertThat(own.count("GET /keys")).as("pages of 100, 100 and an empty one").isEqualTo(3);
            own.clearRequests();
            assertThat(client.list(ApiKey.of(none))).isEmpty();
            assertThat(own.count("GET /keys")).isEqualTo(1);
        }
    }

    @Test
    void aPageThatRepeatsThePreviousOneCutsTheListingShortAndIsNotReturned() {
        try (OpenRouterSimulator own = new OpenRouterSimulator()) {
            String account = own.newManagementKey();
            fill(own, account, 150);
            own.repeatListPages(true);
            RestOpenRouterKeys client = clientOf(own, RestOpenRouterKeys.PAGE_CAP);
            // before pagination had stops, this listing asked for the same page for ever
            assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30), () -> client.list(ApiKey.of(account))))
                    .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                        assertThat(e.retryable()).as("a later listing may be whole").isTrue();
                        assertThat(e.operation()).isEqualTo("GET /keys");
                        assertThat(e.getMessage()).contains("cut short").contains("repeats").doesNotContain(account);
                    });
            assertThat(own.count("GET /keys")).isEqualTo(2);
        }
    }

    @Test
    void aListingThatNeverEndsStopsAtThePageCap() {
        try (OpenRouterSimulator own = new OpenRouterSimulator()) {
            String account = own.newManagementKey();
            fill(own, account, 30);
            own.endlessListing(true);
            RestOpenRouterKeys client = clientOf(own, 5);
            assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30), () -> client.list(ApiKey.of(account))))
                    .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                        assertThat(e.retryable()).isTrue();
                        assertThat(e.getMessage()).contains("cut short").contains("5 full pages");
                    });
            assertThat(own.count("GET /keys")).isEqualTo(5);
        }
        assertThat(RestOpenRouterKeys.PAGE_CAP).as("100,000 keys").isEqualTo(1_000);
    }
}
