package dev.mai.operator.openrouter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        sim().heal().createStatus(201).keyInData(false);
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
        assertThatThrownBy(() -> unreachable.get(management(), "abc"))
                .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                    assertThat(e.status()).isEqualTo(OpenRouterException.NO_RESPONSE);
                    assertThat(e.retryable()).isTrue();
                });
    }
}
