package dev.mai.operator.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The arithmetic and parsing make bench relies on, kept pure so that unit tests cover it
 * (MeasuresTest): percentiles, per-client rates from counter snapshots, the theoretical floor, and
 * reading a process's heap (jcmd GC.heap_info), CPU (/proc/<pid>/stat), RSS (/proc/<pid>/status)
 * and Prometheus counters.
 */
public final class Measures {

    /** Linux reports CPU in clock ticks of 1/100 s (USER_HZ) on every architecture this runs on. */
    public static final int TICKS_PER_SECOND = 100;

    private static final Pattern HEAP_USED = Pattern.compile("(?m)^\\s*\\S.*heap\\s+total\\s+(\\d+)K,\\s+used\\s+(\\d+)K");
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+)\\s+kB");

    private Measures() {
    }

    /** Nearest-rank percentile ({@code p} in 0..100) of the values; NaN for none. */
    public static double percentile(Collection<? extends Number> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values.stream().map(Number::doubleValue).sorted().toList());
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** What each counter grew by between two snapshots (counters absent before count from zero). */
    public static <K> Map<K, Long> delta(Map<K, Long> before, Map<K, Long> after) {
        Map<K, Long> out = new HashMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) {
                out.put(k, d);
            }
        });
        return out;
    }

    /** Sums counters by a key derived from each (e.g. by verb), divided by {@code clients}. */
    public static <K> Map<String, Double> perClient(Map<K, Long> counts, java.util.function.Function<K, String> by, int clients) {
        Map<String, Double> out = new java.util.TreeMap<>();
        counts.forEach((k, v) -> out.merge(by.apply(k), v / (double) clients, Double::sum));
        return out;
    }

    /**
     * The theoretical floor: N clients, each needing {@code callsPerClient} OpenRouter calls of
     * {@code latencyMillis}, at most {@code concurrency} in flight at once.
     */
    public static double floorSeconds(int clients, double callsPerClient, long latencyMillis, int concurrency) {
        return clients * callsPerClient * latencyMillis / 1000.0 / concurrency;
    }

    /** Heap in use from {@code jcmd <pid> GC.heap_info} (the collector's "... heap total NK, used MK" line), in bytes. */
    public static long heapUsedBytes(String gcHeapInfo) {
        Matcher m = HEAP_USED.matcher(gcHeapInfo);
        if (!m.find()) {
            throw new IllegalArgumentException("no heap line in: " + gcHeapInfo);
        }
        return Long.parseLong(m.group(2)) * 1024;
    }

    /** User plus system CPU time of a process from its {@code /proc/<pid>/stat} line, in seconds. */
    public static double cpuSeconds(String procStat) {
        // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
        String[] f = procStat.substring(procStat.lastIndexOf(')') + 2).trim().split("\\s+");
        long utime = Long.parseLong(f[11]);
        long stime = Long.parseLong(f[12]);
        return (utime + stime) / (double) TICKS_PER_SECOND;
    }

    /** Resident set size from {@code /proc/<pid>/status}, in bytes. */
    public static long rssBytes(String procStatus) {
        Matcher m = RSS.matcher(procStatus);
        if (!m.find()) {
            throw new IllegalArgumentException("no VmRSS in /proc status");
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** The sum of every sample of a Prometheus series (all label sets) in a text exposition. */
    public static double prometheusSum(String exposition, String series) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(series + "{") || line.startsWith(series + " ")) {
                String value = line.substring(line.lastIndexOf(' ') + 1);
                sum += Double.parseDouble(value);
            }
        }
        return sum;
    }
}
