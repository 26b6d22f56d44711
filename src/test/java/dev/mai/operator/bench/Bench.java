package dev.mai.operator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ApiRequests.ApiRequest;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * make bench (issues 7, 25): the packaged operator as its own process against a Kubernetes API
 * server ({@link BenchServer}: a real kube-apiserver with etcd, or the embedded mock) and the OpenRouter simulator answering after a fixed latency. For each N it measures
 * provisioning N MaiClients, a steady-state window, 20 MaiClients created during a sweep, memory with
 * and without 10,000 unrelated Secrets, and CPU; then the old script's sequential way on the same
 * simulator, and an operator restart with the clients there. Writes target/bench/report.md and
 * report.json. Settings come from the environment: BENCH_SERVER (real, embedded or both, comma-separated;
 * default real), BENCH_N (comma-separated, default 100,1000,10000), BENCH_LATENCY_MS (50), BENCH_STEADY_SECONDS (60),
 * BENCH_SWEEP_SECONDS (10), BENCH_UNRELATED_SECRETS (10000), BENCH_BASELINE_CLIENTS (50),
 * BENCH_LATE_CLIENTS (20), BENCH_WARMUP (2000 MaiClients provisioned and deleted before measuring),
 * BENCH_PROFILE (true: a flight recording of provisioning), BENCH_OPERATOR_JAVA_OPTIONS (JVM options for the operator
 * process, after those of the image's ENTRYPOINT, which it always runs with).
 */
public final class Bench {

    private static final Path WORK = Path.of("target/bench");
    static final String NAMESPACE = "mai-system";
    private static final int NAMESPACES = 100;
    private static final String WARM_UP = "bench.mai.dev/warm-up";
    /** The operator's concurrent reconciles: the Quarkus operator SDK's default (JOSDK's 50) unless set. */
    private static final String THREADS = "QUARKUS_OPERATOR_SDK_CONCURRENT_RECONCILIATION_THREADS";

    record Settings(List<String> servers, List<Integer> sizes, long latencyMillis, Duration steady, Duration sweep, int unrelatedSecrets,
            int baselineClients, int lateClients, int reconcileThreads, int warmUp) {

        static Settings fromEnvironment() {
            return new Settings(
                    List.of(env("BENCH_SERVER", "real").split(",")).stream().map(String::trim).toList(),
                    List.of(env("BENCH_N", "100,1000,10000").split(",")).stream().map(String::trim).map(Integer::parseInt).toList(),
                    Long.parseLong(env("BENCH_LATENCY_MS", "50")),
                    Duration.ofSeconds(Long.parseLong(env("BENCH_STEADY_SECONDS", "60"))),
                    Duration.ofSeconds(Long.parseLong(env("BENCH_SWEEP_SECONDS", "10"))),
                    Integer.parseInt(env("BENCH_UNRELATED_SECRETS", "10000")),
                    Integer.parseInt(env("BENCH_BASELINE_CLIENTS", "50")),
                    Integer.parseInt(env("BENCH_LATE_CLIENTS", "20")),
                    Integer.parseInt(env(THREADS, "50")),
                    Integer.parseInt(env("BENCH_WARMUP", "2000")));
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("servers", servers);
            m.put("sizes", sizes);
            m.put("latencyMillis", latencyMillis);
            m.put("steady", steady.toSeconds());
            m.put("sweep", sweep.toSeconds());
            m.put("unrelatedSecrets", unrelatedSecrets);
            m.put("baselineClients", baselineClients);
            m.put("lateClients", lateClients);
            m.put("reconcileThreads", reconcileThreads);
            m.put("warmUp", warmUp);
            return m;
        }

        static String env(String name, String fallback) {
            String value = System.getenv(name);
            return value == null || value.isBlank() ? fallback : value;
        }
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.fromEnvironment();
        Files.createDirectories(WORK);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", output("nproc").strip());
        machine.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        report.put("machine", machine);
        report.put("commit", output("git", "describe", "--always", "--dirty", "--abbrev=12").strip());
        report.put("settings", settings.toMap());
        System.out.printf("make bench: servers %s, N=%s, OpenRouter latency %d ms, steady window %s, sweep every %s%n",
                settings.servers(), settings.sizes(), settings.latencyMillis(), settings.steady(), settings.sweep());
        Map<String, Object> baseline = baseline(settings);
        report.put("baseline", baseline);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (String kind : settings.servers()) {
            for (int n : settings.sizes()) {
                Map<String, Object> run = run(settings, kind, n);
                double perClient = (double) baseline.get("secondsPerClient");
                run.put("baselineSecondsExtrapolated", perClient * n);
                run.put("speedUpOverBaseline", perClient * n / (double) run.get("allReadySeconds")); // NaN when unfinished
                runs.add(run);
                report.put("runs", runs);
                write(report); // each run's figures are on disk as soon as it ends
            }
        }
        System.out.println("make bench: wrote " + WORK.resolve("report.md") + " and " + WORK.resolve("report.json"));
        System.exit(0);
    }

    // ---- one N --------------------------------------------------------------------------------

    private static Map<String, Object> run(Settings settings, String kind, int n) throws Exception {
        System.out.printf("%n== %s API server, N = %d ==%n", kind, n);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("server", kind);
        out.put("n", n);
        Path work = WORK.resolve(kind + "-n" + n);
        Files.createDirectories(work);
        List<String> namespaces = java.util.stream.IntStream.range(0, NAMESPACES).mapToObj(i -> "bench-" + i).toList();
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator().latency(settings.latencyMillis());
                BenchServer server = BenchServer.start(kind, work, namespaces)) {
            out.put("serverDetails", server.describe());
            Map<String, String> env = server.operatorEnvironment(openRouter, work);
            env.put("HOSTNAME", "bench-operator");
            env.put("MAI_INSTALLATION_ID", "bench");
            env.put("MAI_OPENROUTER_MAX_RPS", "100000"); // the rate limiter out of the way
            env.put("MAI_VALIDATION_INTERVAL", settings.sweep().toSeconds() + "s");
            env.put(THREADS, Integer.toString(settings.reconcileThreads()));
            out.put("operatorJavaOptions", String.join(" ", operatorJavaOptions()));
            KubernetesClient client = server.client();
            Readiness ready;
            try (OperatorProcess operator = OperatorProcess.start(operatorJavaOptions(), env, work.resolve("operator.log"))) {
                awaitLeader(client, operator);
                ready = new Readiness(client);
                warmUp(client, ready, settings.warmUp());
                provisionAndSteady(settings, n, work, openRouter, server, client, ready, operator, out);
            }
            // --- an operator restart with the clients there -----------------------------------------
            out.put("restart", restart(settings, n + settings.lateClients(), work, env, openRouter, server, client));
            ready.close();
            out.put("operatorRefusals", server.operatorRefusals());
            List<String> leaks = new ArrayList<>(LeakScan.inFile(work.resolve("operator.log"), openRouter.issuedSecrets()));
            leaks.addAll(LeakScan.inFile(work.resolve("operator-restart.log"), openRouter.issuedSecrets()));
            out.put("keysInOperatorLog", leaks.size());
            out.put("liveKeys", openRouter.liveKeys().size());
        }
        return out;
    }

    /** The JVM options the image runs the operator with, then BENCH_OPERATOR_JAVA_OPTIONS (later options win). */
    private static List<String> operatorJavaOptions() throws IOException {
        List<String> options = new ArrayList<>(OperatorProcess.imageJavaOptions());
        String extra = Settings.env("BENCH_OPERATOR_JAVA_OPTIONS", "");
        if (!extra.isBlank()) {
            options.addAll(List.of(extra.trim().split("\\s+")));
        }
        return options;
    }

    private static void awaitLeader(KubernetesClient client, OperatorProcess operator) throws InterruptedException {
        await("the operator leads", Duration.ofMinutes(1), () -> {
            if (!operator.isAlive()) {
                throw new IllegalStateException("the operator ended; see its log " + operator.log());
            }
            Lease lease = client.resources(Lease.class).inNamespace(NAMESPACE).withName("mai-operator-bench").get();
            return lease != null && "bench-operator".equals(lease.getSpec().getHolderIdentity());
        });
    }

    /** The operator processes' JIT compiler and GC threads, watched from the first CPU reading on (by pid). */
    private static final Map<Long, JvmThreadCpu> THREAD_CPU = new ConcurrentHashMap<>();

    /** CPU seconds so far by component: the operator process, and what the server reports (its processes, the bench JVM). */
    private static Map<String, Double> cpu(BenchServer server, OperatorProcess operator) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("operator", BenchServer.cpuOf(operator.pid()));
        THREAD_CPU.computeIfAbsent(operator.pid(), JvmThreadCpu::new).seconds()
                .forEach((group, seconds) -> out.put("operator: " + group, seconds));
        out.putAll(server.cpuSeconds());
        return out;
    }

    private static void provisionAndSteady(Settings settings, int n, Path work, OpenRouterSimulator openRouter, BenchServer server,
            KubernetesClient client, Readiness ready, OperatorProcess operator, Map<String, Object> out) throws Exception {
        Map<String, Double> cpu0 = cpu(server, operator);
        Map<ApiRequest, Long> k0 = server.operatorRequests();
        int or0 = openRouter.requests().size();

        // --- provisioning N ------------------------------------------------------------
        boolean profile = "true".equals(System.getenv("BENCH_PROFILE"));
        if (profile) { // where the operator's time goes: a flight recording of provisioning
            jcmd(operator, "JFR.start name=bench settings=profile filename=" + work.resolve("operator.jfr").toAbsolutePath());
        }
        long t0 = System.nanoTime();
        createClients(client, ready, "c", n);
        long created = System.nanoTime();
        // a run that does not finish within its patience is reported, not lost
        Duration patience = Duration.ofSeconds(Long.parseLong(Settings.env("BENCH_PATIENCE_SECONDS", Long.toString(Math.max(120, n / 10)))));
        boolean finished = awaitQuietly(patience, () -> ready.readyCount("c") == n);
        out.put("readyWithinPatience", ready.readyCount("c"));
        out.put("patienceSeconds", patience.toSeconds());
        double allReady = finished ? (ready.lastReady("c") - t0) / 1e9 : Double.NaN;
        List<Double> perClient = ready.secondsToReady("c");
        Thread.sleep(5_000); // trailing writes of the last reconciles belong to provisioning
        Map<ApiRequest, Long> provisioning = Measures.delta(k0, server.operatorRequests());
        List<OpenRouterSimulator.Request> orProvisioning = List.copyOf(openRouter.requests().subList(or0, openRouter.requests().size()));
        Map<String, Double> cpuProvisioning = Measures.cpuDelta(cpu0, cpu(server, operator));
        if (profile) {
            jcmd(operator, "JFR.stop name=bench");
        }
        out.put("createSeconds", (created - t0) / 1e9);
        out.put("allReadySeconds", allReady);
        out.put("readySeconds", Map.of("p50", Measures.percentile(perClient, 50), "p95", Measures.percentile(perClient, 95),
                "p99", Measures.percentile(perClient, 99)));
        out.put("maiClientAndSecretWritesPerClient", provisioning.entrySet().stream().filter(e -> e.getKey().isWrite())
                .filter(e -> Set.of("maiclients", "secrets").contains(e.getKey().resource()))
                .mapToLong(Map.Entry::getValue).sum() / (double) n);
        out.put("maiClientAndSecretWritesPerClientByKind", Measures.perClient(
                filter(provisioning, r -> r.isWrite() && Set.of("maiclients", "secrets").contains(r.resource())),
                r -> r.verb() + " " + r.rbacResource(), n));
        out.put("kubernetesRequestsPerClientByVerb", Measures.perClient(provisioning, ApiRequest::verb, n));
        out.put("kubernetesRequestsPerClientByKind", Measures.perClient(provisioning, r -> r.verb() + " " + r.rbacResource(), n));
        Map<String, Long> orByOperation = orProvisioning.stream().collect(Collectors.groupingBy(
                OpenRouterSimulator.Request::operation, TreeMap::new, Collectors.counting()));
        out.put("openRouterRequestsPerClientByOperation", Measures.perClient(orByOperation, k -> k, n));
        long creates = orByOperation.getOrDefault("POST /keys", 0L);
        out.put("openRouterCreatesPerClient", creates / (double) n);
        double callsPerClient = orProvisioning.size() / (double) n;
        double floor = Measures.floorSeconds(n, callsPerClient, settings.latencyMillis(), settings.reconcileThreads());
        out.put("floor", Map.of("seconds", floor, "openRouterCallsPerClient", callsPerClient, "latencyMillis", settings.latencyMillis(),
                "concurrency", settings.reconcileThreads(), "ratio", allReady / floor));
        out.put("cpuSecondsProvisioning", cpuProvisioning);
        out.put("operatorCpuMillisPerClient", 1000 * cpuProvisioning.get("operator") / n);
        out.put("operatorCpuMillisPerClientWithoutJit", 1000 * (cpuProvisioning.get("operator") - cpuProvisioning.get("operator: " + Measures.JIT)) / n);
        System.out.printf("all %d Ready in %.1f s (p50 %.2f s, p99 %.2f s); %.2f MaiClient/Secret writes and %.2f creates per client; CPU %s%n",
                n, allReady, Measures.percentile(perClient, 50), Measures.percentile(perClient, 99),
                out.get("maiClientAndSecretWritesPerClient"), creates / (double) n, cpuProvisioning);

        // --- steady state ----------------------------------------------------------------
        // the window runs from the end of one sweep to the end of another (sweeps are at least 90 % of the interval
        // apart), so the list requests per sweep count whole sweeps only
        Duration sweepPatience = settings.sweep().multipliedBy(3).plusMinutes(1);
        double sweeps1 = awaitSweepEnd(operator, sweepPatience);
        long w0 = System.nanoTime();
        Map<ApiRequest, Long> k1 = server.operatorRequests();
        int or1 = openRouter.requests().size();
        Map<String, Double> cpu1 = cpu(server, operator);
        Thread.sleep(settings.steady().toMillis());
        double sweeps = awaitSweepEnd(operator, sweepPatience) - sweeps1;
        double windowSeconds = (System.nanoTime() - w0) / 1e9;
        Map<ApiRequest, Long> steady = Measures.delta(k1, server.operatorRequests());
        List<OpenRouterSimulator.Request> orSteady = List.copyOf(openRouter.requests().subList(or1, openRouter.requests().size()));
        Map<String, Object> window = new LinkedHashMap<>();
        window.put("seconds", windowSeconds);
        window.put("sweeps", sweeps);
        window.put("maiClientAndSecretWrites", filter(steady, r -> r.isWrite() && Set.of("maiclients", "secrets").contains(r.resource()))
                .values().stream().mapToLong(Long::longValue).sum());
        window.put("otherWritesExceptLeaseAndEvents", filter(steady, r -> r.isWrite()
                && !Set.of("maiclients", "secrets", "leases", "events").contains(r.resource())).values().stream().mapToLong(Long::longValue).sum());
        window.put("kubernetesRequestsByKind", Measures.perClient(steady, r -> r.verb() + " " + r.rbacResource(), 1));
        window.put("kubernetesListRequests", filter(steady, r -> r.verb().equals("list")).values().stream().mapToLong(Long::longValue).sum());
        window.put("openRouterRequestsByOperation", orSteady.stream().collect(Collectors.groupingBy(
                OpenRouterSimulator.Request::operation, TreeMap::new, Collectors.counting())));
        long lists = orSteady.stream().filter(r -> r.operation().equals("GET /keys")).count();
        window.put("listRequestsPerSweep", sweeps == 0 ? Double.NaN : lists / sweeps);
        window.put("openRouterRequestsPerSweep", sweeps == 0 ? Double.NaN : orSteady.size() / sweeps);
        window.put("listRequestsAllowedPerSweep", (n + settings.lateClients()) / 100 + 1);
        window.put("cpuSeconds", Measures.cpuDelta(cpu1, cpu(server, operator)));
        out.put("steadyState", window);
        System.out.printf("steady state %.0f s: %s MaiClient/Secret writes, %.0f sweeps, %.1f list requests per sweep%n",
                windowSeconds, window.get("maiClientAndSecretWrites"), sweeps, window.get("listRequestsPerSweep"));

        // --- clients created while N exist and a sweep runs ---------------------------------
        long listsBefore = openRouter.count("GET /keys");
        await("a sweep starts", settings.sweep().multipliedBy(3), () -> openRouter.count("GET /keys") > listsBefore);
        double[] reconciles0 = reconciles(operator);
        createClients(client, ready, "late", settings.lateClients());
        awaitQuietly(Duration.ofMinutes(2), () -> ready.readyCount("late") == settings.lateClients());
        double[] reconciles1 = reconciles(operator);
        List<Double> late = ready.secondsToReady("late");
        double reconcileCount = reconciles1[0] - reconciles0[0];
        out.put("lateClientsReadySeconds", Map.of("count", late.size(), "p50", Measures.percentile(late, 50),
                "p99", Measures.percentile(late, 99), "reconciles", reconcileCount,
                "meanReconcileSeconds", reconcileCount == 0 ? Double.NaN : (reconciles1[1] - reconciles0[1]) / reconcileCount));
        System.out.printf("%d MaiClients created during a sweep: Ready p50 %.2f s, p99 %.2f s%n", late.size(),
                Measures.percentile(late, 50), Measures.percentile(late, 99));

        // --- memory ---------------------------------------------------------------------
        long heap = heapAfterGc(operator);
        long rss = rss(operator);
        histogram(operator, work.resolve("heap-histogram.txt")); // after the RSS: it runs a full GC of its own
        createUnrelatedSecrets(client, settings.unrelatedSecrets());
        Thread.sleep(10_000);
        long heapWithSecrets = heapAfterGc(operator);
        long rssWithSecrets = rss(operator);
        histogram(operator, work.resolve("heap-histogram-with-unrelated-secrets.txt"));
        out.put("memory", Map.of(
                "heapAfterGcMiB", heap / 1048576.0, "rssMiB", rss / 1048576.0,
                "unrelatedSecrets", settings.unrelatedSecrets(),
                "heapAfterGcWithUnrelatedSecretsMiB", heapWithSecrets / 1048576.0,
                "rssWithUnrelatedSecretsMiB", rssWithSecrets / 1048576.0,
                "heapGrowthPercent", 100.0 * (heapWithSecrets - heap) / heap));
        System.out.printf("heap after GC %.1f MiB (RSS %.0f MiB); with %d unrelated Secrets %.1f MiB (%+.1f%%)%n",
                heap / 1048576.0, rss / 1048576.0, settings.unrelatedSecrets(), heapWithSecrets / 1048576.0,
                100.0 * (heapWithSecrets - heap) / heap);
        out.put("cpuSecondsTotal", Measures.cpuDelta(cpu0, cpu(server, operator)));
    }

    /**
     * The operator stopped (SIGTERM) and started again, as a rolling update does, with {@code clients}
     * MaiClients there: the time from the new process's start until it reconciled again — the first
     * client, and every client (each one's {@code mai_client_ready} series, set by its reconcile, is 1 at
     * /q/metrics) — then the writes to Kubernetes and OpenRouter over a window after that.
     */
    private static Map<String, Object> restart(Settings settings, int clients, Path work, Map<String, String> env,
            OpenRouterSimulator openRouter, BenchServer server, KubernetesClient client) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<ApiRequest, Long> k0 = server.operatorRequests();
        int or0 = openRouter.requests().size();
        long t0 = System.nanoTime();
        try (OperatorProcess operator = OperatorProcess.start(operatorJavaOptions(), env, work.resolve("operator-restart.log"))) {
            Map<String, Double> cpu0 = cpu(server, operator);
            double[] first = {Double.NaN, Double.NaN}; // /q/metrics answered, a client reconciled
            Duration patience = Duration.ofSeconds(Math.max(120, clients / 20));
            boolean all = awaitQuietly(patience, () -> {
                long reconciled = readyInMetrics(operator);
                if (reconciled >= 0 && Double.isNaN(first[0])) {
                    first[0] = (System.nanoTime() - t0) / 1e9;
                }
                if (reconciled > 0 && Double.isNaN(first[1])) {
                    first[1] = (System.nanoTime() - t0) / 1e9;
                }
                return reconciled >= clients;
            }, 250);
            double allSeconds = all ? (System.nanoTime() - t0) / 1e9 : Double.NaN;
            out.put("clients", clients);
            out.put("metricsAnsweredSeconds", first[0]);
            out.put("firstReconciledSeconds", first[1]);
            out.put("allReconciledSeconds", allSeconds);
            Map<ApiRequest, Long> k1 = server.operatorRequests();
            int or1 = openRouter.requests().size();
            Duration window = Duration.ofSeconds(Long.parseLong(Settings.env("BENCH_RESTART_WINDOW_SECONDS", "30")));
            Thread.sleep(window.toMillis());
            Map<ApiRequest, Long> after = Measures.delta(k1, server.operatorRequests());
            out.put("windowSeconds", window.toSeconds());
            out.put("kubernetesWritesUntilReconciled", writesByKind(Measures.delta(k0, k1)));
            out.put("kubernetesWritesInWindow", writesByKind(after));
            out.put("openRouterWritesUntilReconciled", openRouter.requests().subList(or0, or1).stream().filter(OpenRouterSimulator.Request::isWrite).count());
            out.put("openRouterWritesInWindow", openRouter.requests().subList(or1, openRouter.requests().size()).stream()
                    .filter(OpenRouterSimulator.Request::isWrite).count());
            out.put("cpuSeconds", Measures.cpuDelta(cpu0, cpu(server, operator)));
            System.out.printf("restart: first client reconciled after %.1f s, all %d after %.1f s; writes in the %d s after: %s Kubernetes, %s OpenRouter%n",
                    first[1], clients, allSeconds, window.toSeconds(), out.get("kubernetesWritesInWindow"), out.get("openRouterWritesInWindow"));
        }
        return out;
    }

    /** Writes by "verb resource", the Lease (leader election's renewals) and Events apart. */
    private static Map<String, Long> writesByKind(Map<ApiRequest, Long> requests) {
        Map<String, Long> out = new TreeMap<>();
        requests.forEach((r, count) -> {
            if (r.isWrite()) {
                out.merge(r.verb() + " " + r.rbacResource(), count, Long::sum);
            }
        });
        return out;
    }

    /** Clients whose mai_client_ready series is 1 at the operator's /q/metrics; -1 while it does not answer yet. */
    private static long readyInMetrics(OperatorProcess operator) {
        try {
            return Measures.prometheusCount(operator.get("/q/metrics").body(), "mai_client_ready", 1.0);
        } catch (IOException | IllegalStateException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * A production operator runs warm: before measuring, {@code count} MaiClients are provisioned and
     * deleted again (their keys with them), so that the JIT has compiled the reconcile's hot paths. It
     * takes about 2,000: after 100, the JIT compiler's threads still used half the operator's CPU while
     * 1,000 more were provisioned (the report shows their share apart).
     */
    private static void warmUp(KubernetesClient client, Readiness ready, int count) throws Exception {
        if (count == 0) {
            return;
        }
        createClients(client, ready, "warmup", count);
        Duration patience = Duration.ofSeconds(Math.max(120, count / 10));
        await("the warm-up clients Ready", patience, () -> ready.readyCount("warmup") == count);
        client.resources(MaiClient.class).inAnyNamespace().withLabel(WARM_UP).delete();
        await("the warm-up clients gone", patience,
                () -> client.resources(MaiClient.class).inAnyNamespace().withLabel(WARM_UP).list().getItems().isEmpty());
        // their Secrets go with them through the garbage collector (owner references), which this API server does not
        // run: the bench deletes them as it would, or the operator would cache 2,000 Secrets no client has
        client.secrets().inAnyNamespace().withLabelSelector(dev.mai.operator.api.v1alpha1.Labels.MANAGED_SELECTOR).list().getItems()
                .stream().filter(s -> s.getMetadata().getName().startsWith("warmup")).forEach(s -> client.resource(s).delete());
        await("the warm-up clients' Secrets gone", patience, () -> client.secrets().inAnyNamespace()
                .withLabelSelector(dev.mai.operator.api.v1alpha1.Labels.MANAGED_SELECTOR).list().getItems().stream()
                .noneMatch(s -> s.getMetadata().getName().startsWith("warmup")));
        System.out.printf("warm-up: %d MaiClients provisioned and deleted%n", count);
    }

    private static Map<ApiRequest, Long> filter(Map<ApiRequest, Long> counts, java.util.function.Predicate<ApiRequest> which) {
        return counts.entrySet().stream().filter(e -> which.test(e.getKey())).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** Creates MaiClients {@code <prefix>0..} spread over namespaces, eight at a time, noting when each was created. */
    private static void createClients(KubernetesClient client, Readiness ready, String prefix, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String ns = "bench-" + (i % NAMESPACES);
                String name = prefix + i;
                MaiClient mc = Clients.maiClient(ns, name, "Bench Co " + name, "10");
                if (prefix.equals("warmup")) {
                    mc.getMetadata().setLabels(Map.of(WARM_UP, "true"));
                }
                done.add(pool.submit(() -> {
                    ready.created(ns + "/" + name);
                    client.resource(mc).create();
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void createUnrelatedSecrets(KubernetesClient client, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        String value = Base64.getEncoder().encodeToString(new byte[512]);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int k = i;
                done.add(pool.submit(() -> client.resource(new SecretBuilder().withNewMetadata().withName("unrelated-" + k)
                        .withNamespace("bench-" + (k % NAMESPACES)).addToLabels("app", "something-else").endMetadata()
                        .addToData("payload", value).build()).create()));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** When each MaiClient was created and first seen Ready for its generation, from a watch. */
    private static final class Readiness implements AutoCloseable {
        private final Map<String, Long> createdAt = new ConcurrentHashMap<>();
        private final Map<String, Long> readyAt = new ConcurrentHashMap<>();
        private final SharedIndexInformer<MaiClient> informer;

        Readiness(KubernetesClient client) {
            informer = client.resources(MaiClient.class).inAnyNamespace().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(MaiClient mc) {
                    seen(mc);
                }

                @Override
                public void onUpdate(MaiClient old, MaiClient mc) {
                    seen(mc);
                }

                @Override
                public void onDelete(MaiClient mc, boolean unknown) {
                }
            });
        }

        void created(String key) {
            createdAt.put(key, System.nanoTime());
        }

        private void seen(MaiClient mc) {
            if (Clients.isReady(mc)) {
                readyAt.putIfAbsent(mc.getMetadata().getNamespace() + "/" + mc.getMetadata().getName(), System.nanoTime());
            }
        }

        private boolean ofPrefix(String key, String prefix) {
            return key.substring(key.indexOf('/') + 1).matches(prefix + "\\d+");
        }

        long readyCount(String prefix) {
            return readyAt.keySet().stream().filter(k -> ofPrefix(k, prefix)).count();
        }

        long lastReady(String prefix) {
            return readyAt.entrySet().stream().filter(e -> ofPrefix(e.getKey(), prefix)).mapToLong(Map.Entry::getValue).max().orElseThrow();
        }

        List<Double> secondsToReady(String prefix) {
            return readyAt.entrySet().stream().filter(e -> ofPrefix(e.getKey(), prefix))
                    .map(e -> (e.getValue() - createdAt.get(e.getKey())) / 1e9).toList();
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    // ---- the old script's way ------------------------------------------------------------------

    /**
     * One client at a time, as the Python script did: check the management key, create the key, send
     * one test completion with it, write .env. Measured on a sample and extrapolated to each N.
     */
    private static Map<String, Object> baseline(Settings settings) throws Exception {
        int count = settings.baselineClients();
        Path dir = WORK.resolve("baseline");
        Files.createDirectories(dir);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator().latency(settings.latencyMillis())) {
            String managementKey = openRouter.newManagementKey();
            HttpClient http = HttpClient.newHttpClient();
            ObjectMapper json = new ObjectMapper();
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                send(http, "GET", openRouter.baseUrl() + "/key", managementKey, null);
                String created = send(http, "POST", openRouter.baseUrl() + "/keys", managementKey,
                        "{\"name\":\"mAI Client: Baseline Co " + i + "\",\"limit\":10}");
                String key = json.readTree(created).get("key").asText();
                send(http, "POST", openRouter.baseUrl() + "/chat/completions", key,
                        "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say OK\"}],\"max_tokens\":2}");
                Files.writeString(dir.resolve("client-" + i + ".env"), "OPENROUTER_API_KEY='" + key + "'\nORGANIZATION_NAME='Baseline Co " + i
                        + "'\nSPENDING_LIMIT='10.00'\n");
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("baseline (the old script's way, sequential): %d clients in %.1f s, %.3f s per client%n",
                    count, seconds, seconds / count);
            return new LinkedHashMap<>(Map.of("clients", count, "seconds", seconds, "secondsPerClient", seconds / count,
                    "openRouterRequestsPerClient", openRouter.requests().size() / (double) count));
        }
    }

    private static String send(HttpClient http, String method, String url, String bearer, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer);
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + url + " answered " + response.statusCode());
        }
        return response.body();
    }

    // ---- process figures -----------------------------------------------------------------------

    private static long rss(OperatorProcess operator) throws IOException {
        return Measures.rssBytes(Files.readString(Path.of("/proc/" + operator.pid() + "/status")));
    }

    private static long heapAfterGc(OperatorProcess operator) throws Exception {
        jcmd(operator, "GC.run");
        return Measures.heapUsedBytes(jcmd(operator, "GC.heap_info"));
    }

    /** The operator's heap by class after a full GC (jcmd GC.class_histogram), its 60 largest, kept with the report. */
    private static void histogram(OperatorProcess operator, Path file) throws Exception {
        Files.writeString(file, jcmd(operator, "GC.class_histogram").lines().limit(64).collect(Collectors.joining("\n", "", "\n")));
    }

    /** What a command prints (stdout and stderr), or "unknown" when it cannot run. */
    private static String output(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static String jcmd(OperatorProcess operator, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(operator.pid()), command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + output);
        }
        return output;
    }

    private static double sweeps(OperatorProcess operator) throws Exception {
        return Measures.prometheusSum(operator.get("/q/metrics").body(), "mai_sweep_duration_seconds_count");
    }

    /** Waits for the next sweep to end; the number of sweeps ended then. */
    private static double awaitSweepEnd(OperatorProcess operator, Duration patience) throws Exception {
        double before = sweeps(operator);
        double[] now = {before};
        await("a sweep ends", patience, () -> {
            try {
                now[0] = sweeps(operator);
            } catch (Exception e) {
                throw new IllegalStateException("the operator's /q/metrics did not answer", e);
            }
            return now[0] > before;
        });
        return now[0];
    }

    /** JOSDK's reconcile executions so far and the seconds they took, from the operator's /q/metrics. */
    private static double[] reconciles(OperatorProcess operator) throws Exception {
        String metrics = operator.get("/q/metrics").body();
        return new double[] {Measures.prometheusSum(metrics, "reconciliations_execution_duration_seconds_count"),
            Measures.prometheusSum(metrics, "reconciliations_execution_duration_seconds_sum")};
    }

    private static boolean awaitQuietly(Duration patience, BooleanSupplier done) throws InterruptedException {
        return awaitQuietly(patience, done, 20);
    }

    private static boolean awaitQuietly(Duration patience, BooleanSupplier done, long pollMillis) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(pollMillis);
        }
        return true;
    }

    private static void await(String what, Duration patience, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("make bench: gave up waiting for " + what + " after " + patience);
            }
            Thread.sleep(20);
        }
    }

    // ---- the report ------------------------------------------------------------------------------

    private static void write(Map<String, Object> report) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(WORK.resolve("report.json"), json.writeValueAsString(report));
        Files.writeString(WORK.resolve("report.md"), Report.markdown(json.valueToTree(report)));
    }
}
