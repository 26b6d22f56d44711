package dev.mai.operator.bench;

import dev.mai.operator.testing.ApiRequests.ApiRequest;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** fabric8's CRUD mock in the bench JVM (Events counted, not stored); it counts the operator's requests itself. */
final class EmbeddedServer implements BenchServer {

    private final EmbeddedCluster cluster;

    EmbeddedServer() throws IOException {
        cluster = new EmbeddedCluster(CRD).withoutEventStorage();
    }

    @Override
    public String kind() {
        return "embedded";
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind());
        out.put("server", "fabric8 KubernetesMockServer (CRUD), in the bench JVM");
        out.put("benchJvmHolds", "the embedded API server, the OpenRouter simulator, the load driver");
        out.put("operatorIdentity", "a kubeconfig without credentials; the mock judges no RBAC");
        return out;
    }

    @Override
    public KubernetesClient client() {
        return cluster.client();
    }

    @Override
    public Map<String, String> operatorEnvironment(OpenRouterSimulator openRouter, Path work) throws IOException {
        return OperatorProcess.environment(cluster, openRouter, work, Bench.NAMESPACE);
    }

    @Override
    public Map<ApiRequest, Long> operatorRequests() throws InterruptedException {
        cluster.discardQueuedRequests();
        return cluster.operatorRequestCounts();
    }

    @Override
    public Map<String, Long> operatorRefusals() {
        return Map.of();
    }

    @Override
    public Map<String, Double> cpuSeconds() throws IOException {
        return Map.of(BENCH_JVM, BenchServer.cpuOf(ProcessHandle.current().pid()));
    }

    @Override
    public void close() {
        cluster.close();
    }
}
