package dev.mai.operator.bench;

import dev.mai.operator.cluster.InstalledOperator;
import dev.mai.operator.cluster.RealApiServer;
import dev.mai.operator.testing.ApiRequests.ApiRequest;
import dev.mai.operator.testing.OpenRouterSimulator;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real kube-apiserver with its etcd, started for one bench run by the real-API-server tier's
 * harness ({@link RealApiServer#startOwn}) with an audit log of the operator's ServiceAccount; no
 * controllers. The operator is installed from {@code deploy/} as a user installs it
 * ({@link InstalledOperator}) and runs with the ServiceAccount's token, so RBAC and API Priority and
 * Fairness judge it as in a cluster ({@code system:masters} would bypass both); the load driver is
 * the admin. The operator's requests are counted from the audit log, and the CPU of kube-apiserver
 * and etcd read from /proc.
 */
final class RealServer implements BenchServer {

    static final String USER = "system:serviceaccount:" + InstalledOperator.NAMESPACE + ":" + InstalledOperator.SERVICE_ACCOUNT;

    private final RealApiServer.Own own;
    private final InstalledOperator installed;
    private final AuditLog audit;
    private final long apiServerPid;
    private final long etcdPid;
    private final Map<String, Object> description = new LinkedHashMap<>();

    private RealServer(RealApiServer.Own own, InstalledOperator installed, AuditLog audit, long apiServerPid, long etcdPid) {
        this.own = own;
        this.installed = installed;
        this.audit = audit;
        this.apiServerPid = apiServerPid;
        this.etcdPid = etcdPid;
    }

    static RealServer start(Path work, List<String> namespaces) throws IOException {
        Files.createDirectories(work);
        Path policy = Files.writeString(work.resolve("audit-policy.yaml"), AuditLog.policy(USER)).toAbsolutePath();
        Path log = work.resolve("audit.log").toAbsolutePath();
        Files.deleteIfExists(log);
        RealApiServer.Own own = RealApiServer.startOwn(Map.of(
                "--audit-policy-file", policy.toString(),
                "--audit-log-path", log.toString(),
                "--audit-log-format", "json",
                "--audit-log-mode", "blocking",
                "--audit-log-maxsize", "1000000")); // MB: never rotated (0 would mean lumberjack's 100 MB)
        try {
            long apiServer = child("kube-apiserver", log.toString());
            long etcd = child("etcd", null);
            InstalledOperator installed = InstalledOperator.install(own.started(), "deploy", UnaryOperator.identity(),
                    work.resolve("install"), namespaces);
            RealServer server = new RealServer(own, installed, new AuditLog(log, USER, Bench.NAMESPACE), apiServer, etcd);
            Path bin = own.started().binDir();
            server.description.put("kind", "real");
            server.description.put("kube-apiserver", firstLine(bin.resolve("kube-apiserver"), "--version"));
            server.description.put("etcd", firstLine(bin.resolve("etcd"), "--version"));
            server.description.put("binaries", bin.toString());
            server.description.put("startupSeconds", own.started().startup().toMillis() / 1000.0);
            server.description.put("benchJvmHolds", "the OpenRouter simulator, the load driver");
            server.description.put("operatorIdentity", USER + " (a TokenRequest token; deploy/'s RBAC)");
            return server;
        } catch (IOException | RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** The one running process of this JVM's descendants named {@code name} (and with {@code argument} in its arguments). */
    private static long child(String name, String argument) {
        List<ProcessHandle> found = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> Path.of(c).getFileName().toString().equals(name)).orElse(false))
                .filter(p -> argument == null || p.info().arguments().map(a -> String.join(" ", a).contains(argument)).orElse(false))
                .toList();
        if (found.size() != 1) {
            throw new IllegalStateException("expected one " + name + " process started by the bench, found " + found.size());
        }
        return found.get(0).pid();
    }

    private static String firstLine(Path binary, String arg) {
        try {
            Process p = new ProcessBuilder(binary.toString(), arg).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            return out.lines().filter(l -> !l.isBlank()).map(String::strip).reduce((a, b) -> a + "; " + b).orElse("");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    @Override
    public String kind() {
        return "real";
    }

    @Override
    public Map<String, Object> describe() {
        return description;
    }

    @Override
    public KubernetesClient client() {
        return installed.admin();
    }

    @Override
    public Map<String, String> operatorEnvironment(OpenRouterSimulator openRouter, Path work) throws IOException {
        return installed.environment(openRouter, "bench-operator", Map.of());
    }

    @Override
    public Map<ApiRequest, Long> operatorRequests() throws IOException {
        return audit.requests();
    }

    @Override
    public Map<String, Long> operatorRefusals() throws IOException {
        return audit.refused();
    }

    @Override
    public Map<String, Double> cpuSeconds() throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("kube-apiserver", BenchServer.cpuOf(apiServerPid));
        out.put("etcd", BenchServer.cpuOf(etcdPid));
        out.put(BENCH_JVM, BenchServer.cpuOf(ProcessHandle.current().pid()));
        return out;
    }

    /** Stops the server; what the run left on it goes with it (the operator processes are the bench's to stop). */
    @Override
    public void close() {
        installed.admin().close();
        own.close();
    }
}
