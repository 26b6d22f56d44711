package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ApiRequests;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import dev.mai.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mai.dev/paused: "true"} on a MaiClient: the operator writes nothing for it, on OpenRouter or
 * in the cluster, except its status and events — counted over sweeps, a spec change and a requested
 * rotation — while the brakes still work (spec.disableKey, a lower limit: a fresh read, then one
 * PATCH that only takes spending away), the deletion still completes, and removing the annotation
 * applies what changed meanwhile in one go.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class PauseTest extends OperatorHarness {

    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private MaiClient readyClient(String ns, String organization, String limit) {
        MaiClient mc = Clients.with(Clients.maiClient(ns, "abc", organization, limit), s -> s.setLimitReset("monthly"));
        mc.getMetadata().setAnnotations(new HashMap<>());
        create(mc);
        return awaitReady(ns, "abc");
    }

    private void pause(String ns, String value) {
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/paused", value));
    }

    private void awaitPaused(String ns) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "Paused")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("Paused");
        }));
    }

    /** The simulator's write requests about this client: to one of its keys (by hash) or naming it (by UID). */
    private Predicate<OpenRouterSimulator.Request> writesFor(MaiClient mc, List<String> hashes) {
        String uid = mc.getMetadata().getUid();
        return r -> r.isWrite() && (hashes.stream().anyMatch(h -> r.path().contains(h)) || r.body() != null && r.body().contains(uid));
    }

    /** The operator's writes to the API server in namespace {@code ns} among {@code requests}, other than status and events. */
    private static List<String> clusterWritesBesidesStatusAndEvents(List<RecordedRequest> requests, String ns) {
        return requests.stream()
                .filter(r -> r.getHeader("User-Agent") != null && r.getHeader("User-Agent").startsWith(ApiRequests.OPERATOR_AGENT))
                .filter(r -> !"GET".equals(r.getMethod()) && r.getPath().contains("/namespaces/" + ns + "/"))
                .filter(r -> !r.getPath().contains("/events") && !r.getPath().matches(".*/maiclients/[^/?]+/status([?].*)?"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
    }

    private static long statusWrites(List<RecordedRequest> requests, String ns) {
        return requests.stream().filter(r -> r.getHeader("User-Agent") != null && r.getHeader("User-Agent").startsWith(ApiRequests.OPERATOR_AGENT))
                .filter(r -> !"GET".equals(r.getMethod()) && r.getPath().matches(".*/namespaces/" + ns + "/maiclients/abc/status.*")).count();
    }

    private List<String> reasons(String ns, String reason) {
        return events(ns, "abc").stream().map(Event::getReason).filter(reason::equals).toList();
    }

    @Test
    void aPausedClientWritesOnlyStatusAndEventsThroughSweepsASpecChangeAndARotationAndTheResumeAppliesThem()
            throws InterruptedException {
        String ns = "pause-quiet";
        MaiClient mc = readyClient(ns, "Quiet Co", "10");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        Secret secretBefore = secret(ns, "abc-env");

        pause(ns, "true");
        awaitPaused(ns);
        awaitCompleteSweeps(1); // what the pause itself wrote is behind us
        drainRequests(testServer);
        long simulatorWrites = simulator().count(writesFor(mc, List.of(key.hash)));

        simulator().spend(key.hash, new BigDecimal("2.50"));
        clock.advance(Duration.ofMinutes(6)); // a requested rotation is due at once: only the pause keeps it from running
        edit(ns, "abc", m -> {
            m.getSpec().setOrganizationName("Renamed Co");
            m.getSpec().setSpendingLimit(new IntOrString("20"));
            m.getMetadata().getAnnotations().put("mai.dev/rotate", "r1");
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage())
                .as("the sweep's figures reach status while paused").isEqualTo("2.50"));
        awaitCompleteSweeps(3);

        List<RecordedRequest> whilePaused = drainRequests(testServer);
        assertThat(clusterWritesBesidesStatusAndEvents(whilePaused, ns)).as("the operator's cluster writes for the paused client")
                .isEmpty();
        assertThat(statusWrites(whilePaused, ns)).as("status writes (the spec change, the spend)").isPositive();
        assertThat(simulator().count(writesFor(mc, List.of(key.hash))) - simulatorWrites).as("OpenRouter writes for the paused client")
                .isZero();
        assertThat(simulator().liveKeys()).as("no key made").noneMatch(k -> k.name.contains(mc.getMetadata().getUid())
                && !k.hash.equals(key.hash));
        assertThat(key.name).contains("Quiet Co");
        assertThat(key.limit).isEqualByComparingTo("10");
        assertThat(secret(ns, "abc-env").getData()).isEqualTo(secretBefore.getData());
        assertThat(secret(ns, "abc-env").getMetadata().getResourceVersion()).isEqualTo(secretBefore.getMetadata().getResourceVersion());
        MaiClient paused = get(ns, "abc");
        assertThat(paused.getStatus().getUsageInPeriod()).isEqualTo("2.50");
        assertThat(paused.getStatus().getLimitRemaining()).isEqualTo("7.50");
        assertThat(paused.getStatus().getRotationRequest()).as("the rotation asked for waits").isNotEqualTo("r1");
        assertThat(condition(paused, "KeyValid")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        assertThat(condition(paused, "KeyProvisioned")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("Unknown");
            assertThat(c.getReason()).isEqualTo("Paused");
        });
        assertThat(condition(paused, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isNotEqualTo("True"));

        // the resume applies both: the rotation (a new key, in the Secret) with the new name and limit
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().remove("mai.dev/paused"));
        MaiClient resumed = awaitReady(ns, "abc");
        assertThat(condition(resumed, "Paused")).isEmpty();
        assertThat(resumed.getStatus().getRotationRequest()).isEqualTo("r1");
        OpenRouterSimulator.Key inUse = simulator().key(resumed.getStatus().getKeyHash()).orElseThrow();
        assertThat(inUse.hash).isNotEqualTo(key.hash);
        assertThat(inUse.name).contains("Renamed Co");
        assertThat(inUse.limit).as("the new key's limit: the raised spec less what the old key spent").isGreaterThan(BigDecimal.TEN);
        assertThat(data(secret(ns, "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(inUse.secret);
        await().atMost(PATIENCE).until(() -> key.deleted);
        assertThat(reasons(ns, "Paused")).hasSize(1);
        assertThat(reasons(ns, "Resumed")).hasSize(1);
    }

    @Test
    void theBrakesWorkWhilePausedWithAFreshReadBeforeOnePatchThatOnlyTakesSpendingAway() {
        String ns = "pause-brakes";
        MaiClient mc = readyClient(ns, "Brake Co", "10");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        String name = key.name;
        pause(ns, "true");
        awaitPaused(ns);
        int from = simulator().requests().size();

        edit(ns, "abc", m -> m.getSpec().setDisableKey(true));
        await().atMost(PATIENCE).until(() -> key.disabled);
        List<OpenRouterSimulator.Request> all = simulator().requests();
        List<OpenRouterSimulator.Request> since = all.subList(from, all.size());
        List<OpenRouterSimulator.Request> patches = since.stream()
                .filter(r -> r.method().equals("PATCH") && r.path().contains(key.hash)).toList();
        assertThat(patches).as("PATCHes of the key").singleElement().satisfies(p -> assertThat(p.body()).contains("disabled")
                .doesNotContain("name").doesNotContain("limit"));
        int patchAt = since.indexOf(patches.get(0));
        assertThat(since.subList(0, patchAt)).as("a fresh read of the key before the PATCH")
                .anyMatch(r -> r.method().equals("GET") && r.path().endsWith("/keys/" + key.hash));

        // a lower limit is applied; enabling the key (disableKey false) is not, nor a rename
        edit(ns, "abc", m -> {
            m.getSpec().setDisableKey(false);
            m.getSpec().setSpendingLimit(new IntOrString("4"));
            m.getSpec().setOrganizationName("Other Co");
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(key.limit).isEqualByComparingTo("4"));
        awaitCompleteSweeps(2);
        assertThat(key.disabled).as("never enabled while paused").isTrue();
        assertThat(key.name).isEqualTo(name);
        assertThat(key.limitReset).isEqualTo("monthly");
        List<OpenRouterSimulator.Request> later = simulator().requests();
        assertThat(later.subList(from, later.size()))
                .filteredOn(r -> r.isWrite() && r.path().contains(key.hash)).as("one PATCH per brake").hasSize(2);
        assertThat(events(ns, "abc")).filteredOn(e -> "KeyUpdated".equals(e.getReason())).hasSize(2);

        // resumed: the operator had disabled the key, the spec no longer asks for it: enabled, renamed
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().remove("mai.dev/paused"));
        awaitReady(ns, "abc");
        assertThat(key.disabled).isFalse();
        assertThat(key.name).contains("Other Co");
        assertThat(key.limit).isEqualByComparingTo("4");
    }

    @Test
    void aCapLoweredOnTheNamespaceWhilePausedLowersTheKeysLimit() {
        String ns = "pause-cap";
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        MaiClient mc = readyClient(ns, "Capped Co", "10");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        String name = key.name;
        pause(ns, "true");
        awaitPaused(ns);
        long writes = simulator().count(writesFor(mc, List.of(key.hash)));
        client.namespaces().withName(ns).edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("mai.dev/max-spending-limit", "6").endMetadata().build());
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(key.limit).isEqualByComparingTo("6"));
        awaitCompleteSweeps(2);
        assertThat(simulator().count(writesFor(mc, List.of(key.hash))) - writes).as("one PATCH").isEqualTo(1);
        assertThat(key.name).isEqualTo(name);
        assertThat(key.disabled).isFalse();
        assertThat(get(ns, "abc").getSpec().getSpendingLimit().getStrVal()).as("the spec is not touched").isEqualTo("10");
    }

    @Test
    void aPausedClientIsDeletedWithItsKey() {
        String ns = "pause-delete";
        MaiClient mc = readyClient(ns, "Gone Co", "10");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        pause(ns, "true");
        awaitPaused(ns);
        client.resources(MaiClient.class).inNamespace(ns).withName("abc").delete();
        await().atMost(PATIENCE).until(() -> get(ns, "abc") == null);
        assertThat(key.deleted).as("deletionPolicy Delete (the default) despite the pause").isTrue();
    }

    @Test
    void anotherValueThanTrueIsNoPause() {
        String ns = "pause-not";
        MaiClient mc = readyClient(ns, "Yes Co", "10");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        pause(ns, "yes");
        edit(ns, "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("12")));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(key.limit).isEqualByComparingTo("12"));
        MaiClient ready = awaitReady(ns, "abc");
        assertThat(condition(ready, "Paused")).isEmpty();
        assertThat(reasons(ns, "Paused")).isEmpty();
    }
}
