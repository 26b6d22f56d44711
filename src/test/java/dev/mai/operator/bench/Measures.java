package dev.mai.operator.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mai.operator.testing.ApiRequests;
import dev.mai.operator.testing.ApiRequests.ApiRequest;
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
 * and Prometheus counters, and counting a user's requests in kube-apiserver's audit log.
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

    /** What each CPU figure (seconds, by component) grew by between two snapshots; components only in {@code after} count from zero. */
    public static Map<String, Double> cpuDelta(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        after.forEach((k, v) -> out.put(k, v - before.getOrDefault(k, 0.0)));
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

    /** The JVM's JIT compiler threads ("C2 CompilerThre", "C1 CompilerThre"), by the name Linux gives them. */
    public static final String JIT = "JIT compiler";
    /** The garbage collector's threads (G1's and the parallel workers' "GC Thread#n"). */
    public static final String GC = "GC";

    /**
     * Which part of a JVM a thread's CPU belongs to, from the thread's name in {@code /proc/<pid>/task/<tid>/stat}
     * (Linux cuts it to 15 characters): {@link #JIT}, {@link #GC}, or null for the rest (the application and the JVM's other threads).
     */
    public static String jvmThreadGroup(String procStat) {
        String comm = procStat.substring(procStat.indexOf('(') + 1, procStat.lastIndexOf(')'));
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            return JIT;
        }
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.startsWith("GC ")) {
            return GC;
        }
        return null;
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

    /** How many samples of a Prometheus series (any labels) have exactly {@code value}: e.g. clients whose mai_client_ready is 1. */
    public static long prometheusCount(String exposition, String series, double value) {
        long count = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(series + "{") || line.startsWith(series + " ")) {
                if (Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) == value) {
                    count++;
                }
            }
        }
        return count;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request kube-apiserver audited: who made it, what RBAC saw (the name left out), and the answer's code. */
    public record Audited(String user, ApiRequest request, int code) {
    }

    /**
     * One line of kube-apiserver's JSON audit log ({@code --audit-log-format=json}, one event a line),
     * or null for an event of a stage other than the request's end (ResponseComplete, Panic): each
     * request counts once. Verb, group, resource and subresource are the server's own (its
     * {@code verb} and {@code objectRef}); the scope is read from {@code requestURI} as
     * {@link ApiRequests#parse} reads it for the embedded server, so both servers' counts compare. A
     * server-side dry run ({@code dryRun=All}: checked by admission, nothing stored) gets the verb
     * {@code "<verb> (dry run)"}, which is no write. A line that is no audit event fails with what is missing.
     */
    public static Audited auditEvent(String line, String operatorNamespace) {
        JsonNode event;
        try {
            event = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON audit event: " + abbreviate(line), e);
        }
        String stage = event.path("stage").asText("");
        if (!stage.equals("ResponseComplete") && !stage.equals("Panic")) {
            return null;
        }
        String verb = event.path("verb").asText("");
        String uri = event.path("requestURI").asText("");
        String user = event.path("user").path("username").asText("");
        if (verb.isEmpty() || uri.isEmpty() || user.isEmpty()) {
            throw new IllegalArgumentException("audit event without verb, requestURI or user.username: " + abbreviate(line));
        }
        String method = switch (verb) {
            case "get", "list", "watch" -> "GET";
            case "create" -> "POST";
            case "update" -> "PUT";
            case "patch" -> "PATCH";
            case "delete", "deletecollection" -> "DELETE";
            default -> verb.toUpperCase(java.util.Locale.ROOT);
        };
        ApiRequest parsed = ApiRequests.parse(method, uri, operatorNamespace);
        JsonNode ref = event.path("objectRef");
        if (uri.matches(".*[?&]dryRun=All(&.*)?")) {
            verb = verb + " (dry run)";
        }
        ApiRequest request = ref.isMissingNode() ? new ApiRequest(verb, "", parsed.resource(), "", parsed.scope(), "")
                : new ApiRequest(verb, ref.path("apiGroup").asText(""), ref.path("resource").asText(""),
                        ref.path("subresource").asText(""), parsed.scope(), "");
        return new Audited(user, request, event.path("responseStatus").path("code").asInt(0));
    }

    /** The requests of {@code user} among audit log lines, counted by kind; and its refused ones by "code verb resource". */
    public record AuditCounts(Map<ApiRequest, Long> requests, Map<String, Long> refused) {

        public AuditCounts() {
            this(new HashMap<>(), new java.util.TreeMap<>());
        }

        /** Counts {@code line} when it is a completed request of {@code user}. */
        public void add(String line, String user, String operatorNamespace) {
            Audited a = auditEvent(line, operatorNamespace);
            if (a == null || !a.user().equals(user)) {
                return;
            }
            requests.merge(a.request(), 1L, Long::sum);
            if (a.code() >= 400) {
                refused.merge(a.code() + " " + a.request().verb() + " " + a.request().rbacResource(), 1L, Long::sum);
            }
        }
    }

    private static String abbreviate(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }
}
