package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.build.MarkdownLinks;
import dev.mai.operator.testing.Promtool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The alert rules of deploy/monitoring/prometheus-rule.yaml, as Prometheus would load them: the
 * PrometheusRule's spec, extracted into a plain rules file, passes {@code promtool check rules} and the
 * unit tests of deploy/monitoring/tests/prometheus-rule-tests.yaml, where every alert has a case that
 * fires and one that does not; every alert has a severity, a summary, a description and a runbook_url to
 * its runbook's heading in docs/operate.md.
 */
class PrometheusRulesTest {

    static final Path RULE = Path.of("deploy/monitoring/prometheus-rule.yaml");
    static final Path UNIT_TESTS = Path.of("deploy/monitoring/tests/prometheus-rule-tests.yaml");
    /** The name the unit-test file's rule_files gives the extracted rules. */
    static final String RULES_FILE = "mai-operator.rules.yaml";
    static final Path RUNBOOKS = Path.of("docs/operate.md");
    static final Path CHART = Path.of("deploy/helm/mai-operator/Chart.yaml");
    static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    @TempDir
    static Path work;

    @BeforeAll
    static void extractTheRules() throws IOException {
        Object spec = yaml(RULE).get("spec");
        Files.writeString(work.resolve(RULES_FILE), new Dump(DumpSettings.builder().build()).dumpToString(spec));
        Files.copy(UNIT_TESTS, work.resolve(UNIT_TESTS.getFileName()));
    }

    @Test
    void theRulesPassPromtoolCheck() {
        String out = Promtool.find().run(work, "check", "rules", RULES_FILE).ok();

        assertThat(out).contains("SUCCESS: " + alerts().size() + " rules found");
    }

    @Test
    void theAlertUnitTestsPassInPromtool() {
        String out = Promtool.find().run(work, "test", "rules", UNIT_TESTS.getFileName().toString()).ok();

        assertThat(out).contains("SUCCESS");
    }

    @Test
    void everyAlertHasACaseThatFiresAndOneThatDoesNotAndNoCaseNamesAnUnknownAlert() throws IOException {
        Map<String, Set<String>> cases = new LinkedHashMap<>();
        for (Map<String, Object> group : list(yaml(UNIT_TESTS).get("tests"))) {
            for (Map<String, Object> check : list(group.get("alert_rule_test"))) {
                boolean fires = !list(check.get("exp_alerts")).isEmpty();
                cases.computeIfAbsent(String.valueOf(check.get("alertname")), k -> new TreeSet<>()).add(fires ? "fires" : "quiet");
            }
        }

        assertThat(cases.keySet()).as("alerts the unit tests name").containsExactlyInAnyOrderElementsOf(alerts().keySet());
        assertThat(cases).as("each alert's cases").allSatisfy((alert, kinds) -> assertThat(kinds).as(alert)
                .containsExactly("fires", "quiet"));
    }

    @Test
    void everyAlertHasASeveritySummaryDescriptionAndARunbookAnchorInTheOperateGuide() throws IOException {
        String home = String.valueOf(yaml(CHART).get("home"));
        Set<String> anchors = Set.copyOf(MarkdownLinks.headingSlugs(Files.readString(RUNBOOKS)));
        List<String> problems = new ArrayList<>();
        alerts().forEach((alert, rule) -> {
            Map<String, Object> labels = map(rule.get("labels"));
            Map<String, Object> annotations = map(rule.get("annotations"));
            if (!SEVERITIES.contains(String.valueOf(labels.get("severity")))) {
                problems.add(alert + ": severity " + labels.get("severity") + " is none of " + SEVERITIES);
            }
            for (String wanted : List.of("summary", "description")) {
                if (String.valueOf(annotations.getOrDefault(wanted, "")).isBlank()) {
                    problems.add(alert + ": no " + wanted);
                }
            }
            String runbook = home + "/blob/main/" + RUNBOOKS + "#runbook-" + alert.toLowerCase(Locale.ROOT);
            if (!runbook.equals(annotations.get("runbook_url"))) {
                problems.add(alert + ": runbook_url " + annotations.get("runbook_url") + " is not " + runbook);
            }
            if (!anchors.contains("runbook-" + alert.toLowerCase(Locale.ROOT))) {
                problems.add(alert + ": " + RUNBOOKS + " has no heading \"Runbook: " + alert + "\"");
            }
        });

        assertThat(problems).isEmpty();
    }

    @Test
    void perClientAlertsNameTheClientAndKeepItsLabels() {
        Map<String, Map<String, Object>> perClient = alerts().entrySet().stream()
                .filter(e -> String.valueOf(e.getValue().get("expr")).contains("mai_client_"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));

        assertThat(perClient).hasSizeGreaterThanOrEqualTo(6).allSatisfy((alert, rule) -> {
            assertThat(String.valueOf(rule.get("expr"))).as(alert).contains("by (namespace, name");
            assertThat(String.valueOf(map(rule.get("annotations")).get("summary"))).as(alert)
                    .contains("{{ $labels.namespace }}/{{ $labels.name }}");
        });
    }

    /** The alerting rules of the PrometheusRule, by alert name (a duplicate name fails). */
    static Map<String, Map<String, Object>> alerts() {
        try {
            Map<String, Map<String, Object>> alerts = new LinkedHashMap<>();
            Set<String> groups = new LinkedHashSet<>();
            for (Map<String, Object> group : list(map(yaml(RULE).get("spec")).get("groups"))) {
                assertThat(groups.add(String.valueOf(group.get("name")))).as("group names are unique").isTrue();
                for (Map<String, Object> rule : list(group.get("rules"))) {
                    if (rule.containsKey("alert")) {
                        assertThat(alerts.put(String.valueOf(rule.get("alert")), rule)).as("alert " + rule.get("alert")).isNull();
                    }
                }
            }
            return alerts;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Map<String, Object> yaml(Path file) throws IOException {
        return map(new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file)));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object value) {
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }
}
