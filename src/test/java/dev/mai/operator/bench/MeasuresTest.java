package dev.mai.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mai.operator.testing.ApiRequests;
import dev.mai.operator.testing.ApiRequests.ApiRequest;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The counting and parsing make bench's report rests on. */
class MeasuresTest {

    @Test
    void percentilesAreNearestRank() {
        List<Integer> hundred = IntStream.rangeClosed(1, 100).boxed().toList();
        assertThat(Measures.percentile(hundred, 50)).isEqualTo(50);
        assertThat(Measures.percentile(hundred, 95)).isEqualTo(95);
        assertThat(Measures.percentile(hundred, 99)).isEqualTo(99);
        assertThat(Measures.percentile(hundred, 100)).isEqualTo(100);
        assertThat(Measures.percentile(List.of(7, 3, 5), 50)).isEqualTo(5);
        assertThat(Measures.percentile(List.of(42), 99)).isEqualTo(42);
        assertThat(Measures.percentile(List.of(), 50)).isNaN();
        // 20 values: p99 is the largest, p50 the 10th
        List<Integer> twenty = IntStream.rangeClosed(1, 20).map(i -> i * 10).boxed().toList();
        assertThat(Measures.percentile(twenty, 99)).isEqualTo(200);
        assertThat(Measures.percentile(twenty, 50)).isEqualTo(100);
    }

    @Test
    void countersAreComparedBetweenSnapshotsAndSpreadOverClients() {
        Map<String, Long> before = Map.of("create secrets", 10L, "patch maiclients", 4L, "get secrets", 7L);
        Map<String, Long> after = Map.of("create secrets", 110L, "patch maiclients", 204L, "get secrets", 7L, "update maiclients/status", 300L);
        Map<String, Long> delta = Measures.delta(before, after);
        assertThat(delta).containsOnly(Map.entry("create secrets", 100L), Map.entry("patch maiclients", 200L),
                Map.entry("update maiclients/status", 300L));
        assertThat(Measures.perClient(delta, k -> k.split(" ")[0], 100))
                .containsOnly(Map.entry("create", 1.0), Map.entry("patch", 2.0), Map.entry("update", 3.0));
        assertThat(Measures.perClient(delta, k -> "all", 100)).containsOnly(Map.entry("all", 6.0));
    }

    @Test
    void theFloorIsCallsTimesLatencyOverConcurrency() {
        // 1,000 clients, 2 calls each, 50 ms, 50 at once: 2 s
        assertThat(Measures.floorSeconds(1000, 2, 50, 50)).isCloseTo(2.0, within(1e-9));
        assertThat(Measures.floorSeconds(10_000, 2, 50, 200)).isCloseTo(5.0, within(1e-9));
    }

    @Test
    void processFiguresAreReadFromJcmdAndProc() {
        String heapInfo = """
                 garbage-first heap   total 262144K, used 53411K [0x00000000e0000000, 0x0000000100000000)
                  region size 1024K, 4 young (4096K), 0 survivors (0K)
                 Metaspace       used 61234K, committed 61888K, reserved 1114112K
                """;
        assertThat(Measures.heapUsedBytes(heapInfo)).isEqualTo(53411L * 1024);
        assertThatThrownBy(() -> Measures.heapUsedBytes("nothing")).isInstanceOf(IllegalArgumentException.class);
        // utime 1234 and stime 566 ticks (fields 14 and 15); a command name with a space and a ')' in it
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 0 0 20 0 40 0 123 456 789";
        assertThat(Measures.cpuSeconds(stat)).isCloseTo(18.0, within(1e-9));
        assertThat(Measures.rssBytes("Name:\tjava\nVmHWM:\t  400000 kB\nVmRSS:\t  312345 kB\n")).isEqualTo(312345L * 1024);
    }

    @Test
    void theBenchRunsTheOperatorWithTheImagesJvmOptions() throws Exception {
        assertThat(dev.mai.operator.testing.OperatorProcess.imageJavaOptions())
                .contains("-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-XX:-HeapDumpOnOutOfMemoryError")
                .doesNotContain("-jar", "/usr/bin/java", "/deployments/quarkus-run.jar");
    }

    @Test
    void aJvmsThreadsAreGroupedByTheNamesLinuxGivesThem() {
        assertThat(Measures.jvmThreadGroup("101 (C2 CompilerThre) S 1 1 1 0 -1 0 0 0 0 0 900 12 0 0")).isEqualTo(Measures.JIT);
        assertThat(Measures.jvmThreadGroup("102 (C1 CompilerThre) S 1 1 1 0 -1 0 0 0 0 0 90 1 0 0")).isEqualTo(Measures.JIT);
        assertThat(Measures.jvmThreadGroup("103 (GC Thread#1) S 1 1 1 0 -1 0 0 0 0 0 10 1 0 0")).isEqualTo(Measures.GC);
        assertThat(Measures.jvmThreadGroup("104 (G1 Conc#0) S 1 1 1 0 -1 0 0 0 0 0 10 1 0 0")).isEqualTo(Measures.GC);
        // the operator's own threads, named by the application, count as neither, even when they look alike
        assertThat(Measures.jvmThreadGroup("105 (executor-thread-1) S 1 1 1 0 -1 0 0 0 0 0 10 1 0 0")).isNull();
        assertThat(Measures.jvmThreadGroup("106 (vert.x-eventloop) S 1 1 1 0 -1 0 0 0 0 0 10 1 0 0")).isNull();
        assertThat(Measures.jvmThreadGroup("107 (my (C2 CompilerThre) S 1 1 1 0 -1 0 0 0 0 0 10 1 0 0")).isNull();
    }

    @Test
    void prometheusSeriesAreSummedOverTheirLabels() {
        String metrics = """
                # TYPE mai_sweep_duration_seconds summary
                mai_sweep_duration_seconds_count{outcome="complete"} 7.0
                mai_sweep_duration_seconds_count{outcome="partial"} 2.0
                mai_sweep_duration_seconds_sum{outcome="complete"} 1.5
                mai_sweep_duration_seconds_max{outcome="complete"} 0.3
                mai_orphan_keys_revoked_total 3.0
                """;
        assertThat(Measures.prometheusSum(metrics, "mai_sweep_duration_seconds_count")).isEqualTo(9.0);
        assertThat(Measures.prometheusSum(metrics, "mai_orphan_keys_revoked_total")).isEqualTo(3.0);
        assertThat(Measures.prometheusSum(metrics, "absent")).isZero();
    }

    private static final String OPERATOR = "system:serviceaccount:mai-system:mai-operator";

    /** An audit event as kube-apiserver writes it at Metadata level (--audit-log-format=json), abridged to what is read. */
    private static String audit(String stage, String verb, String uri, String user, String objectRef, int code) {
        return "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"0d1b\",\"stage\":\"" + stage
                + "\",\"requestURI\":\"" + uri + "\",\"verb\":\"" + verb + "\",\"user\":{\"username\":\"" + user
                + "\",\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"]},\"sourceIPs\":[\"127.0.0.1\"],"
                + "\"userAgent\":\"mai-operator/0.1.0 (bench-operator)\"" + (objectRef == null ? "" : ",\"objectRef\":" + objectRef)
                + ",\"responseStatus\":{\"metadata\":{},\"code\":" + code + "}}";
    }

    @Test
    void theAuditLogCountsTheOperatorsCompletedRequestsByKind() {
        String status = audit("ResponseComplete", "patch", "/apis/mai.dev/v1alpha1/namespaces/bench-3/maiclients/c3/status", OPERATOR,
                "{\"resource\":\"maiclients\",\"namespace\":\"bench-3\",\"name\":\"c3\",\"apiGroup\":\"mai.dev\",\"apiVersion\":\"v1alpha1\",\"subresource\":\"status\"}", 200);
        String create = audit("ResponseComplete", "create", "/api/v1/namespaces/bench-3/secrets", OPERATOR,
                "{\"resource\":\"secrets\",\"namespace\":\"bench-3\",\"apiVersion\":\"v1\"}", 201);
        String list = audit("ResponseComplete", "list", "/apis/mai.dev/v1alpha1/maiclients?limit=500&resourceVersion=0", OPERATOR,
                "{\"resource\":\"maiclients\",\"apiGroup\":\"mai.dev\",\"apiVersion\":\"v1alpha1\"}", 200);
        String lease = audit("ResponseComplete", "update", "/apis/coordination.k8s.io/v1/namespaces/mai-system/leases/mai-operator-bench", OPERATOR,
                "{\"resource\":\"leases\",\"namespace\":\"mai-system\",\"name\":\"mai-operator-bench\",\"apiGroup\":\"coordination.k8s.io\"}", 409);
        String dryRun = audit("ResponseComplete", "create", "/api/v1/namespaces/bench-3/secrets?dryRun=All&fieldManager=x", OPERATOR,
                "{\"resource\":\"secrets\",\"namespace\":\"bench-3\",\"apiVersion\":\"v1\"}", 201);
        String version = audit("ResponseComplete", "get", "/version", OPERATOR, null, 200);
        String started = audit("ResponseStarted", "watch", "/apis/mai.dev/v1alpha1/maiclients?watch=true", OPERATOR,
                "{\"resource\":\"maiclients\",\"apiGroup\":\"mai.dev\"}", 200);
        String admin = audit("ResponseComplete", "create", "/apis/mai.dev/v1alpha1/namespaces/bench-3/maiclients", "kubernetes-admin",
                "{\"resource\":\"maiclients\",\"namespace\":\"bench-3\",\"apiGroup\":\"mai.dev\"}", 201);

        Measures.Audited a = Measures.auditEvent(status, "mai-system");
        assertThat(a.user()).isEqualTo(OPERATOR);
        assertThat(a.code()).isEqualTo(200);
        assertThat(a.request()).isEqualTo(new ApiRequest("patch", "mai.dev", "maiclients", "status", ApiRequests.NAMESPACE, ""));
        assertThat(a.request().isWrite()).isTrue();
        assertThat(a.request().rbacResource()).isEqualTo("maiclients/status");
        assertThat(Measures.auditEvent(list, "mai-system").request().scope()).isEqualTo(ApiRequests.ALL_NAMESPACES);
        assertThat(Measures.auditEvent(lease, "mai-system").request().scope()).isEqualTo(ApiRequests.OWN_NAMESPACE);
        assertThat(Measures.auditEvent(version, "mai-system").request())
                .isEqualTo(new ApiRequest("get", "", "/version", "", ApiRequests.NON_RESOURCE, ""));
        assertThat(Measures.auditEvent(dryRun, "mai-system").request().verb()).isEqualTo("create (dry run)");
        assertThat(Measures.auditEvent(dryRun, "mai-system").request().isWrite()).as("a dry run stores nothing").isFalse();
        assertThat(Measures.auditEvent(started, "mai-system")).as("a stage before the request's end").isNull();

        Measures.AuditCounts counts = new Measures.AuditCounts();
        for (String line : List.of(status, status, create, dryRun, list, lease, version, started, admin)) {
            counts.add(line, OPERATOR, "mai-system");
        }
        assertThat(Measures.perClient(counts.requests(), r -> r.verb() + " " + r.rbacResource(), 1)).containsOnly(
                Map.entry("patch maiclients/status", 2.0), Map.entry("create secrets", 1.0), Map.entry("create (dry run) secrets", 1.0),
                Map.entry("list maiclients", 1.0),
                Map.entry("update leases", 1.0), Map.entry("get /version", 1.0));
        assertThat(counts.refused()).containsOnly(Map.entry("409 update leases", 1L));
    }

    /** The test of the test: what is not an audit event must fail loudly, not count as nothing. */
    @Test
    void aLineThatIsNoAuditEventFailsWithWhatIsMissing() {
        assertThatThrownBy(() -> Measures.auditEvent("I0512 12:00:00 some log line", "mai-system"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a JSON audit event");
        String withoutVerb = audit("ResponseComplete", "", "/api/v1/namespaces/bench-3/secrets", OPERATOR, null, 201);
        assertThatThrownBy(() -> new Measures.AuditCounts().add(withoutVerb, OPERATOR, "mai-system"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audit event without verb");
    }

    @Test
    void readyClientsAreCountedFromTheirSeriesAndCpuIsComparedBySnapshot() {
        String metrics = """
                # TYPE mai_client_ready gauge
                mai_client_ready{name="a",namespace="bench-1"} 1.0
                mai_client_ready{name="b",namespace="bench-2"} 0.0
                mai_client_ready{name="c",namespace="bench-3"} 1.0
                mai_client_ready_other{name="d"} 1.0
                """;
        assertThat(Measures.prometheusCount(metrics, "mai_client_ready", 1.0)).isEqualTo(2);
        assertThat(Measures.prometheusCount(metrics, "mai_client_ready", 0.0)).isEqualTo(1);
        assertThat(Measures.cpuDelta(Map.of("operator", 10.0, "etcd", 2.5), Map.of("operator", 18.5, "etcd", 2.5, "bench JVM", 3.0)))
                .containsOnly(Map.entry("operator", 8.5), Map.entry("etcd", 0.0), Map.entry("bench JVM", 3.0));
    }
}
