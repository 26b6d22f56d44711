package dev.mai.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The checks the simulator makes on the operator's behalf can fail: the budget invariant, the
 * refusal of {@code limit: 0}; and what it tells about itself is true: OpenRouter's clock in
 * {@code Date}, requests whose client went away.
 */
class OpenRouterSimulatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final OpenRouterSimulator simulator = new OpenRouterSimulator();
    private final String managementKey = simulator.newManagementKey();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String uid = UUID.randomUUID().toString();
    private final String name = "mAI Client: Budget Co (ns/abc) [mai:test-installation:" + uid + "]";

    @AfterEach
    void close() {
        simulator.close();
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(simulator.baseUrl() + path))
                .header("Authorization", "Bearer " + managementKey).header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String create(String limit) throws Exception {
        HttpResponse<String> response = call("POST", "/keys", "{\"name\":\"" + name + "\",\"limit\":" + limit + ",\"limit_reset\":\"monthly\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).path("data").path("hash").asText();
    }

    private void patch(String hash, String body) throws Exception {
        assertThat(call("PATCH", "/keys/" + hash, body).statusCode()).isEqualTo(200);
    }

    @Test
    void aZeroLimitInAnyFormIsRefusedAndRecorded() throws Exception {
        for (String zero : new String[] {"0", "0.0", "\"0\""}) {
            HttpResponse<String> response = call("POST", "/keys", "{\"name\":\"" + name + "\",\"limit\":" + zero + "}");
            assertThat(response.statusCode()).as("limit %s", zero).isEqualTo(400);
            JsonNode error = JSON.readTree(response.body()).path("error");
            assertThat(error.path("code").asInt()).isEqualTo(400);
            assertThat(error.path("message").asText()).isNotEmpty();
        }
        assertThat(simulator.liveKeys()).isEmpty();
        String hash = create("10");
        assertThat(call("PATCH", "/keys/" + hash, "{\"limit\":0.00}").statusCode()).isEqualTo(400);
        assertThat(simulator.key(hash).orElseThrow().limit).isEqualByComparingTo("10");
        patch(hash, "{\"limit\":null}");
        assertThat(simulator.takeZeroLimitRequests()).extracting(OpenRouterSimulator.Request::operation)
                .containsExactly("POST /keys", "POST /keys", "POST /keys", "PATCH /keys/{hash}");
        assertThat(simulator.takeZeroLimitRequests()).isEmpty();
    }

    @Test
    void aReplacementThatHandsOutFreshBudgetIsABreachNamingTheRequest() throws Exception {
        simulator.budgets().generation(uid, "ns/abc", 1, Optional.of(new BigDecimal("100")));
        simulator.budgets().observed(uid, 1);
        String old = create("100");
        simulator.spend(old, new BigDecimal("60"));
        // the old key still may spend up to 100, and a new key gets 100 more
        create("100");
        assertThat(simulator.takeBudgetBreaches()).singleElement().satisfies(breach -> {
            assertThat(breach.request().operation()).isEqualTo("POST /keys");
            assertThat(breach.owner().uid()).isEqualTo(uid);
            assertThat(breach.after()).isEqualByComparingTo("200");
            assertThat(breach.toString()).contains("ns/abc", "200", "100", "spent 60");
        });
    }

    @Test
    void theBudgetSafeReplacementAndRotationPass() throws Exception {
        simulator.budgets().generation(uid, "ns/abc", 1, Optional.of(new BigDecimal("100")));
        simulator.budgets().observed(uid, 1);
        String old = create("100");
        simulator.spend(old, new BigDecimal("60"));
        // rotation: the old key keeps its spend plus half of what is left, the new key the other half
        patch(old, "{\"limit\":80}");
        String fresh = create("20");
        simulator.spend(old, new BigDecimal("15"));
        // the old key goes, its unspent rest moves to the new key
        patch(old, "{\"limit\":75}");
        assertThat(call("DELETE", "/keys/" + old, null).statusCode()).isEqualTo(200);
        patch(fresh, "{\"limit\":25}");
        // a new month: the full limit again
        simulator.newPeriod();
        patch(fresh, "{\"limit\":100}");
        assertThat(simulator.takeBudgetBreaches()).isEmpty();

        // without the new period, the same raise would hand out what was spent again
        simulator.spend(fresh, new BigDecimal("10"));
        assertThat(call("DELETE", "/keys/" + fresh, null).statusCode()).isEqualTo(200);
        create("100");
        assertThat(simulator.takeBudgetBreaches()).singleElement()
                .satisfies(breach -> assertThat(breach.after()).isEqualByComparingTo("110"));
    }

    @Test
    void aLoweredLimitBindsOnceTheOperatorReportedItsGeneration() throws Exception {
        simulator.budgets().generation(uid, "ns/abc", 1, Optional.of(new BigDecimal("100")));
        simulator.budgets().observed(uid, 1);
        String hash = create("100");
        simulator.budgets().generation(uid, "ns/abc", 2, Optional.of(new BigDecimal("40")));
        // the operator has not acted on generation 2 yet: anything up to 100 is still its due
        patch(hash, "{\"name\":\"" + name.replace("Budget Co", "Budget Co 2") + "\"}");
        assertThat(simulator.takeBudgetBreaches()).isEmpty();
        // it reported generation 2 without lowering the key: the next change of the key is a breach
        simulator.budgets().observed(uid, 2);
        patch(hash, "{\"name\":\"" + name + "\"}");
        assertThat(simulator.takeBudgetBreaches()).singleElement().satisfies(breach -> {
            assertThat(breach.allowance().limit()).isEqualByComparingTo("40");
            assertThat(breach.request().operation()).isEqualTo("PATCH /keys/{hash}");
        });
        // lowering is never a breach; enabling a disabled key again can be
        patch(hash, "{\"limit\":40}");
        patch(hash, "{\"disabled\":true}");
        create("40");
        patch(hash, "{\"disabled\":false}");
        assertThat(simulator.takeBudgetBreaches()).singleElement()
                .satisfies(breach -> assertThat(breach.request().body()).contains("\"disabled\":false"));
        // an unlimited key is a breach of any limit
        create("null");
        assertThat(simulator.takeBudgetBreaches()).singleElement().satisfies(breach -> assertThat(breach.after()).isNull());
    }

    @Test
    void clientsTheTestsDoNotKnowAreNotJudged() throws Exception {
        create("100");
        create("100");
        assertThat(simulator.takeBudgetBreaches()).isEmpty();
    }

    @Test
    void everyAnswerCarriesOpenRouterClockInItsDateHeader() throws Exception {
        simulator.dateSkew(Duration.ofHours(-2));
        for (HttpResponse<String> response : new HttpResponse[] {call("GET", "/keys", null), call("GET", "/keys/" + "0".repeat(64), null),
                http.send(HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/keys")).build(), HttpResponse.BodyHandlers.ofString())}) {
            String date = response.headers().firstValue("Date").orElseThrow();
            Instant sent = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            assertThat(sent).isBetween(Instant.now().minus(Duration.ofHours(2)).minusSeconds(5), Instant.now().minus(Duration.ofHours(2)).plusSeconds(1));
        }
    }

    @Test
    void aCreateWhoseClientWentAwayIsRecordedWithThatOutcome() throws Exception {
        simulator.createAnswerDelay(Duration.ofMillis(800));
        String body = "{\"name\":\"" + name + "\",\"limit\":5}";
        try (Socket socket = new Socket("127.0.0.1", URI.create(simulator.baseUrl()).getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + managementKey
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> simulator.liveKeys().size() == 1);
            assertThat(simulator.inFlight()).extracting(OpenRouterSimulator.InFlight::operation).containsExactly("POST /keys");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(simulator.requests()).singleElement().satisfies(r -> {
            assertThat(r.operation()).isEqualTo("POST /keys");
            assertThat(r.outcome()).isEqualTo(OpenRouterSimulator.Outcome.CLIENT_GONE);
        }));
        assertThat(simulator.inFlight()).isEmpty();
        create("5");
        assertThat(simulator.requests()).last().satisfies(r -> assertThat(r.outcome()).isEqualTo(OpenRouterSimulator.Outcome.ANSWERED));
    }
}
