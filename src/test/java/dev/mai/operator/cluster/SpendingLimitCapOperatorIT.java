package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.awaitReady;
import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped spending-limit cap policy and the packaged operator together, installed from deploy/ as
 * a user installs them ({@link InstalledOperator}, on the JVM's {@link RealApiServer}): the policy
 * never stands in the operator's way. A client at its namespace's cap goes Ready; when the cap is
 * lowered under it the operator holds its key at the new cap (seen on the simulator) and says so, and
 * deleting it completes — the operator's finalizer removal is an update that keeps the limit, which the
 * policy lets through — with the key deleted; the operator's log shows no refusal.
 */
class SpendingLimitCapOperatorIT {

    private static final Path WORK = Path.of("target/real-spending-limit-cap-operator");
    private static final String NS = "cap-operator";
    private static final String LABEL = "mai.dev/max-spending-limit";

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static OperatorProcess operator;
    static Kubectl kubectl;

    @BeforeAll
    static void install() throws IOException {
        installed = InstalledOperator.install("deploy", UnaryOperator.identity(), WORK, List.of(NS));
        kubectl = installed.kubectl();
        kubectl.run("label", "namespace", NS, LABEL + "=100", "--overwrite").ok();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "cap-0", Map.of("QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
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

    @Test
    void aCapLoweredUnderAClientHoldsItsKeyAtTheCapAndItsDeletionCompletes() throws IOException {
        Path manifest = Files.writeString(WORK.resolve("abc.yaml"), """
                apiVersion: mai.dev/v1alpha1
                kind: MaiClient
                metadata:
                  name: abc
                  namespace: %s
                spec:
                  organizationName: ABC Co
                  spendingLimit: "100"
                """.formatted(NS));
        Path over = Files.writeString(WORK.resolve("over.yaml"), Files.readString(manifest).replace("abc", "over")
                .replace("\"100\"", "\"100.01\""));
        // the policy is enforced a moment after it is stored (deploy/ was applied just now)
        await().atMost(Duration.ofSeconds(30)).until(() -> kubectl.run("apply", "--dry-run=server", "-f", over.toString()).exit() != 0);
        kubectl.run("apply", "-f", manifest.toString()).ok();
        Resource<MaiClient> abc = installed.admin().resources(MaiClient.class).inNamespace(NS).withName("abc");
        awaitReady(abc::get, Duration.ofSeconds(90));
        String uid = abc.get().getMetadata().getUid();
        assertThat(keysOf(uid)).singleElement().satisfies(k -> assertThat(k.limit).isEqualByComparingTo("100"));

        kubectl.run("label", "namespace", NS, LABEL + "=50", "--overwrite").ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(keysOf(uid)).singleElement().satisfies(k -> assertThat(k.limit).isEqualByComparingTo(new BigDecimal("50")));
            assertThat(condition(abc.get(), "Ready")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("InvalidSpec");
                assertThat(c.getMessage()).contains("must be at most 50.00 USD, the cap of namespace " + NS).contains("is held at 50.00 USD meanwhile");
            });
        });

        kubectl.run("delete", "-f", manifest.toString(), "--timeout=60s").ok();
        assertThat(abc.get()).isNull();
        assertThat(openRouter.allKeys()).filteredOn(k -> k.name.contains(":" + uid + "]")).isNotEmpty().allMatch(k -> k.deleted);
        assertThat(InstalledOperator.forbidden(operator)).as("refusals in the operator's log").isEmpty();
        assertThat(LeakScan.inFile(operator.log(), openRouter.issuedSecrets())).isEmpty();
    }

    private static List<OpenRouterSimulator.Key> keysOf(String uid) {
        return openRouter.liveKeys().stream().filter(k -> k.name.contains(":" + uid + "]")).toList();
    }
}
