package dev.mai.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
}
