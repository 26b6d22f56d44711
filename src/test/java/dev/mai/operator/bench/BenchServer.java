package dev.mai.operator.bench;

import dev.mai.operator.testing.ApiRequests.ApiRequest;
import dev.mai.operator.testing.OpenRouterSimulator;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes API server a bench run measures the operator against: {@code real} (kube-apiserver
 * and etcd, {@link RealServer}) or {@code embedded} (fabric8's CRUD mock in the bench JVM,
 * {@link EmbeddedServer}).
 */
interface BenchServer extends AutoCloseable {

    Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");
    /** The bench JVM's CPU in {@link #cpuSeconds()}. */
    String BENCH_JVM = "bench JVM";

    /** "real" or "embedded". */
    String kind();

    /** What the report says of the server: its kind, versions, and what the bench JVM holds. */
    Map<String, Object> describe();

    /** The load driver's client (an admin). */
    KubernetesClient client();

    /** The operator process's environment against this server (a new management key of {@code openRouter}). */
    Map<String, String> operatorEnvironment(OpenRouterSimulator openRouter, Path work) throws IOException;

    /** What the operator asked of the server so far, by kind (names left out). */
    Map<ApiRequest, Long> operatorRequests() throws Exception;

    /** The operator's requests the server refused so far, by "code verb resource" (none known for the embedded server). */
    Map<String, Long> operatorRefusals() throws Exception;

    /** CPU seconds used so far by the server's processes and the bench JVM ({@link #BENCH_JVM}), by component. */
    Map<String, Double> cpuSeconds() throws IOException;

    @Override
    void close() throws Exception;

    static BenchServer start(String kind, Path work, List<String> namespaces) throws Exception {
        return switch (kind) {
            case "real" -> RealServer.start(work, namespaces);
            case "embedded" -> new EmbeddedServer();
            default -> throw new IllegalArgumentException("BENCH_SERVER names real or embedded, not " + kind);
        };
    }

    /** User plus system CPU seconds of process {@code pid}, from /proc. */
    static double cpuOf(long pid) throws IOException {
        return Measures.cpuSeconds(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }
}
