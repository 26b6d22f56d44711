package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.reconciler.EnvSecret;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Never leak, never duplicate: every point where a create can be interrupted ends with exactly one
 * live key per MaiClient, the one its Secret holds.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class CrashSafetyTest extends OperatorHarness {

    private static final Duration SLOW = Duration.ofSeconds(120);

    /** Exactly one live key for the client, and it is the one in its Secret and status. */
    private void assertOneKeyInItsSecret(String namespace, String name) {
        MaiClient mc = awaitReady(namespace, name);
        List<OpenRouterSimulator.Key> live = keysOf(mc);
        assertThat(live).as("live keys of %s/%s", namespace, name).hasSize(1);
        assertThat(data(secret(namespace, mc.getStatus().getSecretName()), "OPENROUTER_API_KEY")).isEqualTo(live.get(0).secret);
        assertThat(mc.getStatus().getKeyHash()).isEqualTo(live.get(0).hash);
        assertThat(mc.getStatus().getKeyCreationStartedAt()).isNull();
    }

    @Test
    void lostCreateAnswersForFiftyClientsLeaveExactlyOneKeyEach() {
        int n = 50;
        simulator().listDelay(Duration.ofSeconds(3)).loseCreateResponses(n);
        try {
            for (int i = 0; i < n; i++) {
                create(Clients.maiClient("c-lost", "lost-" + i, "Lost Answer " + i, "10"));
            }
            await().atMost(SLOW).untilAsserted(() -> {
                for (int i = 0; i < n; i++) {
                    MaiClient mc = get("c-lost", "lost-" + i);
                    assertThat(condition(mc, "Ready")).as("lost-" + i).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
                }
            });
        } finally {
            simulator().heal();
        }
        assertThat(simulator().count(r -> r.status() == OpenRouterSimulator.Request.LOST)).isEqualTo(n);
        List<String> orphans = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            assertOneKeyInItsSecret("c-lost", "lost-" + i);
            MaiClient mc = get("c-lost", "lost-" + i);
            // the key whose answer was lost was found in the list and deleted
            assertThat(simulator().allKeys().stream().filter(k -> k.name.contains(mc.getMetadata().getUid()) && k.deleted))
                    .as("deleted keys of lost-" + i).hasSize(1);
            events("c-lost", "lost-" + i).stream().filter(e -> "OrphanKeyRevoked".equals(e.getReason()))
                    .forEach(e -> orphans.add(e.getInvolvedObject().getName()));
        }
        assertThat(orphans).hasSize(n);
    }

    @Test
    void aSecretWriteThatFailsAfterTheCreateLeavesNoExtraKey() {
        // a full ResourceQuota answers 403; fabric8's client would retry a 5xx by itself
        testServer.expect().post().withPath("/api/v1/namespaces/c-secretfail/secrets")
                .andReturn(403, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":403,"
                        + "\"reason\":\"Forbidden\",\"message\":\"exceeded quota: secrets\"}")
                .once();
        create(Clients.maiClient("c-secretfail", "abc", "Write Fails Co", "10"));
        // a refusal needs a person: reported, its key deleted again, and no new key for the same spec
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("c-secretfail", "abc"), "SecretSynced"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SecretWriteFailed")));
        // the person makes room (the quota answered once) and changes the spec: tried again at once
        edit("c-secretfail", "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("11")));
        assertOneKeyInItsSecret("c-secretfail", "abc");
        MaiClient mc = get("c-secretfail", "abc");
        assertThat(simulator().allKeys().stream().filter(k -> k.name.contains(mc.getMetadata().getUid()))).hasSize(2)
                .filteredOn(k -> k.deleted).hasSize(1);
        assertThat(events("c-secretfail", "abc")).extracting(e -> e.getReason()).contains("OrphanKeyRevoked");
    }

    /** A MaiClient the operator has seen (invalid, so nothing was created) and then the state a crash leaves. */
    private MaiClient seen(String namespace) {
        create(Clients.maiClient(namespace, "abc", "Crash Co", "-1"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(namespace, "abc"), "Ready"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("InvalidSpec")));
        return get(namespace, "abc");
    }

    private void crashedAfterIntent(MaiClient mc, Instant startedAt) {
        MaiClientStatus status = mc.getStatus();
        status.setKeyCreationStartedAt(startedAt.toString());
        status.setExternalUser(Names.defaultExternalUser("Crash Co"));
        client.resource(mc).updateStatus();
    }

    private void fixSpec(String namespace) {
        edit(namespace, "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("10")));
    }

    private OpenRouterSimulator.Key orphanFor(MaiClient mc) {
        MaiClient valid = Clients.with(mc, s -> s.setSpendingLimit(new IntOrString("10")));
        return simulator().createKey(SimulatorResource.managementKey(), Names.keyName(valid, installationId(), false));
    }

    @Test
    void crashAfterTheIntentWriteCreatesOneKeyOnceTheListShowsNone() {
        MaiClient mc = seen("c-intent");
        crashedAfterIntent(mc, Instant.now());
        long creates = simulator().count("POST /keys");
        fixSpec("c-intent");
        await().atMost(SLOW).untilAsserted(() -> assertOneKeyInItsSecret("c-intent", "abc"));
        assertThat(simulator().count("POST /keys")).isEqualTo(creates + 1);
        assertThat(simulator().count("GET /keys")).isPositive();
    }

    @Test
    void crashAfterTheCreateDeletesTheUnstoredKeyAndCreatesOne() {
        MaiClient mc = seen("c-created");
        Instant startedAt = Instant.now();
        crashedAfterIntent(mc, startedAt);
        OpenRouterSimulator.Key orphan = orphanFor(get("c-created", "abc"));
        fixSpec("c-created");
        await().atMost(SLOW).untilAsserted(() -> assertOneKeyInItsSecret("c-created", "abc"));
        assertThat(orphan.deleted).isTrue();
        assertThat(events("c-created", "abc")).extracting(e -> e.getReason()).contains("OrphanKeyRevoked");
    }

    @Test
    void crashAfterTheSecretWriteAdoptsTheStoredKeyWithoutCreating() {
        MaiClient mc = seen("c-stored");
        crashedAfterIntent(mc, Instant.now());
        MaiClient current = get("c-stored", "abc");
        OpenRouterSimulator.Key stored = orphanFor(current);
        MaiClient valid = Clients.with(current, s -> s.setSpendingLimit(new IntOrString("10")));
        client.resource(EnvSecret.desired(valid, new Environment.Inputs(ApiKey.of(stored.secret), stored.hash, null,
                Names.defaultExternalUser("Crash Co"), simulator().baseUrl()), digestKey())).create();
        OpenRouterSimulator.Key stray = orphanFor(current); // and a key of an earlier lost attempt
        long creates = simulator().count("POST /keys");

        fixSpec("c-stored");

        await().atMost(SLOW).untilAsserted(() -> assertOneKeyInItsSecret("c-stored", "abc"));
        assertThat(get("c-stored", "abc").getStatus().getKeyHash()).isEqualTo(stored.hash);
        assertThat(stored.deleted).isFalse();
        assertThat(stray.deleted).isTrue();
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
    }
    @Test
    void anUnfinishedCreateWhoseListingIsCutShortCreatesNoSecondKey() {
        // a tenant on an account of its own; the key of its interrupted create lies past the first page
        String account = simulator().newManagementKey();
        client.resource(new SecretBuilder().withNewMetadata().withName("tenant-key").withNamespace("c-cut")
                .withLabels(Map.of("mai.dev/provisioning-key", "true")).endMetadata()
                .addToData("key", Base64.getEncoder().encodeToString(account.getBytes(StandardCharsets.UTF_8))).build()).create();
        ProvisioningKeyRef ref = new ProvisioningKeyRef();
        ref.setName("tenant-key");
        ref.setKey("key");
        create(Clients.with(Clients.maiClient("c-cut", "abc", "Crash Co", "-1"), s -> s.setProvisioningKeySecretRef(ref)));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("c-cut", "abc"), "Ready"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("InvalidSpec")));
        // the intent is long past its grace: a reconcile that took a partial listing for whole would create at once
        crashedAfterIntent(get("c-cut", "abc"), Instant.now().minus(Duration.ofMinutes(10)));
        MaiClient valid = Clients.with(get("c-cut", "abc"), s -> s.setSpendingLimit(new IntOrString("10")));
        // the installation id as the operator knows it (its ConfigMap may not exist yet: no key was created so far)
        String installation = io.quarkus.arc.Arc.container().instance(InstallationId.class).get().get();
        OpenRouterSimulator.Key unstored = simulator().createKey(account, Names.keyName(valid, installation, false));
        for (int i = 0; i < 150; i++) {
            simulator().createKey(account, "someone else's key " + i); // newer: listed before the unstored key
        }
        long creates = simulator().count("POST /keys");
        long deletes = simulator().count("DELETE /keys/{hash}");
        simulator().repeatListPages(true); // OpenRouter ignoring offset: every page is the first
        try {
            fixSpec("c-cut");
            // the reconcile gives the listing up after two pages (it used to ask for the same page for ever) and retries
            await().atMost(SLOW).untilAsserted(() -> assertThat(condition(get("c-cut", "abc"), "KeyProvisioned"))
                    .hasValueSatisfying(c -> {
                        assertThat(c.getReason()).isEqualTo("OpenRouterUnavailable");
                        assertThat(c.getMessage()).contains("cut short");
                    }));
            long listings = simulator().count("GET /keys");
            await().atMost(SLOW).until(() -> simulator().count("GET /keys") >= listings + 6); // retries and sweeps
            assertThat(simulator().count("POST /keys")).as("no second key while the listing is cut").isEqualTo(creates);
            assertThat(simulator().count("DELETE /keys/{hash}")).as("nothing concluded from it").isEqualTo(deletes);
            assertThat(unstored.deleted).isFalse();
        } finally {
            simulator().heal();
        }
        // a whole listing finds the unstored key: deleted, and one key made and stored
        await().atMost(SLOW).untilAsserted(() -> assertOneKeyInItsSecret("c-cut", "abc"));
        assertThat(unstored.deleted).isTrue();
        assertThat(simulator().count("POST /keys")).isEqualTo(creates + 1);
    }
}
