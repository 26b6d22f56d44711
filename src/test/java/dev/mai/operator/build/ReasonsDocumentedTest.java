package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.reconciler.Conditions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The operate guide (docs/operate.md) explains every condition reason and type the operator sets, and no
 * other: each constant of {@link Conditions.Reason} (by reflection, as {@link CrdExplainTest} finds them)
 * is a backquoted reason in the first column of the "Troubleshooting" table or in a reason column of the
 * "Conditions and reasons" table; each condition type of {@link Conditions} is in the first column of the
 * latter. The other way round, every backquoted name in the Troubleshooting table's first column is a
 * reason, every one in the conditions table's first column a type, and every backquoted CamelCase word in
 * the conditions table's other columns a reason or a type: a reason renamed or removed in the code leaves
 * no stale row behind.
 */
class ReasonsDocumentedTest {

    private static final Path OPERATE = Path.of("docs/operate.md");
    private static final String TROUBLESHOOTING = "Troubleshooting";
    private static final String CONDITIONS = "Conditions and reasons";
    /** What the conditions table's reason columns name in backquotes as a reason or a type, not a field or a value. */
    private static final Pattern CAMEL_CASE_WORD = Pattern.compile("[A-Z][a-z]+(?:[A-Z][a-z]*)*");

    @Test
    void everyReasonAndTypeOfTheCodeIsInTheOperateGuidesTablesAndTheyNameNoOther() {
        Set<String> types = CrdExplainTest.constants(Conditions.class);
        Set<String> reasons = CrdExplainTest.constants(Conditions.Reason.class);
        assertThat(types).as("condition types").contains(Conditions.READY, Conditions.STALLED).hasSize(12);
        // the metrics export exactly these types (ClientMetrics): a type added without TYPES would have no series
        assertThat(Conditions.TYPES).as("Conditions.TYPES").containsExactlyInAnyOrderElementsOf(types);
        assertThat(reasons).as("reasons").contains(Conditions.Reason.INVALID_SPEC, Conditions.Reason.NO_LIMIT)
                .hasSizeGreaterThan(30);

        List<String> problems = problems(Markdown.read(OPERATE), types, reasons);
        assertThat(problems).as("docs/operate.md vs. Conditions:\n  " + String.join("\n  ", problems)).isEmpty();
    }

    // --- the checker on a synthetic guide: each way of getting it wrong fails with its own message -------

    private static final Set<String> TYPES = Set.of("Ready", "KeyValid");
    private static final Set<String> REASONS = Set.of("Provisioned", "Valid", "KeyRevoked", "RateLimited");

    private static String guide(String troubleshootingRows, String conditionRows) {
        return "# Operate\n\n## " + TROUBLESHOOTING + "\n\n| reason | what to do |\n|---|---|\n" + troubleshootingRows
                + "\n## " + CONDITIONS + "\n\n| condition | True when | reasons when not True |\n|---|---|---|\n" + conditionRows
                + "\n### kstatus\n\n| reason | meaning |\n|---|---|\n| `Stale` | a table of a subsection is not read |\n";
    }

    private static final String ROWS = """
            | `Ready` | all parts True (reason `Provisioned`) | the first failing part's reason |
            | `KeyValid` | the key works (reason `Valid`); see `spec.disableKey` and `"true"` | `KeyRevoked`, `Ready`'s |
            """;

    @Test
    void theSyntheticGuideWithEveryReasonAndTypePasses() {
        assertThat(problems(Markdown.of("operate.md", guide("| `RateLimited` | wait |\n", ROWS)), TYPES, REASONS)).isEmpty();
    }

    @Test
    void aReasonInNeitherTableIsMissingAndOneInProseDoesNotCount() {
        String text = guide("| `KeyRevoked` | a new key |\n", ROWS) + "\nIn prose: `RateLimited`.\n";

        assertThat(problems(Markdown.of("operate.md", text), TYPES, REASONS)).containsExactly(
                "reason RateLimited (Conditions.Reason) is in neither the \"Troubleshooting\" table's first column nor the "
                        + "\"Conditions and reasons\" table of operate.md");
    }

    @Test
    void aTroubleshootingRowForAReasonTheCodeNoLongerHasIsStale() {
        String text = guide("| `RateLimited` | wait |\n| `OpenRouterSlow` | renamed since |\n", ROWS);

        assertThat(problems(Markdown.of("operate.md", text), TYPES, REASONS)).containsExactly(
                "operate.md:8: `OpenRouterSlow` in the \"Troubleshooting\" table's first column is no reason of Conditions.Reason");
    }

    @Test
    void aReasonTheConditionsTableNamesButTheCodeDoesNotHaveIsStale() {
        String rows = ROWS.replace("`KeyRevoked`, ", "`KeyRevoked`, `KeyGone`, ");

        assertThat(problems(Markdown.of("operate.md", guide("| `RateLimited` | wait |\n", rows)), TYPES, REASONS)).containsExactly(
                "operate.md:14: `KeyGone` in the \"Conditions and reasons\" table is neither a reason nor a condition type of Conditions");
    }

    @Test
    void aConditionTypeMissingFromTheConditionsTableOrOneTheCodeDoesNotHaveIsReported() {
        String rows = ROWS.replace("| `KeyValid` |", "| `KeyWorks` |");

        assertThat(problems(Markdown.of("operate.md", guide("| `RateLimited` | wait |\n", rows)), TYPES, REASONS)).containsExactly(
                "operate.md:14: `KeyWorks` in the \"Conditions and reasons\" table's first column is no condition type of Conditions",
                "condition type KeyValid (Conditions) has no row in the \"Conditions and reasons\" table of operate.md");
    }

    @Test
    void aTableInAnHtmlCommentIsNotTheSectionsTable() {
        String hidden = "<!--\n| reason | what to do |\n|---|---|\n| `RateLimited` | hidden |\n-->\n\n";
        String text = guide("| `KeyRevoked` | a new key |\n", ROWS).replace("## " + TROUBLESHOOTING + "\n\n", "## " + TROUBLESHOOTING + "\n\n" + hidden);

        assertThat(problems(Markdown.of("operate.md", text), TYPES, REASONS)).containsExactly(
                "reason RateLimited (Conditions.Reason) is in neither the \"Troubleshooting\" table's first column nor the "
                        + "\"Conditions and reasons\" table of operate.md");
    }

    @Test
    void aReasonInACellBeyondTheHeadersColumnsIsNotShownSoNotDocumented() {
        String rows = ROWS.replace("| `KeyRevoked`, `Ready`'s |", "| `Ready`'s | `KeyRevoked` |");

        assertThat(problems(Markdown.of("operate.md", guide("| `RateLimited` | wait |\n", rows)), TYPES, REASONS)).containsExactly(
                "reason KeyRevoked (Conditions.Reason) is in neither the \"Troubleshooting\" table's first column nor the "
                        + "\"Conditions and reasons\" table of operate.md");
    }

    @Test
    void aGuideWithoutTheSectionsFailsSayingWhich() {
        assertThat(problems(Markdown.of("operate.md", "# Operate\n\n## Conditions\n"), TYPES, REASONS))
                .containsExactly("operate.md has no heading \"Troubleshooting\"", "operate.md has no heading \"Conditions and reasons\"");
    }

    // --- the check ------------------------------------------------------------------------------------

    /** What the guide gets wrong about {@code types} and {@code reasons}; empty when nothing. */
    static List<String> problems(Markdown guide, Set<String> types, Set<String> reasons) {
        List<String> problems = new ArrayList<>();
        List<Markdown.Row> troubleshooting = firstTable(guide, TROUBLESHOOTING, problems);
        List<Markdown.Row> conditions = firstTable(guide, CONDITIONS, problems);
        if (troubleshooting == null || conditions == null) {
            return problems;
        }
        Set<String> documented = new HashSet<>();
        for (Markdown.Row row : troubleshooting) {
            for (String name : Markdown.codeSpans(row.cell(0))) {
                if (reasons.contains(name)) {
                    documented.add(name);
                } else {
                    problems.add(row.where() + ": `" + name + "` in the \"" + TROUBLESHOOTING
                            + "\" table's first column is no reason of Conditions.Reason");
                }
            }
        }
        List<String> rowTypes = new ArrayList<>();
        for (Markdown.Row row : conditions) {
            for (String name : Markdown.codeSpans(row.cell(0))) {
                if (types.contains(name)) {
                    rowTypes.add(name);
                } else {
                    problems.add(row.where() + ": `" + name + "` in the \"" + CONDITIONS
                            + "\" table's first column is no condition type of Conditions");
                }
            }
            for (String cell : row.cells().subList(Math.min(1, row.cells().size()), row.cells().size())) {
                for (String name : Markdown.codeSpans(cell)) {
                    if (reasons.contains(name)) {
                        documented.add(name);
                    } else if (!types.contains(name) && CAMEL_CASE_WORD.matcher(name).matches()) {
                        problems.add(row.where() + ": `" + name + "` in the \"" + CONDITIONS
                                + "\" table is neither a reason nor a condition type of Conditions");
                    }
                }
            }
        }
        types.stream().sorted().filter(t -> !rowTypes.contains(t)).forEach(t -> problems.add(
                "condition type " + t + " (Conditions) has no row in the \"" + CONDITIONS + "\" table of " + guide.name()));
        reasons.stream().sorted().filter(r -> !documented.contains(r)).forEach(r -> problems.add("reason " + r
                + " (Conditions.Reason) is in neither the \"" + TROUBLESHOOTING + "\" table's first column nor the \""
                + CONDITIONS + "\" table of " + guide.name()));
        return problems;
    }

    /** The body rows of the first table in the section's own text (before any subsection); null, with a problem, without one. */
    private static List<Markdown.Row> firstTable(Markdown guide, String title, List<String> problems) {
        try {
            List<List<Markdown.Row>> tables = guide.section(title).tables();
            if (tables.isEmpty()) {
                problems.add(guide.name() + ": the section \"" + title + "\" has no table");
                return null;
            }
            return tables.get(0);
        } catch (AssertionError missing) {
            problems.add(missing.getMessage());
            return null;
        }
    }
}
