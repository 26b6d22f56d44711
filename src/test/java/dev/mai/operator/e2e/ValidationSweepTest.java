package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.core.Names;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The validation sweep (every 2 s in tests): what OpenRouter's listing shows reaches status
 * through the reconcile — keys deleted or disabled outside, spending, exhausted limits — while a
 * faulty listing or a key the list shows late changes nothing, and orphans of this installation (and
 * only those) are revoked after the grace period (4 s in tests).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class ValidationSweepTest extends OperatorHarness {

    @Inject
    MeterRegistry registry;

    @AfterEach
    void heal() {
        simulator().heal();
    }

    private OpenRouterSimulator.Key provisioned(String namespace, MaiClient mc) {
        create(mc);
        MaiClient ready = awaitReady(namespace, mc.getMetadata().getName());
        assertThat(keysOf(ready)).hasSize(1);
        return keysOf(ready).get(0);
    }

    /** Every KeyValid reason the MaiClient shows from now on, in order. */
    private Watch recordKeyValid(String namespace, String name, List<String> reasons) {
        return client.resources(MaiClient.class).inNamespace(namespace).withName(name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, MaiClient mc) {
                condition(mc, "KeyValid").map(Condition::getReason).ifPresent(reasons::add);
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
    }

    /** Validation sweeps finished so far, whatever their outcome. */
    private long sweeps() {
        return registry.find("mai_sweep_duration_seconds").timers().stream().mapToLong(Timer::count).sum();
    }

    /** Waits until {@code n} more sweeps have finished: "nothing happened" is judged on counted sweeps. */
    private long awaitAnySweeps(int n) {
        long from = sweeps();
        await().atMost(PATIENCE).until(() -> sweeps() >= from + n);
        return sweeps() - from;
    }

    /** A tenant's OpenRouter account of its own in {@code namespace}, as a provisioningKeySecretRef. */
    private ProvisioningKeyRef tenantAccount(String namespace) {
        String account = simulator().newManagementKey();
        client.resource(new SecretBuilder().withNewMetadata().withName("tenant-key").withNamespace(namespace)
                .withLabels(Map.of("mai.dev/provisioning-key", "true")).endMetadata()
                .addToData("key", Base64.getEncoder().encodeToString(account.getBytes(StandardCharsets.UTF_8))).build()).create();
        ProvisioningKeyRef ref = new ProvisioningKeyRef();
        ref.setName("tenant-key");
        ref.setKey("key");
        return ref;
    }

    private OpenRouterSimulator.Key provisionedOn(ProvisioningKeyRef ref, String namespace, String name) {
        return provisioned(namespace, Clients.with(Clients.maiClient(namespace, name, "Tenant Co " + name, "10"),
                s -> s.setProvisioningKeySecretRef(ref)));
    }

    /** Lookups of single keys ({@code GET /keys/{hash}}) of these hashes so far. */
    private long lookups(List<String> hashes) {
        return simulator().count(r -> "GET /keys/{hash}".equals(r.operation()) && hashes.stream().anyMatch(h -> r.path().contains(h)));
    }

    private Map<String, String> versions(String namespace) {
        return client.resources(MaiClient.class).inNamespace(namespace).list().getItems().stream()
                .collect(Collectors.toMap(mc -> mc.getMetadata().getName(), mc -> mc.getMetadata().getResourceVersion()));
    }

    private static final String GAP = "the validation sweep could not check this key since";

    @Test
    void keyDeletedOnOpenRouterIsReportedRevokedAndReplaced() {
        OpenRouterSimulator.Key old = provisioned("v-revoked", Clients.maiClient("v-revoked", "abc", "Revoked Co", "10"));
        List<String> reasons = new CopyOnWriteArrayList<>();
        try (Watch watch = recordKeyValid("v-revoked", "abc", reasons)) {
            simulator().deleteOutside(old.hash);
            await().atMost(PATIENCE).untilAsserted(() -> {
                MaiClient mc = get("v-revoked", "abc");
                assertThat(mc.getStatus().getKeyHash()).isNotEqualTo(old.hash);
                assertThat(condition(mc, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            });
            assertThat(reasons).as("KeyValid as the sweep found the key gone, then with the new key")
                    .containsSubsequence("KeyRevoked", "Valid");
        }
        MaiClient mc = awaitReady("v-revoked", "abc");
        assertThat(keysOf(mc)).singleElement().satisfies(k -> {
            assertThat(data(secret("v-revoked", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret);
            assertThat(k.hash).isEqualTo(mc.getStatus().getKeyHash());
        });
        assertThat(events("v-revoked", "abc")).extracting(e -> e.getReason()).contains("KeyRevoked", "KeyCreated");
        // the new key was checked with the key itself
        assertThat(simulator().count("GET /key")).isPositive();
    }

    @Test
    void keyDisabledOnOpenRouterIsReportedAndStaysDisabled() {
        OpenRouterSimulator.Key key = provisioned("v-disabled", Clients.maiClient("v-disabled", "abc", "Brake Co", "10"));
        simulator().disableOutside(key.hash);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("v-disabled", "abc"), "KeyValid"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo("KeyDisabledOutside");
                }));
        long writes = simulator().count(r -> r.isWrite() && r.path().contains(key.hash));
        String resourceVersion = get("v-disabled", "abc").getMetadata().getResourceVersion();
        awaitCompleteSweeps(3);
        assertThat(key.disabled).isTrue();
        assertThat(key.deleted).isFalse();
        assertThat(simulator().count(r -> r.isWrite() && r.path().contains(key.hash))).isEqualTo(writes);
        assertThat(get("v-disabled", "abc").getMetadata().getResourceVersion()).as("no status write on unchanged sweeps")
                .isEqualTo(resourceVersion);
        assertThat(events("v-disabled", "abc")).filteredOn(e -> "KeyDisabledOutside".equals(e.getReason())).hasSize(1);
    }

    @Test
    void spendingReachesStatusToTheCentAndAnExhaustedMonthlyLimitSaysWhenItResets() {
        MaiClient spec = Clients.with(Clients.maiClient("v-budget", "abc", "Budget Co", "10"), s -> s.setLimitReset("monthly"));
        OpenRouterSimulator.Key key = provisioned("v-budget", spec);
        String nextMonth = LocalDate.now(ZoneOffset.UTC).with(TemporalAdjusters.firstDayOfNextMonth())
                .atStartOfDay(ZoneOffset.UTC).toInstant().toString();
        assertThat(get("v-budget", "abc").getStatus().getNextLimitResetAt()).isEqualTo(nextMonth);

        simulator().spend(key.hash, new BigDecimal("3.37"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            var status = get("v-budget", "abc").getStatus();
            assertThat(status.getUsage()).isEqualTo("3.37");
            assertThat(status.getUsageInPeriod()).isEqualTo("3.37");
            assertThat(status.getLimitRemaining()).isEqualTo("6.63");
        });

        // a cent is not worth a write: the status keeps the figure, the sweeps make no write
        String resourceVersion = get("v-budget", "abc").getMetadata().getResourceVersion();
        simulator().spend(key.hash, new BigDecimal("0.01"));
        awaitCompleteSweeps(3);
        assertThat(get("v-budget", "abc").getMetadata().getResourceVersion()).isEqualTo(resourceVersion);

        simulator().spend(key.hash, new BigDecimal("7.12"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get("v-budget", "abc");
            assertThat(mc.getStatus().getUsage()).isEqualTo("10.50");
            assertThat(mc.getStatus().getLimitRemaining()).isEqualTo("0.00");
            assertThat(mc.getStatus().getNextLimitResetAt()).isEqualTo(nextMonth);
            assertThat(condition(mc, "KeyValid")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("LimitExhausted");
                assertThat(c.getMessage()).contains(nextMonth);
            });
            assertThat(condition(mc, "Ready")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("LimitExhausted"));
        });
        assertThat(key.deleted).isFalse();
        assertThat(keysOf(get("v-budget", "abc"))).hasSize(1);
        assertThat(events("v-budget", "abc")).filteredOn(e -> "LimitExhausted".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));

        // the period resets on OpenRouter: the next sweep makes the key valid again, with an event
        simulator().newPeriod();
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get("v-budget", "abc");
            assertThat(condition(mc, "KeyValid")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(mc.getStatus().getUsageInPeriod()).isEqualTo("0.00");
            assertThat(mc.getStatus().getUsage()).isEqualTo("10.50");
            assertThat(mc.getStatus().getLimitRemaining()).isEqualTo("10.00");
        });
        assertThat(events("v-budget", "abc")).extracting(e -> e.getMessage()).anyMatch(m -> m.startsWith("KeyValid again"));
    }

    @Test
    void aListingThatHidesHalfOfTheKeysRevokesAndRotatesNothing() {
        for (int i = 0; i < 4; i++) {
            provisioned("v-hidden", Clients.maiClient("v-hidden", "c" + i, "Hidden Co " + i, "10"));
        }
        long writesBefore = simulator().count(OpenRouterSimulator.Request::isWrite);
        long eventsBefore = client.v1().events().inNamespace("v-hidden").list().getItems().size();
        // few hidden keys of this operator's are each looked up, many make the listing suspect: either way, nothing is done
        simulator().hideHalfOfListings(3);
        awaitAnySweeps(4); // the three faulty listings are used up, and the sweep after them heals any note
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).as("no create, delete or patch").isEqualTo(writesBefore);
        assertThat(client.v1().events().inNamespace("v-hidden").list().getItems()).hasSize((int) eventsBefore);
        for (int i = 0; i < 4; i++) {
            assertThat(condition(get("v-hidden", "c" + i), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        }
    }

    @Test
    void aKeyTheListShowsOnlyLaterCausesNoRotation() {
        simulator().listDelay(Duration.ofSeconds(8));
        OpenRouterSimulator.Key key = provisioned("v-late", Clients.maiClient("v-late", "abc", "Late Co", "10"));
        long creates = simulator().count("POST /keys");
        // sweeps while the key is missing from the list (its first 8 s), then with it
        awaitCompleteSweeps(2);
        await().atMost(PATIENCE).until(() -> !key.createdAt.plus(Duration.ofSeconds(8)).isAfter(java.time.Instant.now()));
        awaitCompleteSweeps(2);
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
        assertThat(key.deleted).isFalse();
        assertThat(get("v-late", "abc").getStatus().getKeyHash()).isEqualTo(key.hash);
        assertThat(events("v-late", "abc")).extracting(e -> e.getReason()).doesNotContain("KeyRevoked", "KeyReplaced");
    }

    @Test
    void aNewKeyThatOpenRouterAcceptsAndShowsOnlyLaterIsWaitedForNotReplaced() {
        simulator().keyPropagation(Duration.ofSeconds(4)).lookupDelay(Duration.ofSeconds(4));
        long creates = simulator().count("POST /keys");
        List<String> reasons = new CopyOnWriteArrayList<>();
        create(Clients.maiClient("v-propagating", "abc", "Propagating Co", "10"));
        try (Watch watch = recordKeyValid("v-propagating", "abc", reasons)) {
            MaiClient mc = awaitReady("v-propagating", "abc");
            assertThat(keysOf(mc)).singleElement().satisfies(k -> assertThat(k.hash).isEqualTo(mc.getStatus().getKeyHash()));
            assertThat(reasons).as("KeyValid while the key propagated").contains("KeyNotAcceptedYet");
        }
        assertThat(simulator().count("POST /keys")).isEqualTo(creates + 1);
        assertThat(events("v-propagating", "abc")).extracting(e -> e.getReason()).doesNotContain("KeyRevoked", "KeyReplaced");
    }

    @Test
    void orphansOfThisInstallationAreRevokedAfterTheGracePeriodAndNoOtherKey() {
        MaiClient live = Clients.maiClient("v-orphans", "abc", "Orphan Co", "10");
        provisioned("v-orphans", live);
        MaiClient current = get("v-orphans", "abc");
        String managementKey = SimulatorResource.managementKey();
        // a key of a MaiClient that vanished without its finalizer running
        OpenRouterSimulator.Key vanished = simulator().createKey(managementKey,
                Names.keyName(stranger("v-orphans", "gone"), installationId(), false));
        // a key of the live MaiClient that neither its Secret nor its status holds
        OpenRouterSimulator.Key stray = simulator().createKey(managementKey, Names.keyName(current, installationId(), false));
        // kept on purpose (deletionPolicy Retain), and another installation's key
        OpenRouterSimulator.Key retained = simulator().createKey(managementKey,
                Names.keyName(stranger("v-orphans", "kept"), installationId(), true));
        OpenRouterSimulator.Key foreign = simulator().createKey(managementKey,
                Names.keyName(stranger("v-orphans", "other"), "another-installation", false));

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(vanished.deleted).isTrue();
            assertThat(stray.deleted).isTrue();
        });
        // the event follows the delete
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(events("v-orphans", "abc")).extracting(e -> e.getReason())
                .contains("OrphanKeyRevoked"));
        awaitCompleteSweeps(3);
        assertThat(retained.deleted).isFalse();
        assertThat(foreign.deleted).isFalse();
        MaiClient after = awaitReady("v-orphans", "abc");
        assertThat(after.getStatus().getKeyHash()).isEqualTo(current.getStatus().getKeyHash());
        assertThat(simulator().key(after.getStatus().getKeyHash()).orElseThrow().deleted).isFalse();
    }

    @Test
    void aListingCutShortMarksNoKeyGoneAndCreatesNothing() {
        // a tenant on an account of its own, whose key lies past the first page of the listing
        String account = simulator().newManagementKey();
        client.resource(new SecretBuilder().withNewMetadata().withName("tenant-key").withNamespace("v-cut")
                .withLabels(Map.of("mai.dev/provisioning-key", "true")).endMetadata()
                .addToData("key", Base64.getEncoder().encodeToString(account.getBytes(StandardCharsets.UTF_8))).build()).create();
        ProvisioningKeyRef ref = new ProvisioningKeyRef();
        ref.setName("tenant-key");
        ref.setKey("key");
        OpenRouterSimulator.Key key = provisioned("v-cut",
                Clients.with(Clients.maiClient("v-cut", "abc", "Cut Co", "10"), s -> s.setProvisioningKeySecretRef(ref)));
        for (int i = 0; i < 150; i++) {
            simulator().createKey(account, "someone else's key " + i); // newer: listed before the tenant's
        }
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);
        double failed = registry.counter("mai_sweep_account_failures_total").count();

        simulator().repeatListPages(true); // OpenRouter ignoring offset: every page is the first
        // each sweep gives the account up after two pages (it used to ask for the same page for ever), and
        // the MaiClient says so: KeyValid as last checked, its message since when and why
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("v-cut", "abc"), "KeyValid"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("True");
                    assertThat(c.getReason()).isEqualTo("Valid");
                    assertThat(c.getMessage()).contains(GAP, "listing this key's OpenRouter account failed (HTTP 502)");
                }));
        String resourceVersion = get("v-cut", "abc").getMetadata().getResourceVersion();
        await().atMost(PATIENCE).until(() -> registry.counter("mai_sweep_account_failures_total").count() >= failed + 3);
        awaitAnySweeps(2);
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).as("no create, delete or patch").isEqualTo(writes);
        assertThat(key.deleted).isFalse();
        MaiClient mc = get("v-cut", "abc");
        assertThat(mc.getStatus().getKeyHash()).isEqualTo(key.hash);
        assertThat(mc.getMetadata().getResourceVersion()).as("no status write per failed sweep").isEqualTo(resourceVersion);
        assertThat(condition(mc, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));

        simulator().repeatListPages(false);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("v-cut", "abc"), "KeyValid"))
                .hasValueSatisfying(c -> assertThat(c.getMessage()).isEqualTo("The key is enabled")));
        assertThat(events("v-cut", "abc")).extracting(e -> e.getReason()).doesNotContain("KeyRevoked", "KeyReplaced")
                .filteredOn("KeyCreated"::equals).hasSize(1);
    }

    @Test
    void anAccountWithThreeKeysOfWhichTwoAreRevokedOutsideGetsTwoNewKeys() {
        // the old guard took two of three keys missing at once for a listing fault, on every sweep, for ever
        ProvisioningKeyRef ref = tenantAccount("v-small");
        List<OpenRouterSimulator.Key> old = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            old.add(provisionedOn(ref, "v-small", "c" + i));
        }
        double suspect = registry.counter("mai_sweep_suspect_listings_total").count();
        simulator().deleteOutside(old.get(0).hash);
        simulator().deleteOutside(old.get(1).hash);
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (int i = 0; i < 2; i++) {
                MaiClient mc = get("v-small", "c" + i);
                assertThat(mc.getStatus().getKeyHash()).as("c" + i).isNotEqualTo(old.get(i).hash);
                assertThat(condition(mc, "Ready")).as("c" + i).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            }
        });
        for (int i = 0; i < 2; i++) {
            MaiClient mc = awaitReady("v-small", "c" + i);
            assertThat(keysOf(mc)).singleElement().satisfies(k -> assertThat(k.hash).isEqualTo(mc.getStatus().getKeyHash()));
            assertThat(events("v-small", "c" + i)).extracting(e -> e.getReason()).contains("KeyRevoked");
        }
        MaiClient untouched = get("v-small", "c2");
        assertThat(untouched.getStatus().getKeyHash()).isEqualTo(old.get(2).hash);
        assertThat(events("v-small", "c2")).extracting(e -> e.getReason()).doesNotContain("KeyRevoked", "KeyReplaced");
        assertThat(registry.counter("mai_sweep_suspect_listings_total").count()).as("no suspect listing").isEqualTo(suspect);
    }

    @Test
    void manyKeysMissingAtOnceAreSkippedAndShownInStatusUntilTheListingHeals() {
        String ns = "v-mass";
        ProvisioningKeyRef ref = tenantAccount(ns);
        List<String> names = new java.util.ArrayList<>();
        List<String> hashes = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            names.add(String.format("c%02d", i));
            hashes.add(provisionedOn(ref, ns, names.get(i)).hash);
        }
        awaitAnySweeps(2); // what the creations caused has settled
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);
        int events = client.v1().events().inNamespace(ns).list().getItems().size();
        double suspect = registry.counter("mai_sweep_suspect_listings_total").count();

        // 10 of 12 missing: few enough (at most 10, or a tenth) to look each up — one request each per sweep, nothing else
        List<String> ten = hashes.subList(0, 10);
        Map<String, String> settled = versions(ns);
        long lookupsBefore = lookups(ten);
        simulator().hideFromListings(ten);
        long swept = awaitAnySweeps(3);
        long looked = lookups(ten) - lookupsBefore;
        assertThat(looked).as("lookups in %d sweeps", swept).isBetween(10 * (swept - 1), 10 * (swept + 1));
        assertThat(registry.counter("mai_sweep_suspect_listings_total").count()).isEqualTo(suspect);
        assertThat(versions(ns)).as("no status write").isEqualTo(settled);

        // 11 of 12 missing: a mass disappearance, taken for a listing fault — not looked up, and status says so
        Map<String, AtomicInteger> statusWrites = new ConcurrentHashMap<>();
        try (Watch watch = client.resources(MaiClient.class).inNamespace(ns).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, MaiClient mc) {
                if (action == Action.MODIFIED) {
                    statusWrites.computeIfAbsent(mc.getMetadata().getName(), n -> new AtomicInteger()).incrementAndGet();
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            List<String> eleven = hashes.subList(0, 11);
            simulator().hideFromListings(eleven);
            await().atMost(PATIENCE).untilAsserted(() -> {
                for (int i = 0; i < 11; i++) {
                    assertThat(condition(get(ns, names.get(i)), "KeyValid")).as(names.get(i)).hasValueSatisfying(c -> {
                        assertThat(c.getStatus()).isEqualTo("True");
                        assertThat(c.getReason()).isEqualTo("Valid");
                        assertThat(c.getMessage()).startsWith("The key is enabled; " + GAP).contains("listing fault");
                    });
                }
            });
            assertThat(registry.counter("mai_sweep_suspect_listings_total").count()).isGreaterThan(suspect);
            assertThat(condition(get(ns, names.get(11)), "KeyValid"))
                    .hasValueSatisfying(c -> assertThat(c.getMessage()).isEqualTo("The key is enabled"));
            Map<String, String> noted = versions(ns);
            long lookupsNoted = lookups(eleven);
            swept = awaitAnySweeps(3);
            assertThat(lookups(eleven)).as("lookups in %d suspect sweeps", swept).isEqualTo(lookupsNoted);
            assertThat(versions(ns)).as("no status write per sweep").isEqualTo(noted);
            for (int i = 0; i < 12; i++) {
                assertThat(condition(get(ns, names.get(i)), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            }

            // the listing heals: the notes go, once
            simulator().showInListings();
            await().atMost(PATIENCE).untilAsserted(() -> {
                for (int i = 0; i < 11; i++) {
                    assertThat(condition(get(ns, names.get(i)), "KeyValid")).as(names.get(i))
                            .hasValueSatisfying(c -> assertThat(c.getMessage()).isEqualTo("The key is enabled"));
                }
            });
            Map<String, String> healed = versions(ns);
            awaitAnySweeps(2);
            assertThat(versions(ns)).as("no status write once healed").isEqualTo(healed);
        }
        Map<String, Integer> expected = new HashMap<>();
        for (int i = 0; i < 11; i++) {
            expected.put(names.get(i), 2); // the note on, the note off
        }
        assertThat(statusWrites.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get())))
                .as("status writes per MaiClient while its key could not be checked").isEqualTo(expected);
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).as("no create, delete or patch").isEqualTo(writes);
        for (int i = 0; i < 12; i++) {
            assertThat(get(ns, names.get(i)).getStatus().getKeyHash()).isEqualTo(hashes.get(i));
        }
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).as("no event").hasSize(events);
    }

    @Test
    void hashesATenantWritesIntoItsOwnStatusesBlindNeitherRevocationDetectionNorOrphanCollectionForOthers() {
        // tenant B: a key on the operator-wide account, like tenant A's MaiClients below
        OpenRouterSimulator.Key victim = provisioned("v-victim", Clients.maiClient("v-victim", "abc", "Victim Co", "10"));
        // tenant A: MaiClients that stop early (their management key Secret does not exist), so the operator
        // never writes their status.keyHash; the tenant writes random hashes there, more than the sweep looks up
        String forger = "v-forger";
        ProvisioningKeyRef missing = new ProvisioningKeyRef();
        missing.setName("no-such-secret");
        missing.setKey("key");
        int forged = 20;
        long others = client.resources(MaiClient.class).inAnyNamespace().list().getItems().stream()
                .filter(mc -> mc.getStatus() != null && mc.getStatus().getKeyHash() != null).count();
        assertThat(forged).as("more forged hashes than one sweep looks up").isGreaterThan((int) Math.max(10, (others + forged) / 10));
        List<String> hashes = new java.util.ArrayList<>();
        java.security.SecureRandom random = new java.security.SecureRandom();
        for (int i = 0; i < forged; i++) {
            String name = String.format("f%02d", i);
            create(Clients.with(Clients.maiClient(forger, name, "Forger Co " + i, "10"), s -> s.setProvisioningKeySecretRef(missing)));
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(forger, name), "KeyProvisioned"))
                    .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("ProvisioningKeyMissing")));
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            String hash = java.util.HexFormat.of().formatHex(bytes);
            hashes.add(hash);
            client.resources(MaiClient.class).inNamespace(forger).withName(name).editStatus(mc -> {
                mc.getStatus().setKeyHash(hash);
                return mc;
            });
        }
        awaitAnySweeps(2); // every sweep from now on sees the forged hashes
        for (int i = 0; i < forged; i++) {
            assertThat(get(forger, String.format("f%02d", i)).getStatus().getKeyHash()).isEqualTo(hashes.get(i));
        }
        long forgedLookups = lookups(hashes);

        // a key of this installation whose MaiClient vanished, and B's key deleted on OpenRouter outside the operator
        OpenRouterSimulator.Key orphan = simulator().createKey(SimulatorResource.managementKey(),
                Names.keyName(stranger("v-victim", "gone"), installationId(), false));
        List<String> reasons = new CopyOnWriteArrayList<>();
        long from = sweeps();
        try (Watch watch = recordKeyValid("v-victim", "abc", reasons)) {
            simulator().deleteOutside(victim.hash);
            // detected and replaced, and the orphan collected, within a counted number of sweeps (2 s each, grace 4 s)
            await().atMost(PATIENCE).until(() -> sweeps() >= from + 8 || orphan.deleted
                    && !victim.hash.equals(get("v-victim", "abc").getStatus().getKeyHash())
                    && condition(get("v-victim", "abc"), "Ready").map(c -> "True".equals(c.getStatus())).orElse(false));
            long swept = sweeps() - from;
            assertThat(get("v-victim", "abc").getStatus().getKeyHash()).as("B's key after %d sweeps", swept).isNotEqualTo(victim.hash);
            assertThat(orphan.deleted).as("the orphan after %d sweeps", swept).isTrue();
            assertThat(reasons).as("KeyValid as the sweep found the key gone, then with the new key")
                    .containsSubsequence("KeyRevoked", "Valid");
        }
        MaiClient replaced = awaitReady("v-victim", "abc");
        assertThat(keysOf(replaced)).singleElement().satisfies(k -> {
            assertThat(k.hash).isEqualTo(replaced.getStatus().getKeyHash());
            assertThat(data(secret("v-victim", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret);
        });
        assertThat(events("v-victim", "abc")).extracting(e -> e.getReason()).contains("KeyRevoked", "KeyCreated");

        // the forged hashes cost a bounded number of lookups per sweep, and nothing was written for tenant A
        awaitAnySweeps(3);
        long swept = sweeps() - from;
        assertThat(lookups(hashes) - forgedLookups).as("lookups of forged hashes in %d sweeps", swept)
                .isLessThanOrEqualTo(10 * (swept + 1));
        assertThat(simulator().count(r -> r.isWrite() && hashes.stream().anyMatch(h -> r.path().contains(h))))
                .as("no write naming a forged hash").isZero();
        for (int i = 0; i < forged; i++) {
            MaiClient mc = get(forger, String.format("f%02d", i));
            assertThat(mc.getStatus().getKeyHash()).isEqualTo(hashes.get(i));
            assertThat(keysOf(mc)).as("no key for a MaiClient that stopped early").isEmpty();
        }
    }

    /** A MaiClient that does not exist in the cluster (a fresh UID). */
    private static MaiClient stranger(String namespace, String name) {
        MaiClient mc = Clients.maiClient(namespace, name, "Stranger Co", "10");
        mc.getMetadata().setUid(UUID.randomUUID().toString());
        return mc;
    }
}
