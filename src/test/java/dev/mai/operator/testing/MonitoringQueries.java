package dev.mai.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The PromQL of the monitoring bundle in deploy/monitoring: the Grafana dashboard's queries and the
 * expressions of every PrometheusRule there, the metric names they read, and the dashboard's
 * queries with Grafana's variables replaced by values Prometheus accepts.
 */
public final class MonitoringQueries {

    /** The bundle, as the repository holds it. */
    public static final Path BUNDLE = Path.of("deploy/monitoring");
    /** The Grafana dashboard. */
    public static final Path DASHBOARD = BUNDLE.resolve("grafana-dashboard.json");

    /** Plausible values for the dashboard's variables: Grafana's own interval variables and the dashboard's. */
    private static final Map<String, String> VARIABLES = Map.of(
            "__rate_interval", "2m", "__interval", "1m", "__range", "1h", "namespace", "tenant-abc|tenant-obrien", "client", ".*",
            "DS_PROMETHEUS", "prometheus");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\$(\\w+)");

    private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern NUMBER = Pattern.compile("(?<![A-Za-z0-9_:])\\d[A-Za-z0-9_.]*");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2");

    private MonitoringQueries() {
    }

    /**
     * The metric names a PromQL expression reads. A tokenizer, not a parser (promtool has checked the
     * syntax already): string literals, label matchers {...}, ranges [...] and the label lists of
     * by/without/on/ignoring/group_left/group_right are dropped, then numbers and durations; of the
     * identifiers left, a name followed by "(" is a function or an aggregation and an operator keyword
     * is no name — the rest are metric names, exactly as the samples of a scrape are named (with
     * their _total, _count, _sum, _bucket or _max).
     */
    public static Set<String> metricNames(String expr) {
        String rest = STRING.matcher(expr).replaceAll(" ");
        rest = MATCHERS.matcher(rest).replaceAll(" ");
        rest = RANGE.matcher(rest).replaceAll(" ");
        rest = GROUPING.matcher(rest).replaceAll(" ");
        rest = NUMBER.matcher(rest).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(rest);
        while (identifier.find()) {
            String token = identifier.group();
            boolean function = rest.substring(identifier.end()).stripLeading().startsWith("(");
            if (!function && !KEYWORDS.contains(token.toLowerCase())) {
                names.add(token);
            }
        }
        return names;
    }

    /** {@code expr} with Grafana's variables ($name, ${name}, ${name:format}) replaced by plausible values. */
    public static String substituted(String expr) {
        Matcher variable = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (variable.find()) {
            String name = variable.group(1) != null ? variable.group(1) : variable.group(2);
            String value = VARIABLES.get(name);
            if (value == null) {
                throw new AssertionError("the dashboard uses the variable $" + name + ", which has no test value: add one to "
                        + MonitoringQueries.class.getSimpleName() + ".VARIABLES");
            }
            variable.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        variable.appendTail(out);
        return out.toString();
    }

    /** The dashboard's queries, by where they are ("panel 3 'title' A"), as written. */
    public static Map<String, String> dashboardQueries() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    queries.put("panel " + panel.path("id").asText() + " '" + panel.path("title").asText() + "' "
                            + target.path("refId").asText(), target.get("expr").asText());
                }
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                String query = variable.path("query").path("query").asText(variable.path("definition").asText());
                Matcher labelValues = Pattern.compile("^label_values\\((.*),\\s*\\w+\\)$").matcher(query.strip());
                // label_values(selector, label) is Grafana's, not PromQL: its selector is the query Prometheus runs
                queries.put("variable " + variable.path("name").asText(), labelValues.matches() ? labelValues.group(1) : query);
            }
        }
        return queries;
    }

    /** The expressions of every PrometheusRule in the bundle's YAML files, by where they are ("file: group/alert"). */
    @SuppressWarnings("unchecked")
    public static Map<String, String> ruleExpressions() throws IOException {
        Map<String, String> expressions = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(BUNDLE)) {
            files = list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        for (Path file : files) {
            for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))) {
                if (document instanceof Map<?, ?> map && "PrometheusRule".equals(map.get("kind"))
                        && map.get("spec") instanceof Map<?, ?> spec && spec.get("groups") instanceof List<?> groups) {
                    for (Map<String, Object> group : (List<Map<String, Object>>) groups) {
                        for (Map<String, Object> rule : (List<Map<String, Object>>) group.getOrDefault("rules", List.of())) {
                            String name = String.valueOf(rule.containsKey("alert") ? rule.get("alert") : rule.get("record"));
                            expressions.put(file.getFileName() + ": " + group.get("name") + "/" + name, String.valueOf(rule.get("expr")));
                        }
                    }
                }
            }
        }
        return expressions;
    }

    /** Every metric name the dashboard and the rules read, with where each is read first. */
    public static Map<String, String> metricNamesUsed() throws IOException {
        Map<String, String> all = new LinkedHashMap<>(dashboardQueries());
        all.putAll(ruleExpressions());
        Map<String, String> names = new java.util.TreeMap<>();
        all.forEach((where, expr) -> metricNames(substituted(expr)).forEach(name -> names.putIfAbsent(name, where)));
        return names;
    }

    /** The names of the samples of a Prometheus text scrape (the part of each sample line before its labels or value). */
    public static Set<String> sampleNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            Matcher name = Pattern.compile("^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]").matcher(line);
            if (name.find()) {
                names.add(name.group(1));
            }
        }
        return names;
    }

    /**
     * The given queries as a Prometheus rule file of recording rules (JSON, which YAML reads), for
     * promtool check rules; each recording rule is named after the query's key.
     */
    public static String asRecordingRules(Map<String, String> queries) throws IOException {
        List<Map<String, String>> rules = new ArrayList<>();
        // each rule named after where its query is, so that promtool's complaint names the panel
        queries.forEach((where, expr) -> rules.add(Map.of("record", "dashboard:" + where.replaceAll("[^A-Za-z0-9_]+", "_"),
                "expr", substituted(expr))));
        return new ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValueAsString(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules))));
    }
}
