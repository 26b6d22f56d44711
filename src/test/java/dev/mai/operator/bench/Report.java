package dev.mai.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** report.md from report.json's tree: one column per server and N (grouped by server), each performance goal next to its figure. */
final class Report {

    private Report() {
    }

    static String markdown(JsonNode report) {
        StringBuilder md = new StringBuilder();
        JsonNode settings = report.path("settings");
        md.append("# make bench report\n\n");
        md.append(String.format(Locale.ROOT, "%s, commit %s, %s cores (nproc), Java %s, %s. OpenRouter simulator latency %d ms; "
                + "operator with %d concurrent reconciles, rate limiter raised out of the way; sweep every %d s; steady-state window %d s.%n%n",
                report.path("date").asText(), report.path("commit").asText(), report.path("machine").path("cores").asText(),
                report.path("machine").path("java").asText(), report.path("machine").path("os").asText(),
                settings.path("latencyMillis").asLong(), settings.path("reconcileThreads").asInt(), settings.path("sweep").asLong(),
                settings.path("steady").asLong()));
        List<JsonNode> runs = new ArrayList<>();
        report.path("runs").forEach(runs::add);
        java.util.Set<String> described = new java.util.HashSet<>();
        for (JsonNode r : runs) {
            JsonNode d = r.path("serverDetails");
            if (described.add(r.path("server").asText())) {
                md.append("- **").append(r.path("server").asText()).append("** API server: ");
                List<String> parts = new ArrayList<>();
                d.fields().forEachRemaining(e -> {
                    if (!e.getKey().equals("kind")) {
                        parts.add(e.getKey() + ": " + e.getValue().asText());
                    }
                });
                md.append(String.join("; ", parts)).append('\n');
            }
        }
        md.append('\n');
        md.append("| | goal |");
        runs.forEach(r -> md.append(" ").append(r.path("server").asText()).append(", N = ").append(r.path("n").asInt()).append(" |"));
        md.append("\n|---|---|");
        runs.forEach(r -> md.append("---|"));
        md.append('\n');
        row(md, runs, "operator JVM options (the image's, then BENCH_OPERATOR_JAVA_OPTIONS)", "", r -> r.path("operatorJavaOptions").asText("—"));
        row(md, runs, "all Ready (s)", "≤ 10 (1,000), ≤ 90 (10,000)", r -> num(r.path("allReadySeconds")));
        row(md, runs, "Ready within the run's patience", "N",
                r -> r.path("readyWithinPatience").asText() + " of " + r.path("n").asText() + " (" + r.path("patienceSeconds").asText() + " s)");
        row(md, runs, "of which creating the MaiClients (s)", "", r -> num(r.path("createSeconds")));
        row(md, runs, "time to Ready per client p50 / p95 / p99 (s)", "",
                r -> num(r.path("readySeconds").path("p50")) + " / " + num(r.path("readySeconds").path("p95")) + " / "
                        + num(r.path("readySeconds").path("p99")));
        row(md, runs, "theoretical floor (s) and ratio", "",
                r -> num(r.path("floor").path("seconds")) + " (×" + num(r.path("floor").path("ratio")) + ")");
        row(md, runs, "MaiClient + Secret writes per client", "≤ 5", r -> num(r.path("maiClientAndSecretWritesPerClient")));
        row(md, runs, "OpenRouter creates per client", "exactly 1", r -> num(r.path("openRouterCreatesPerClient")));
        row(md, runs, "OpenRouter requests per client", "", r -> map(r.path("openRouterRequestsPerClientByOperation")));
        row(md, runs, "Kubernetes requests per client by verb", "", r -> map(r.path("kubernetesRequestsPerClientByVerb")));
        row(md, runs, "steady state: MaiClient + Secret writes", "0", r -> r.path("steadyState").path("maiClientAndSecretWrites").asText());
        row(md, runs, "steady state: other writes (leases, events not counted)", "0",
                r -> r.path("steadyState").path("otherWritesExceptLeaseAndEvents").asText());
        row(md, runs, "steady state: sweeps in the window (from one sweep's end to another's)", "",
                r -> num(r.path("steadyState").path("sweeps")) + " in " + num(r.path("steadyState").path("seconds")) + " s");
        row(md, runs, "OpenRouter list requests (GET /keys pages) per sweep (allowed ⌊M/100⌋+1)", "≤ allowed",
                r -> num(r.path("steadyState").path("listRequestsPerSweep")) + " (" + r.path("steadyState").path("listRequestsAllowedPerSweep").asText() + ")");
        row(md, runs, "OpenRouter requests per sweep", "", r -> num(r.path("steadyState").path("openRouterRequestsPerSweep")));
        row(md, runs, "MaiClients created during a sweep: Ready p50 / p99 (s)", "p99 ≤ 1",
                r -> num(r.path("lateClientsReadySeconds").path("p50")) + " / " + num(r.path("lateClientsReadySeconds").path("p99")));
        row(md, runs, "the operator's reconciles meanwhile (count, mean duration s)", "",
                r -> num(r.path("lateClientsReadySeconds").path("reconciles")) + ", " + num(r.path("lateClientsReadySeconds").path("meanReconcileSeconds")));
        row(md, runs, "operator heap after full GC (MiB)", "≤ 200 (10,000)", r -> num(r.path("memory").path("heapAfterGcMiB")));
        row(md, runs, "operator RSS (MiB)", "", r -> num(r.path("memory").path("rssMiB")));
        row(md, runs, "heap after GC with unrelated Secrets (MiB, growth)", "growth < 10%",
                r -> num(r.path("memory").path("heapAfterGcWithUnrelatedSecretsMiB")) + " (" + num(r.path("memory").path("heapGrowthPercent")) + "%)");
        row(md, runs, "CPU s while provisioning", "", r -> map(r.path("cpuSecondsProvisioning")));
        row(md, runs, "operator CPU per client while provisioning (ms)", "", r -> num(r.path("operatorCpuMillisPerClient")));
        row(md, runs, "the same without the JIT compiler's threads (ms)", "", r -> num(r.path("operatorCpuMillisPerClientWithoutJit")));
        row(md, runs, "CPU s in the steady-state window", "", r -> map(r.path("steadyState").path("cpuSeconds")));
        row(md, runs, "CPU s from provisioning to the memory figures", "", r -> map(r.path("cpuSecondsTotal")));
        row(md, runs, "restart: /q/metrics answers / first client / all clients reconciled (s)", "",
                r -> num(r.path("restart").path("metricsAnsweredSeconds")) + " / " + num(r.path("restart").path("firstReconciledSeconds")) + " / " + num(r.path("restart").path("allReconciledSeconds"))
                        + " (" + r.path("restart").path("clients").asText() + ")");
        row(md, runs, "restart: Kubernetes writes until reconciled", "none but the Lease",
                r -> counts(r.path("restart").path("kubernetesWritesUntilReconciled")));
        row(md, runs, "restart: Kubernetes writes in the window after", "none but the Lease",
                r -> counts(r.path("restart").path("kubernetesWritesInWindow")) + " (" + r.path("restart").path("windowSeconds").asText() + " s)");
        row(md, runs, "restart: OpenRouter writes until reconciled / in the window", "0 / 0",
                r -> r.path("restart").path("openRouterWritesUntilReconciled").asText() + " / "
                        + r.path("restart").path("openRouterWritesInWindow").asText());
        row(md, runs, "restart: CPU s until the window's end", "", r -> map(r.path("restart").path("cpuSeconds")));
        row(md, runs, "requests of the operator the server refused", "", r -> counts(r.path("operatorRefusals")));
        row(md, runs, "old script's way, sequential (s, extrapolated)", "", r -> num(r.path("baselineSecondsExtrapolated")));
        row(md, runs, "speed-up over the old script", "", r -> "×" + num(r.path("speedUpOverBaseline")));
        row(md, runs, "keys in the operator's log / live keys", "0 / N + late",
                r -> r.path("keysInOperatorLog").asText() + " / " + r.path("liveKeys").asText());
        JsonNode baseline = report.path("baseline");
        md.append(String.format(Locale.ROOT, "%nBaseline: the old script's steps (check the management key, create the key, one test "
                + "completion, write .env) one client at a time against the same simulator: %d clients in %s s, %s s per client, "
                + "extrapolated linearly to each N.%n", baseline.path("clients").asInt(), num(baseline.path("seconds")),
                num(baseline.path("secondsPerClient"))));
        md.append("\nThe operator is its own process, so its CPU and memory are its own; CPU is user plus system time from "
                + "/proc/<pid>/stat. The bench JVM holds the OpenRouter simulator and the load driver, and on the embedded server the API "
                + "server (fabric8's CRUD mock) too. On the real server the operator's requests are counted from kube-apiserver's audit "
                + "log (its ServiceAccount's requests at Metadata level), on the embedded one by the mock. A restart's clients count as "
                + "reconciled once their mai_client_ready series is 1 at the new process's /q/metrics (each reconcile sets it), timed "
                + "from the process's start. Per-kind request counts are in report.json. The operator's CPU is also split by "
                + "thread: its JIT compiler threads and GC threads (by their names in /proc/<pid>/task), the rest being the operator's "
                + "code and the JVM's other threads. Next to this report, each run's directory (<server>-n<N>/) keeps the operator's "
                + "flight recording of provisioning (operator.jfr, with BENCH_PROFILE=true), its heap histograms after full GC "
                + "(heap-histogram*.txt), its logs and the audit log.\n");
        return md.toString();
    }

    private static void row(StringBuilder md, List<JsonNode> runs, String what, String goal, Function<JsonNode, String> value) {
        md.append("| ").append(what).append(" | ").append(goal).append(" |");
        runs.forEach(r -> md.append(' ').append(value.apply(r)).append(" |"));
        md.append('\n');
    }

    private static String num(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return "—";
        }
        double v = n.asDouble();
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private static String counts(JsonNode m) {
        if (m.isMissingNode() || m.isNull()) {
            return "—";
        }
        List<String> parts = new ArrayList<>();
        m.fields().forEachRemaining(e -> parts.add(e.getKey() + " " + e.getValue().asText()));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    private static String map(JsonNode m) {
        List<String> parts = new ArrayList<>();
        m.fields().forEachRemaining(e -> parts.add(e.getKey() + " " + num(e.getValue())));
        return String.join(", ", parts);
    }
}
