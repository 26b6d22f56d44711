package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.awaitReady;
import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import dev.mai.operator.testing.Rollouts;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a user sees with kubectl (the one build/control-plane.sh built, v1.36.3) on a real
 * kube-apiserver while the packaged operator runs under deploy/'s ServiceAccount: {@code kubectl get
 * maiclients -A} prints the CRD's printer columns in their order with the clients' values (and the
 * README shows that output as captured here), {@code -o wide} adds the priority-1 columns,
 * {@code kubectl wait --for=condition=Ready} returns for a Ready client and times out for a waiting
 * one, {@code kubectl explain} shows every spec field's description, {@code kubectl describe} shows
 * conditions and events and no key.
 *
 * <p>And steady state on a server that normalises what it stores (quantities such as {@code 0.5} CPU
 * become {@code 500m}, defaults fill Deployments and Services): over a counted stretch of sweeps and
 * reconciles the operator writes nothing, and no key the simulator issued appears anywhere but in its
 * client's own Secret — not in events, statuses, ConfigMaps, other Secrets or kubectl's output.
 */
class UserViewIT {

    private static final Path WORK = Path.of("target/real-user-view");
    /** The README's example, as `kubectl get maiclients -A` printed it on the real server. */
    static final Path CAPTURED = WORK.resolve("kubectl-get-maiclients.txt");
    private static final Path README = Path.of("README.md");
    private static final String NS = "tenant-abc";
    private static final Pattern AGE = Pattern.compile("\\d+[smhd](\\d+[smh])?");

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static OperatorProcess operator;
    static KubernetesClient admin;
    static Kubectl kubectl;
    /** {@code kubectl get maiclients -A} while the README's example was the only MaiClient. */
    static String readmeExample;

    @BeforeAll
    static void provision() throws Exception {
        long t0 = System.nanoTime();
        installed = InstalledOperator.install("deploy", UnaryOperator.identity(), WORK, List.of(NS));
        admin = installed.admin();
        kubectl = installed.kubectl();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "user-view-0", Map.of(
                "MAI_VALIDATION_INTERVAL", "1s",
                // a periodic reconcile of every MaiClient each second: the steady state is judged over many
                "QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_MAX_RECONCILIATION_INTERVAL", "PT1S",
                "QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));

        // the README's example first, alone, for the captured output
        admin.resource(Clients.with(Clients.maiClient(NS, "abc", "ABC Company Sp. z o.o.", "1000.0"), s -> s.setLimitReset("monthly")))
                .create();
        awaitReady(() -> get("abc"), Duration.ofSeconds(90));
        readmeExample = kubectl.run("get", "maiclients", "-A").ok();
        Files.writeString(CAPTURED, "$ kubectl get maiclients -A\n" + readmeExample);

        // a client with its application: objects the server fills with defaults and quantities it normalises
        admin.resource(Clients.with(Clients.maiClient(NS, "app", "App Co", "100"), s -> {
            AppSpec app = new AppSpec();
            app.setImage("ghcr.io/example/mai:1.0");
            app.setResources(new ResourceRequirementsBuilder()
                    .addToRequests("cpu", new Quantity("0.5")).addToRequests("memory", new Quantity("0.5Gi"))
                    .addToLimits("memory", new Quantity("1Gi")).build());
            AppStorage storage = new AppStorage();
            storage.setSize("0.5Gi");
            app.setStorage(storage);
            app.setEnv(List.of(new EnvVar("LOG_LEVEL", "info", null)));
            s.setApp(app);
        })).create();
        // no controllers run here: the test plays the Deployment controller and reports the rollout done
        await().atMost(Duration.ofSeconds(60)).until(() -> admin.apps().deployments().inNamespace(NS).withName("app-app").get() != null);
        Rollouts.markRolledOut(admin, NS, "app-app");
        awaitReady(() -> get("app"), Duration.ofSeconds(90));

        // a client that cannot become Ready: the management key it names does not exist
        admin.resource(Clients.with(Clients.maiClient(NS, "waiting", "Waiting Co", "10"),
                s -> s.setProvisioningKeySecretRef(new ProvisioningKeyRef("no-such-secret", "management-key")))).create();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(condition(get("waiting"), "Ready"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo("ProvisioningKeyMissing");
                }));
        System.out.printf("UserViewIT: installed and three clients settled in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void stop() {
        if (installed != null) {
            installed.close();
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    // --- kubectl get -------------------------------------------------------------------------------

    @Test
    void getMaiclientsPrintsTheCrdsColumnsInOrderWithEachClientsValues() {
        Table table = Table.parse(keep("kubectl-get-maiclients-all.txt", kubectl.run("get", "maiclients", "-A").ok()));

        assertThat(table.header()).containsExactlyElementsOf(headers(false));
        for (String name : List.of("abc", "app", "waiting")) {
            Map<String, String> row = table.row(NS, name);
            assertThat(row).as(name).containsAllEntriesOf(expected(get(name), false));
            assertThat(row.get("AGE")).as("AGE of %s", name).matches(AGE);
        }
        assertThat(table.row(NS, "abc")).containsEntry("ORGANIZATION", "ABC Company Sp. z o.o.").containsEntry("LIMIT", "1000.0")
                .containsEntry("READY", "True");
        // the monthly limit: what is left of it, and the next reset as the time itself (the 1st, 00:00 UTC)
        assertThat(table.row(NS, "abc").get("REMAINING")).matches("\\d+\\.\\d\\d");
        assertThat(table.row(NS, "abc").get("RESETS")).matches("\\d{4}-\\d\\d-01T00:00:00Z");
        assertThat(table.row(NS, "waiting")).containsEntry("READY", "False").containsEntry("REASON", "ProvisioningKeyMissing");
    }

    @Test
    void getMaiclientsWideAddsThePriorityOneColumns() {
        Table table = Table.parse(keep("kubectl-get-maiclients-wide.txt", kubectl.run("get", "maiclients", "-A", "-o", "wide").ok()));

        assertThat(table.header()).containsExactlyElementsOf(headers(true));
        for (String name : List.of("abc", "app", "waiting")) {
            assertThat(table.row(NS, name)).as(name).containsAllEntriesOf(expected(get(name), true));
        }
        assertThat(table.row(NS, "abc")).containsEntry("SECRET", "abc-env").containsEntry("KEY VALID", "True");
    }

    @Test
    void theReadmeShowsTheOutputCapturedFromTheRealServer() throws IOException {
        Table captured = Table.parse(readmeExample);
        assertThat(captured.rows()).hasSize(1);
        assertThat(captured.row(NS, "abc")).containsEntry("ORGANIZATION", "ABC Company Sp. z o.o.");

        // the README's block after "$ kubectl get maiclients -A": the same lines, the age and the reset time aside
        List<String> readme = Files.readAllLines(README);
        int at = readme.indexOf("$ kubectl get maiclients -A");
        assertThat(at).as("README shows `$ kubectl get maiclients -A`").isNotNegative();
        int lines = (int) readmeExample.lines().count();
        List<String> shown = readme.subList(at + 1, Math.min(readme.size(), at + 1 + lines));
        assertThat(shown.stream().map(UserViewIT::withoutAgeAndReset).toList())
                .containsExactlyElementsOf(readmeExample.lines().map(UserViewIT::withoutAgeAndReset).toList());
    }

    // --- kubectl wait ------------------------------------------------------------------------------

    @Test
    void waitForReadyReturnsForAReadyClientAndTimesOutForAWaitingOne() {
        Kubectl.Result ready = kubectl.run("wait", "--for=condition=Ready", "mc/abc", "-n", NS, "--timeout=60s");
        assertThat(ready.exit()).as(ready.err()).isZero();
        assertThat(ready.out()).contains("maiclient.mai.dev/abc condition met");

        Kubectl.Result waiting = kubectl.run("wait", "--for=condition=Ready", "mc/waiting", "-n", NS, "--timeout=3s");
        assertThat(waiting.exit()).isNotZero();
        assertThat(waiting.err()).contains("timed out waiting for the condition on maiclients/waiting");
    }

    // --- kubectl explain ---------------------------------------------------------------------------

    @Test
    void explainShowsEverySpecFieldWithItsDescription() {
        String out = keep("kubectl-explain-maiclient-spec.txt", kubectl.run("explain", "maiclient.spec").ok());
        String flat = flat(out);

        assertThat(out).contains("GROUP:      mai.dev").contains("KIND:       MaiClient").contains("VERSION:    v1alpha1");
        JSONSchemaProps spec = version(crd()).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertThat(spec.getProperties()).containsKeys("spendingLimit", "organizationName", "limitReset", "secret", "app");
        spec.getProperties().forEach((field, schema) -> {
            assertThat(schema.getDescription()).as("description of spec.%s in crds/", field).isNotBlank();
            assertThat(out).as("kubectl explain lists spec.%s", field).containsPattern("(?m)^  " + Pattern.quote(field) + "\\s");
            assertThat(flat).as("kubectl explain shows the description of spec.%s", field).contains(flat(schema.getDescription()));
        });
        assertThat(spec.getRequired()).isNotEmpty().allSatisfy(f -> assertThat(out).containsPattern("(?m)^  " + f + "\\s.*-required-"));
    }

    // --- kubectl describe --------------------------------------------------------------------------

    @Test
    void describeShowsConditionsAndEventsButNoKey() {
        String out = keep("kubectl-describe-maiclient-abc.txt", kubectl.run("describe", "maiclient", "abc", "-n", NS).ok());

        MaiClient abc = get("abc");
        for (Condition c : abc.getStatus().getConditions()) {
            assertThat(out).as("condition %s", c.getType()).containsPattern("Type:\\s+" + c.getType() + "\\b");
            assertThat(out).contains("Reason:", c.getReason());
        }
        List<Event> events = admin.v1().events().inNamespace(NS).withInvolvedObject(new io.fabric8.kubernetes.api.model.ObjectReferenceBuilder()
                .withUid(abc.getMetadata().getUid()).build()).list().getItems();
        assertThat(events).isNotEmpty();
        assertThat(out).containsPattern("(?m)^Events:\\s*$");
        events.forEach(e -> assertThat(out).as("event %s", e.getReason()).containsPattern("(?m)^  \\S+\\s+" + e.getReason() + "\\s"));
        assertThat(LeakScan.find("kubectl describe maiclient abc", out, openRouter.issuedSecrets())).isEmpty();
    }

    // --- steady state ------------------------------------------------------------------------------

    @Test
    void aSettledOperatorWritesNothingOverCountedSweepsAndReconciles() throws Exception {
        InstalledOperator.awaitSweeps(operator, 2); // what the last settling step started has finished
        Map<String, String> before = versions();
        Map<String, Long> reconciles = reconciles();
        long keyRequests = openRouter.count(r -> r.isWrite());

        InstalledOperator.awaitSweeps(operator, 3);
        // Ready clients are reconciled every second (max-reconciliation-interval), the waiting one every
        // 30 s (it looks for its management key again): at least one of those too
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            Map<String, Long> now = reconciles();
            return now.get("abc") >= reconciles.get("abc") + 3 && now.get("app") >= reconciles.get("app") + 3
                    && now.get("waiting") >= reconciles.get("waiting") + 1;
        });

        assertThat(versions()).as("resourceVersions of every object the operator may write").isEqualTo(before);
        assertThat(openRouter.count(r -> r.isWrite())).as("writes to OpenRouter").isEqualTo(keyRequests);
        assertThat(before).containsKeys("MaiClient tenant-abc/abc", "Secret tenant-abc/abc-env", "Deployment tenant-abc/app-app",
                "Service tenant-abc/app-app", "PersistentVolumeClaim tenant-abc/app-data");
        // what the server normalised is stored as normalised, and the operator did not fight it
        Deployment deployment = admin.apps().deployments().inNamespace(NS).withName("app-app").get();
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getRequests())
                .containsEntry("cpu", new Quantity("500m")).containsEntry("memory", new Quantity("512Mi"));
        assertThat(InstalledOperator.forbidden(operator)).isEmpty();
    }

    @Test
    void noKeyAppearsAnywhereButInItsClientsOwnSecret() {
        Map<String, String> ownKeys = new LinkedHashMap<>();
        for (String name : List.of("abc", "app")) {
            MaiClient mc = get(name);
            ownKeys.put(NS + "/" + name + "-env", ClientKeys.theOne(openRouter, mc).secret);
        }
        List<String> leaks = new ArrayList<>();
        objects().forEach((where, object) -> {
            String json = admin.getKubernetesSerialization().asJson(object);
            if (object instanceof Secret secret && ownKeys.containsKey(where.substring(where.indexOf(' ') + 1))) {
                String own = ownKeys.get(where.substring(where.indexOf(' ') + 1));
                assertThat(ClientKeys.inSecret(secret)).as(where).isEqualTo(own);
                leaks.addAll(LeakScan.find(where, json, openRouter.issuedSecrets().stream().filter(s -> !s.equals(own)).toList()));
            } else {
                leaks.addAll(LeakScan.find(where, json, openRouter.issuedSecrets()));
            }
        });
        leaks.addAll(LeakScan.find("kubectl get maiclients -A -o yaml", kubectl.run("get", "maiclients", "-A", "-o", "yaml").ok(),
                openRouter.issuedSecrets()));
        leaks.addAll(LeakScan.find("kubectl get events -A", kubectl.run("get", "events", "-A", "-o", "wide").ok(),
                openRouter.issuedSecrets()));
        assertThat(objects()).containsKeys("Event " + NS + "/" + firstEventName(), "MaiClient tenant-abc/waiting");
        assertThat(leaks).isEmpty();
    }

    // --- helpers -----------------------------------------------------------------------------------

    private static String firstEventName() {
        return admin.v1().events().inNamespace(NS).list().getItems().get(0).getMetadata().getName();
    }

    /** Every object of the kinds the operator may write, and where the keys could end up, by "Kind ns/name". */
    private static Map<String, HasMetadata> objects() {
        Map<String, HasMetadata> out = new TreeMap<>();
        List<List<? extends HasMetadata>> lists = List.of(
                admin.resources(MaiClient.class).inAnyNamespace().list().getItems(),
                admin.secrets().inAnyNamespace().list().getItems(),
                admin.configMaps().inAnyNamespace().list().getItems(),
                admin.v1().events().inAnyNamespace().list().getItems(),
                admin.services().inAnyNamespace().list().getItems(),
                admin.apps().deployments().inAnyNamespace().list().getItems(),
                admin.apps().statefulSets().inAnyNamespace().list().getItems(),
                admin.persistentVolumeClaims().inAnyNamespace().list().getItems(),
                admin.serviceAccounts().inAnyNamespace().list().getItems(),
                admin.resources(Lease.class).inAnyNamespace().list().getItems());
        for (List<? extends HasMetadata> list : lists) {
            for (HasMetadata o : list) {
                out.put(o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName(), o);
            }
        }
        return out;
    }

    /**
     * The resourceVersion of every object the operator may write (deploy/'s roles), Leases aside:
     * renewing its Lease is the one write a leader makes by design.
     */
    private static Map<String, String> versions() {
        Map<String, String> out = new TreeMap<>();
        objects().forEach((where, o) -> {
            if (!(o instanceof Lease)) {
                out.put(where, o.getMetadata().getResourceVersion());
            }
        });
        return out;
    }

    /** Reconciles per MaiClient so far, from the operator's log (DEBUG "reconcile ns/name generation n"). */
    private static Map<String, Long> reconciles() throws IOException {
        List<String> log = Files.readAllLines(operator.log());
        Map<String, Long> out = new TreeMap<>();
        for (String name : List.of("abc", "app", "waiting")) {
            out.put(name, log.stream().filter(l -> l.contains("reconcile " + NS + "/" + name + " generation")).count());
        }
        return out;
    }

    private static MaiClient get(String name) {
        return admin.resources(MaiClient.class).inNamespace(NS).withName(name).get();
    }

    private static CustomResourceDefinition crd() {
        return admin.apiextensions().v1().customResourceDefinitions().load(InstalledOperator.CRD.toFile()).item();
    }

    private static io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion version(CustomResourceDefinition crd) {
        return crd.getSpec().getVersions().stream().filter(v -> v.getName().equals("v1alpha1")).findFirst().orElseThrow();
    }

    /** The headers kubectl prints for `get -A`: NAMESPACE, NAME, then the CRD's printer columns (priority 0, or all for wide). */
    private static List<String> headers(boolean wide) {
        List<String> out = new ArrayList<>(List.of("NAMESPACE", "NAME"));
        columns(wide).forEach(c -> out.add(c.getName().toUpperCase(java.util.Locale.ROOT)));
        return out;
    }

    private static List<CustomResourceColumnDefinition> columns(boolean wide) {
        return version(crd()).getAdditionalPrinterColumns().stream().filter(c -> wide || c.getPriority() == null || c.getPriority() == 0)
                .toList();
    }

    /** What each printer column should show for {@code mc}, by its header; the date column (AGE) is checked apart. */
    private static Map<String, String> expected(MaiClient mc, boolean wide) {
        Map<String, Function<MaiClient, String>> byPath = Map.ofEntries(
                Map.entry(".spec.organizationName", m -> m.getSpec().getOrganizationName()),
                Map.entry(".spec.spendingLimit", m -> m.getSpec().getSpendingLimit().getStrVal() != null
                        ? m.getSpec().getSpendingLimit().getStrVal() : String.valueOf(m.getSpec().getSpendingLimit().getIntVal())),
                Map.entry(".status.usageInPeriod", m -> m.getStatus().getUsageInPeriod()),
                Map.entry(".status.limitRemaining", m -> m.getStatus().getLimitRemaining()),
                Map.entry(".status.nextLimitResetAt", m -> m.getStatus().getNextLimitResetAt()),
                Map.entry(".status.usage", m -> m.getStatus().getUsage()),
                Map.entry(".status.conditions[?(@.type==\"Ready\")].status", m -> condition(m, "Ready").map(Condition::getStatus).orElse(null)),
                Map.entry(".status.conditions[?(@.type==\"Ready\")].reason", m -> condition(m, "Ready").map(Condition::getReason).orElse(null)),
                Map.entry(".status.secretName", m -> m.getStatus().getSecretName()),
                Map.entry(".status.externalUser", m -> m.getStatus().getExternalUser()),
                Map.entry(".status.conditions[?(@.type==\"KeyValid\")].status",
                        m -> condition(m, "KeyValid").map(Condition::getStatus).orElse(null)),
                Map.entry(".status.conditions[?(@.type==\"BudgetLow\")].status",
                        m -> condition(m, "BudgetLow").map(Condition::getStatus).orElse(null)),
                Map.entry(".status.conditions[?(@.type==\"Paused\")].status",
                        m -> condition(m, "Paused").map(Condition::getStatus).orElse(null)));
        Map<String, String> out = new LinkedHashMap<>();
        out.put("NAMESPACE", mc.getMetadata().getNamespace());
        out.put("NAME", mc.getMetadata().getName());
        for (CustomResourceColumnDefinition c : columns(wide)) {
            if ("date".equals(c.getType())) {
                continue;
            }
            assertThat(byPath).as("the test knows what column %s (%s) shows", c.getName(), c.getJsonPath()).containsKey(c.getJsonPath());
            String value = byPath.get(c.getJsonPath()).apply(mc);
            out.put(c.getName().toUpperCase(java.util.Locale.ROOT), value == null ? "" : value);
        }
        return out;
    }

    /** Keeps a kubectl output under {@link #WORK} for whoever reads the run, and returns it. */
    private static String keep(String file, String output) {
        try {
            Files.writeString(WORK.resolve(file), output);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return output;
    }

    /** A kubectl table: columns start where their header starts (kubectl pads with spaces, never tabs). */
    record Table(List<String> header, List<Map<String, String>> rows) {

        static Table parse(String output) {
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            String head = lines.get(0);
            List<String> names = List.of(head.trim().split(" {2,}"));
            List<Integer> starts = new ArrayList<>();
            int from = 0;
            for (String n : names) {
                int at = head.indexOf(n, from);
                starts.add(at);
                from = at + n.length();
            }
            List<Map<String, String>> rows = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    int start = Math.min(starts.get(i), line.length());
                    int end = i + 1 < names.size() ? Math.min(starts.get(i + 1), line.length()) : line.length();
                    row.put(names.get(i), line.substring(start, end).trim());
                }
                rows.add(row);
            }
            return new Table(names, rows);
        }

        Map<String, String> row(String namespace, String name) {
            return rows.stream().filter(r -> namespace.equals(r.get("NAMESPACE")) && name.equals(r.get("NAME"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no row " + namespace + "/" + name + " in " + rows));
        }
    }

    /**
     * A table line with its last column (AGE) blanked and the reset time (RESETS, the 1st of next month)
     * masked, keeping its width: both differ between runs.
     */
    private static String withoutAgeAndReset(String line) {
        return line.replaceAll("\\s+" + AGE.pattern() + "$", "").replaceAll("\\s+AGE$", "")
                .replaceAll("\\d{4}-\\d\\d-\\d\\dT00:00:00Z", "YYYY-MM-DDT00:00:00Z").stripTrailing();
    }

    /** Text with every run of whitespace made one space: kubectl wraps descriptions. */
    private static String flat(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }
}
