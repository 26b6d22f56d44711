package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ClientConditions;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operate guide's way to cap how many MaiClients a namespace may have (docs/operate.md, "How many
 * MaiClients a namespace may have") — a ResourceQuota on
 * {@code count/maiclients.mai.dev} — on the whole cluster ({@link WholeCluster}), whose ResourceQuota
 * controller counts and whose admission plugin refuses: with the guide's quota of two, two MaiClients
 * go Ready under the packaged operator and a third is refused by {@code kubectl apply} ("exceeded
 * quota") before the operator sees it; a MaiClient being deleted still counts, and once one of the two
 * is gone (its key deleted by the operator's finalizer) the third is admitted and goes Ready. Without
 * the quota, a third is accepted: the test of the test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuotaIT {

    private static final Path WORK = Path.of("target/whole-quota");
    private static final Path GUIDE = Path.of("docs/operate.md");
    private static final String SECTION = "## How many MaiClients a namespace may have";
    private static final String CAPPED = "quota-capped";
    private static final String OPEN = "quota-open";
    private static final String QUOTA = "count/maiclients.mai.dev";
    /** A finalizer of the test's, keeping a deleted MaiClient in existence after the operator's is gone. */
    private static final String HOLD = "example.com/hold";

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static OperatorProcess operator;
    static Kubectl kubectl;

    @BeforeAll
    static void install() throws IOException {
        installed = InstalledOperator.install(WholeCluster.get(), "deploy", UnaryOperator.identity(), WORK, List.of(CAPPED, OPEN));
        kubectl = installed.kubectl();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "quota-0", Map.of("QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
    }

    @AfterAll
    static void stop() {
        if (installed != null) {
            installed.close();
            try (var client = WholeCluster.get().client()) {
                client.namespaces().withName(CAPPED).delete();
                client.namespaces().withName(OPEN).delete();
            }
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    @Test
    @Order(1)
    void theGuidesQuotaAdmitsTwoMaiClientsRefusesAThirdAndAdmitsItOnceOneIsGone() throws IOException {
        Path quota = Files.writeString(WORK.resolve("maiclient-quota.yaml"), guideQuota());
        // The quota is enforced once its controller has counted the namespace's MaiClients. A quota the controller
        // first saw before it had discovered the CRD (it looks every 30 s; the CRD may be seconds old here) keeps a
        // status without that count, refusing every create with "status unknown for quota", until the controller's
        // full resync 5 minutes later: made anew, it is counted at once (the guide says so).
        kubectl.run("-n", CAPPED, "apply", "-f", quota.toString()).ok();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(5)).until(() -> {
            ResourceQuota q = installed.admin().resourceQuotas().inNamespace(CAPPED).withName("maiclients").get();
            if (q.getStatus() != null && q.getStatus().getUsed() != null && q.getStatus().getUsed().containsKey(QUOTA)) {
                return true;
            }
            System.out.println("QuotaIT: the quota has no count yet; made anew");
            kubectl.run("-n", CAPPED, "delete", "-f", quota.toString(), "--wait").ok();
            kubectl.run("-n", CAPPED, "apply", "-f", quota.toString()).ok();
            return false;
        });

        apply(CAPPED, "first").ok();
        apply(CAPPED, "second").ok();
        awaitReady(CAPPED, "first");
        awaitReady(CAPPED, "second");

        Kubectl.Result third = apply(CAPPED, "third");
        assertThat(third.exit()).as("kubectl apply of a third MaiClient").isNotZero();
        assertThat(third.err()).contains("maiclients.mai.dev \"third\" is forbidden: exceeded quota: maiclients, requested: "
                + QUOTA + "=1, used: " + QUOTA + "=2, limited: " + QUOTA + "=2");
        assertThat(installed.admin().resources(MaiClient.class).inNamespace(CAPPED).withName("third").get()).isNull();
        assertThat(openRouter.liveKeys()).as("keys on OpenRouter").hasSize(2);

        // a MaiClient being deleted still counts: held here by a finalizer of the test's after the operator's is done
        var first = installed.admin().resources(MaiClient.class).inNamespace(CAPPED).withName("first");
        String firstUid = first.get().getMetadata().getUid();
        first.edit(mc -> {
            mc.getMetadata().getFinalizers().add(HOLD);
            return mc;
        });
        kubectl.run("-n", CAPPED, "delete", "maiclient", "first", "--wait=false").ok();
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(first.get().getMetadata().getFinalizers()).containsExactly(HOLD));
        assertThat(openRouter.allKeys()).as("keys of the deleted MaiClient").filteredOn(k -> k.name.contains(":" + firstUid + "]"))
                .isNotEmpty().allMatch(k -> k.deleted);
        assertThat(apply(CAPPED, "third").err()).contains("exceeded quota: maiclients").contains("used: " + QUOTA + "=2");
        first.edit(mc -> {
            mc.getMetadata().getFinalizers().remove(HOLD);
            return mc;
        });

        // admitted as soon as the quota's count has caught up with the deletion
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> apply(CAPPED, "third").exit() == 0);
        awaitReady(CAPPED, "third");
        assertThat(keysOf(CAPPED)).isEqualTo(2);
    }

    @Test
    @Order(2)
    void withoutTheQuotaAThirdMaiClientIsAccepted() throws IOException {
        for (String name : List.of("first", "second", "third")) {
            Kubectl.Result applied = apply(OPEN, name);
            assertThat(applied.exit()).as("kubectl apply of %s: %s", name, applied.err()).isZero();
        }
        for (String name : List.of("first", "second", "third")) {
            awaitReady(OPEN, name);
        }
        assertThat(keysOf(OPEN)).isEqualTo(3);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void noKeyInTheOperatorsLogAndNoRbacDenial() throws IOException {
        assertThat(openRouter.issuedSecrets()).as("keys issued in this class").isNotEmpty();
        assertThat(LeakScan.inFile(operator.log(), openRouter.issuedSecrets())).isEmpty();
        assertThat(InstalledOperator.forbidden(operator)).isEmpty();
    }

    // --- helpers -----------------------------------------------------------------------------------

    /** The ResourceQuota the guide shows in its section on the number of MaiClients: the YAML block that counts them. */
    private static String guideQuota() throws IOException {
        String guide = Files.readString(GUIDE);
        int section = guide.indexOf("\n" + SECTION + "\n");
        assertThat(section).as("%s has the section \"%s\"", GUIDE, SECTION).isNotNegative();
        int next = guide.indexOf("\n## ", section + SECTION.length());
        String text = guide.substring(section, next < 0 ? guide.length() : next);
        int at = text.indexOf("```yaml\napiVersion: v1\nkind: ResourceQuota\n");
        assertThat(at).as("%s, \"%s\", shows a ResourceQuota", GUIDE, SECTION).isNotNegative();
        String block = text.substring(at + "```yaml\n".length(), text.indexOf("```", at + 3));
        assertThat(block).contains(QUOTA + ": \"2\"");
        return block;
    }

    /** {@code kubectl apply} of a MaiClient as a tenant writes it. */
    private static Kubectl.Result apply(String namespace, String name) throws IOException {
        Path file = WORK.resolve(namespace + "-" + name + ".yaml");
        Files.writeString(file, """
                apiVersion: mai.dev/v1alpha1
                kind: MaiClient
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  organizationName: %s Co
                  spendingLimit: "10"
                """.formatted(name, namespace, name));
        return kubectl.run("apply", "-f", file.toString());
    }

    private static void awaitReady(String namespace, String name) {
        ClientConditions.awaitReady(() -> installed.admin().resources(MaiClient.class).inNamespace(namespace).withName(name).get(),
                Duration.ofMinutes(1));
    }

    /** Live keys on the simulator whose MaiClient is in {@code namespace}. */
    private static long keysOf(String namespace) {
        List<String> uids = installed.admin().resources(MaiClient.class).inNamespace(namespace).list().getItems().stream()
                .map(mc -> ":" + mc.getMetadata().getUid() + "]").toList();
        return openRouter.liveKeys().stream().filter(k -> uids.stream().anyMatch(k.name::contains)).count();
    }
}
