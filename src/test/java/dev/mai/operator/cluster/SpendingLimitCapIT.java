package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ExpressionWarning;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-namespace cap on {@code spec.spendingLimit} as shipped in deploy/operator/spending-limit-cap.yaml,
 * on a real kube-apiserver ({@link RealApiServer}: admission policies need no controllers), installed
 * with {@code kubectl apply -f} as an administrator does, and judged through the real {@code kubectl
 * apply}: a namespace labelled {@value #LABEL} refuses a MaiClient above its cap or asking for
 * {@code unlimited}, naming the field, the cap, the label and the namespace, and accepts one at the cap
 * or below, with amounts compared to the cent; a namespace without the label accepts anything (the
 * test of the test); raising an existing client over the cap is refused; after the cap is lowered
 * under an existing client, everything that leaves its limit alone — annotations, a finalizer's
 * removal, its deletion — still goes through; a malformed label refuses creates; a policy applied
 * before its CRD applies once the CRD is there. The operate guide (docs/operate.md, "Caps per namespace") quotes
 * the refusal as the server words it.
 * On the whole cluster ({@link WholeCluster}), whose kube-controller-manager type-checks policies, the
 * shipped one draws no warning.
 */
class SpendingLimitCapIT {

    private static final Path WORK = Path.of("target/real-spending-limit-cap");
    private static final Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");
    private static final Path POLICY = Path.of("deploy/operator/spending-limit-cap.yaml");
    private static final Path GUIDE = Path.of("docs/operate.md");
    private static final String POLICY_NAME = "mai-spending-limit-cap";
    private static final String LABEL = "mai.dev/max-spending-limit";
    private static final String DENIED = "ValidatingAdmissionPolicy '" + POLICY_NAME + "' with binding '" + POLICY_NAME
            + "' denied request: ";
    private static final String CAPPED = "cap-100";
    private static final String OPEN = "cap-none";
    private static final String LOWERED = "cap-lowered";
    private static final String EDGES = "cap-edges";
    private static final String MALFORMED = "cap-malformed";
    /** Enough for the API server's namespace informer to see a label change, which the policy reads through it. */
    private static final Duration POLICY_LAG = Duration.ofSeconds(30);

    static KubernetesClient admin;
    static Kubectl kubectl;

    @BeforeAll
    static void install() throws IOException {
        long t0 = System.nanoTime();
        RealApiServer.Started server = RealApiServer.get();
        Files.createDirectories(WORK);
        kubectl = Kubectl.of(Files.writeString(WORK.resolve("admin.kubeconfig"), server.kubeConfigYaml()));
        admin = server.client();
        kubectl.run("apply", "-f", CRD.toString()).ok();
        kubectl.run("wait", "--for=condition=Established", "crd/maiclients.mai.dev", "--timeout=60s").ok();
        kubectl.run("apply", "-f", POLICY.toString()).ok();
        namespace(CAPPED, "100");
        namespace(OPEN, null);
        namespace(LOWERED, "100");
        namespace(EDGES, "100");
        namespace(MALFORMED, "100");
        // a policy is enforced a moment after it is stored
        await().atMost(POLICY_LAG).until(() -> dryRun(CAPPED, "unlimited").exit() != 0);
        System.out.printf("SpendingLimitCapIT: CRD, policy and namespaces ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void close() {
        if (admin != null) {
            admin.close();
        }
    }

    /**
     * The policy's type checking is done by kube-controller-manager (its policy status controller), which
     * the bare API server does not run, once per generation of a policy: on the whole cluster, a copy with
     * a misspelled field gets a warning (the test of the test), and then a copy of the shipped policy gets
     * none; a copy for a resource that is not installed is stored and reports nothing either. Kubernetes
     * 1.36 type-checks spec.validations only, not variables or matchConditions: the other tests here run
     * every variable.
     */
    @Test
    void onAWholeClusterThePolicyTypeChecksWithoutWarnings() throws IOException {
        RealApiServer.Started cluster = WholeCluster.get();
        Kubectl whole = Kubectl.of(Files.writeString(WORK.resolve("whole.kubeconfig"), cluster.kubeConfigYaml()));
        whole.run("apply", "-f", CRD.toString()).ok();
        whole.run("wait", "--for=condition=Established", "crd/maiclients.mai.dev", "--timeout=60s").ok();
        String policy = Files.readString(POLICY);
        Path misspelled = Files.writeString(WORK.resolve("misspelled-cap.yaml"), copy(policy, "misspelled-cap")
                .replace("'spec.spendingLimit ' + string(variables.limit)", "'spec.spendingLimit ' + string(object.spec.spendingLimt)"));
        Path shipped = Files.writeString(WORK.resolve("shipped-cap.yaml"), copy(policy, "shipped-cap"));
        Path absent = Files.writeString(WORK.resolve("absent-resource-cap.yaml"),
                copy(policy, "absent-resource-cap").replace("apiGroups: [mai.dev]", "apiGroups: [absent.mai.dev]"));
        try (KubernetesClient client = cluster.client()) {
            // Seen on a cluster seconds old: the first check found no schema for the CRD (and so no warning), and a
            // policy is not checked again until it changes. Made anew until the check sees the CRD's schema.
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                whole.run("apply", "-f", misspelled.toString()).ok();
                if (!typeWarnings(client, "misspelled-cap").isEmpty()) {
                    return true;
                }
                System.out.println("SpendingLimitCapIT: the type check saw no schema for MaiClient yet; the policy made anew");
                whole.run("delete", "-f", misspelled.toString()).ok();
                return false;
            });
            assertThat(typeWarnings(client, "misspelled-cap")).singleElement().satisfies(w -> {
                assertThat(w.getFieldRef()).isEqualTo("spec.validations[2].messageExpression");
                assertThat(w.getWarning()).contains("MaiClient").contains("undefined field 'spendingLimt'");
            });
            whole.run("apply", "-f", shipped.toString(), "-f", absent.toString()).ok();
            assertThat(typeWarnings(client, "shipped-cap")).isEmpty();
            assertThat(typeWarnings(client, "absent-resource-cap")).isEmpty();
            whole.run("delete", "-f", misspelled.toString(), "-f", shipped.toString(), "-f", absent.toString()).ok();
        }
    }

    /**
     * Applied before its CRD (a GitOps tool may apply in any order), the policy is stored and applies as
     * soon as the CRD is there: shown with a copy for a CRD of another group, installed after it.
     */
    @Test
    void aPolicyAppliedBeforeItsCrdAppliesOnceTheCrdIsInstalled() throws IOException {
        String group = "late.mai.dev";
        // a kind of its own (names, short name, no category): the API server the other tests share must
        // never resolve "maiclient", "mc" or "mai" to this copy
        String policy = copy(Files.readString(POLICY), "late-crd-cap").replace("apiGroups: [mai.dev]", "apiGroups: [" + group + "]")
                .replace("resources: [maiclients]", "resources: [lateclients]");
        kubectl.run("apply", "-f", Files.writeString(WORK.resolve("late-crd-cap.yaml"), policy).toString()).ok();
        String crd = Files.readString(CRD).replace("maiclients.mai.dev", "lateclients." + group)
                .replace("group: \"mai.dev\"", "group: \"" + group + "\"")
                .replace("kind: \"MaiClient\"", "kind: \"LateClient\"").replace("plural: \"maiclients\"", "plural: \"lateclients\"")
                .replace("singular: \"maiclient\"", "singular: \"lateclient\"").replace("- \"mc\"", "- \"lc\"")
                .replace("    categories:\n    - \"mai\"\n", "");
        assertThat(crd).contains("group: \"" + group + "\"").contains("kind: \"LateClient\"").doesNotContain("\"mai\"")
                .doesNotContain("\"mc\"");
        Path crdFile = Files.writeString(WORK.resolve("late-crd.yaml"), crd);
        try {
            kubectl.run("apply", "-f", crdFile.toString()).ok();
            kubectl.run("wait", "--for=condition=Established", "crd/lateclients." + group, "--timeout=60s").ok();
            Path late = Files.writeString(WORK.resolve("late-client.yaml"), Files.readString(manifest(CAPPED, "late", "101"))
                    .replace("apiVersion: mai.dev/", "apiVersion: " + group + "/").replace("kind: MaiClient", "kind: LateClient"));
            await().atMost(POLICY_LAG).untilAsserted(() -> assertThat(kubectl.run("apply", "--dry-run=server", "-f", late.toString())
                    .err()).contains("ValidatingAdmissionPolicy 'late-crd-cap' with binding 'late-crd-cap' denied request: "
                            + "spec.spendingLimit 101 USD is above the cap of namespace " + CAPPED));
        } finally {
            kubectl.run("delete", "-f", WORK.resolve("late-crd-cap.yaml").toString(), "-f", crdFile.toString(), "--wait=true").ok();
        }
    }

    @Test
    void aLimitAboveTheCapIsRefusedNamingTheFieldTheCapTheLabelAndTheNamespace() throws IOException {
        Kubectl.Result over = apply(CAPPED, "over", "100.01");
        assertThat(over.exit()).as("kubectl apply of 100.01 under a cap of 100").isNotZero();
        assertThat(over.err()).contains("maiclients.mai.dev \"over\" is forbidden: " + DENIED
                + "spec.spendingLimit 100.01 USD is above the cap of namespace " + CAPPED + ": its label " + LABEL
                + " caps MaiClients at 100 USD");
        for (Object limit : List.of(101, "101", "1000.0", "999999999999.99", 2147483647)) {
            Kubectl.Result refused = apply(CAPPED, "over", limit);
            assertThat(refused.exit()).as("kubectl apply of %s", limit).isNotZero();
            assertThat(refused.err()).contains(DENIED + "spec.spendingLimit " + limit + " USD is above the cap");
        }
        assertThat(stored(CAPPED, "over").get()).isNull();
    }

    @Test
    void unlimitedIsRefusedUnderACap() throws IOException {
        Kubectl.Result unlimited = apply(CAPPED, "unlimited", "unlimited");
        assertThat(unlimited.exit()).isNotZero();
        assertThat(unlimited.err()).contains(DENIED + "spec.spendingLimit \"unlimited\" is not allowed in namespace " + CAPPED
                + ": its label " + LABEL + " caps MaiClients at 100 USD");
        assertThat(stored(CAPPED, "unlimited").get()).isNull();
    }

    @Test
    void aLimitAtTheCapOrBelowIsAccepted() throws IOException {
        Map<String, Object> accepted = new LinkedHashMap<>();
        accepted.put("at-int", 100);
        accepted.put("at-text", "100");
        accepted.put("at-cents", "100.00");
        accepted.put("at-decimal", "100.0");
        accepted.put("at-leading-zero", "0100");
        accepted.put("below", "99.99");
        accepted.put("cent", "0.01");
        for (Map.Entry<String, Object> e : accepted.entrySet()) {
            apply(CAPPED, e.getKey(), e.getValue()).ok();
            assertThat(stored(CAPPED, e.getKey()).get().getSpec().getSpendingLimit().getValue()).isEqualTo(e.getValue());
        }
    }

    /** Amounts compared as cents, never as binary floating point: cents against cents, each side as text or integer. */
    @Test
    void amountsAreComparedToTheCent() {
        List<String> wrong = new ArrayList<>();
        judge(wrong, "0.10", List.of("0.1", "0.10", "0.09", "00.1"), List.of("0.11", "0.2", 1));
        judge(wrong, "0.1", List.of("0.10", "0.1"), List.of("0.11"));
        judge(wrong, "250.5", List.of("250.50", "250.5", 250), List.of("250.51", 251));
        judge(wrong, "1000", List.of(1000, "1000.00", "999.99"), List.of("1000.01", 1001));
        judge(wrong, "999999999999.98", List.of("999999999999.98", 2147483647), List.of("999999999999.99"));
        judge(wrong, "1", List.of(1, "1.00"), List.of("1.01", "1.1", 2));
        assertThat(wrong).isEmpty();
    }

    @Test
    void aNamespaceWithoutTheLabelAcceptsAnyLimit() throws IOException {
        apply(OPEN, "unlimited", "unlimited").ok();
        apply(OPEN, "large", "999999999999.99").ok();
        apply(OPEN, "large-int", 2147483647).ok();
        assertThat(admin.resources(MaiClient.class).inNamespace(OPEN).list().getItems()).hasSize(3);
    }

    @Test
    void raisingAnExistingClientOverTheCapIsRefusedAndWithinItAccepted() throws IOException {
        apply(CAPPED, "raised", "50").ok();
        Kubectl.Result raised = apply(CAPPED, "raised", "150");
        assertThat(raised.exit()).isNotZero();
        assertThat(raised.err()).contains(DENIED + "spec.spendingLimit 150 USD is above the cap of namespace " + CAPPED);
        assertThat(stored(CAPPED, "raised").get().getSpec().getSpendingLimit().getStrVal()).isEqualTo("50");
        String said = raised.err().substring(raised.err().lastIndexOf("maiclients.mai.dev \"raised\"")).strip()
                .replace("\"raised\"", "\"abc\"").replace(CAPPED, "tenant-abc");
        assertThat(Files.readString(GUIDE).replaceAll("\\s+", " ")).as("%s quotes the refusal", GUIDE).contains(said);
        assertThat(apply(CAPPED, "raised", "unlimited").err()).contains(DENIED + "spec.spendingLimit \"unlimited\" is not allowed");
        apply(CAPPED, "raised", 100).ok();
        assertThat(stored(CAPPED, "raised").get().getSpec().getSpendingLimit().getIntVal()).isEqualTo(100);
    }

    /**
     * A cap lowered under an existing client: its limit cannot be changed to anything above the new cap,
     * yet everything that leaves the limit alone goes through — annotations ({@code mai.dev/paused}), a
     * re-apply of the unchanged manifest, the removal of a finalizer and so the deletion.
     */
    @Test
    void afterTheCapIsLoweredUnderAClientEditsThatKeepItsLimitAndItsDeletionGoThrough() throws IOException {
        apply(LOWERED, "abc", "100").ok();
        Resource<MaiClient> abc = stored(LOWERED, "abc");
        abc.edit(mc -> {
            mc.getMetadata().getFinalizers().add(MaiClient.FINALIZER);
            return mc;
        });
        kubectl.run("label", "namespace", LOWERED, LABEL + "=50", "--overwrite").ok();
        await().atMost(POLICY_LAG).until(() -> dryRun(LOWERED, "60").err().contains("caps MaiClients at 50 USD"));
        Kubectl.Result changed = apply(LOWERED, "abc", "99");
        assertThat(changed.exit()).as("a new limit above the lowered cap").isNotZero();
        assertThat(changed.err()).contains("spec.spendingLimit 99 USD is above the cap of namespace " + LOWERED);

        kubectl.run("-n", LOWERED, "annotate", "maiclient", "abc", "mai.dev/paused=true").ok();
        apply(LOWERED, "abc", "100").ok();
        kubectl.run("-n", LOWERED, "label", "maiclient", "abc", "team=a").ok();
        MaiClient kept = abc.get();
        assertThat(kept.getMetadata().getAnnotations()).containsEntry("mai.dev/paused", "true");
        assertThat(kept.getMetadata().getLabels()).containsEntry("team", "a");
        assertThat(kept.getSpec().getSpendingLimit().getStrVal()).isEqualTo("100");

        kubectl.run("-n", LOWERED, "delete", "maiclient", "abc", "--wait=false").ok();
        assertThat(abc.get().getMetadata().getDeletionTimestamp()).as("held by its finalizer").isNotNull();
        kubectl.run("-n", LOWERED, "patch", "maiclient", "abc", "--type=json",
                "-p=[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]").ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> abc.get() == null);
    }

    @Test
    void aMalformedCapLabelRefusesCreatesSayingTheLabelIsMalformed() {
        for (String malformed : List.of("abc", "0", "0.00", "100.001", "1e3", "")) {
            kubectl.run("label", "namespace", MALFORMED, LABEL + "=" + malformed, "--overwrite").ok();
            String expected = DENIED + "the label " + LABEL + " of namespace " + MALFORMED + " is malformed: \"" + malformed
                    + "\" is not a positive USD amount with at most 2 decimals";
            await().atMost(POLICY_LAG).untilAsserted(() -> assertThat(dryRun(MALFORMED, "1").err()).as("label %s", malformed)
                    .contains(expected));
            assertThat(dryRun(MALFORMED, "unlimited").err()).contains(expected);
        }
        kubectl.run("label", "namespace", MALFORMED, LABEL + "=5", "--overwrite").ok();
        await().atMost(POLICY_LAG).until(() -> dryRun(MALFORMED, "1").exit() == 0);
    }

    // --- helpers -----------------------------------------------------------------------------------

    private static void namespace(String name, String cap) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .addToLabels(cap == null ? Map.of() : Map.of(LABEL, cap)).endMetadata().build()).serverSideApply();
    }

    /**
     * Relabels {@link #EDGES} with {@code cap}, waits until the policy judges by it, then checks that every
     * limit of {@code accepted} passes and every one of {@code refused} is refused; what did not is added to
     * {@code wrong}.
     */
    private static void judge(List<String> wrong, String cap, List<Object> accepted, List<Object> refused) {
        kubectl.run("label", "namespace", EDGES, LABEL + "=" + cap, "--overwrite").ok();
        await().atMost(POLICY_LAG).until(() -> dryRun(EDGES, "unlimited").err().contains("caps MaiClients at " + cap + " USD"));
        for (Object limit : accepted) {
            Kubectl.Result r = dryRun(EDGES, limit);
            if (r.exit() != 0) {
                wrong.add("cap " + cap + ", limit " + limit + " refused: " + r.err().strip());
            }
        }
        for (Object limit : refused) {
            if (!dryRun(EDGES, limit).err().contains(DENIED + "spec.spendingLimit " + limit + " USD is above the cap")) {
                wrong.add("cap " + cap + ", limit " + limit + " not refused for being above it");
            }
        }
    }

    /** {@code kubectl apply} of a MaiClient as a tenant writes it: {@code limit} an Integer (YAML int) or a String (quoted). */
    private static Kubectl.Result apply(String namespace, String name, Object limit) {
        return kubectl.run("apply", "-f", manifest(namespace, name, limit).toString());
    }

    /** The same through admission, stored nowhere ({@code --dry-run=server}). */
    private static Kubectl.Result dryRun(String namespace, Object limit) {
        return kubectl.run("apply", "--dry-run=server", "-f", manifest(namespace, "probe", limit).toString());
    }

    private static Path manifest(String namespace, String name, Object limit) {
        String yamlLimit = limit instanceof Integer ? limit.toString() : "\"" + limit + "\"";
        try {
            return Files.writeString(WORK.resolve(namespace + "-" + name + ".yaml"), """
                    apiVersion: mai.dev/v1alpha1
                    kind: MaiClient
                    metadata:
                      name: %s
                      namespace: %s
                    spec:
                      organizationName: %s Co
                      spendingLimit: %s
                    """.formatted(name, namespace, name, yamlLimit));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shipped policy and binding renamed {@code name}. */
    private static String copy(String policy, String name) {
        assertThat(policy).contains("name: " + POLICY_NAME).contains("policyName: " + POLICY_NAME);
        return policy.replace(POLICY_NAME, name);
    }

    private static List<ExpressionWarning> typeWarnings(KubernetesClient client, String policy) {
        return await().atMost(POLICY_LAG).until(
                () -> client.admissionRegistration().v1().validatingAdmissionPolicies().withName(policy).get(),
                p -> p.getStatus() != null && p.getStatus().getTypeChecking() != null).getStatus().getTypeChecking().getExpressionWarnings();
    }

    private static Resource<MaiClient> stored(String namespace, String name) {
        return admin.resources(MaiClient.class).inNamespace(namespace).withName(name);
    }
}
