package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.config.MaiConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code MAI_*} variable the code reads is documented exactly once: it has one table row (a
 * Markdown table line whose first cell is the variable in backquotes) across README.md and
 * {@code docs/**}{@code /*.md}, and no row names a variable nothing reads. Mentions in prose do not count.
 *
 * <p>"The code" is what ships and what a contributor runs: {@link MaiConfig}'s mappings (by
 * reflection), and every {@code MAI_*} token in {@code src/main} (the operator and the mai-env command),
 * {@code deploy/} (manifests and chart), {@code build/} and the Makefile (the build's own variables, such
 * as the simulator's port or where the tests find helm). {@code src/test} is not read: a variable only
 * tests name is a fixture of theirs (a misspelt setting a test proves refused, the synthetic tables
 * below), and those the tests take from the environment are handed to them by the Makefile, which names
 * them. The operator's settings have their rows in docs/configuration.md, the build's in
 * docs/development.md; this test holds the count, not the page.
 */
class ConfigTableTest {

    private static final List<Path> CODE = List.of(Path.of("src/main"), Path.of("deploy"), Path.of("build"), Path.of("Makefile"));
    private static final Pattern VARIABLE = Pattern.compile("(?<![A-Za-z0-9_])MAI_[A-Z0-9_]*[A-Z0-9]");
    private static final Pattern WHOLE_VARIABLE = Pattern.compile("MAI_[A-Z0-9_]*[A-Z0-9]");

    @Test
    void everyVariableTheCodeReadsHasExactlyOneTableRowAndEveryRowAVariableTheCodeReads() throws IOException {
        Map<String, Set<String>> read = readByTheCode();
        Map<String, List<String>> rows = rows(Markdown.userDocs());

        assertThat(read).as("MAI_ variables the code reads").containsKeys("MAI_PROVISIONING_KEY_FILE", "MAI_ROTATION_GRACE",
                "MAI_SIMULATOR_PORT");
        assertThat(rows).as("MAI_ variables with a table row in README.md and docs/").containsKey("MAI_OPENROUTER_URL");

        List<String> problems = problems(read, rows);
        assertThat(problems).as("MAI_ variables vs. their table rows in README.md and docs/:\n  " + String.join("\n  ", problems))
                .isEmpty();
    }

    // --- the checker on synthetic documents: each way of getting it wrong fails with its own message ----

    private static final Map<String, Set<String>> READ = Map.of(
            "MAI_ONE", Set.of("MaiConfig"), "MAI_TWO", Set.of("src/main/Two.java"));

    @Test
    void aVariableWithTwoRowsIsReportedWithBothPlaces() {
        List<Markdown> docs = List.of(
                Markdown.of("README.md", "# Mai\n\n| variable | meaning |\n|---|---|\n| `MAI_ONE` | one |\n| `MAI_TWO` | two |\n"),
                Markdown.of("docs/configuration.md", "# Configuration\n\n| variable | meaning |\n|---|---|\n| `MAI_ONE` | one again |\n"));

        assertThat(problems(READ, rows(docs))).containsExactly(
                "MAI_ONE has 2 table rows, at README.md:5 and docs/configuration.md:5: keep one");
    }

    @Test
    void aVariableMentionedOnlyInProseOrInACodeBlockIsMissing() {
        List<Markdown> docs = List.of(Markdown.of("docs/configuration.md", """
                # Configuration

                Set `MAI_TWO` to say so.

                | variable | meaning |
                |---|---|
                | `MAI_ONE` | one; see `MAI_TWO` |

                ```
                | `MAI_TWO` | not a row: inside a code block |
                ```
                """));

        assertThat(problems(READ, rows(docs))).containsExactly(
                "MAI_TWO is read by [src/main/Two.java] but has no table row in README.md or docs/");
    }

    @Test
    void aRowForAVariableNothingReadsIsUnknown() {
        List<Markdown> docs = List.of(Markdown.of("docs/configuration.md",
                "| variable | meaning |\n|---|---|\n| `MAI_ONE` | one |\n| `MAI_TWO` | two |\n| `MAI_GONE` | was removed |\n"));

        assertThat(problems(READ, rows(docs))).containsExactly("MAI_GONE has a table row at docs/configuration.md:5 but "
                + "nothing reads it (not mapped by MaiConfig, not named in src/main, deploy/, build/ or the Makefile)");
    }

    @Test
    void aRowIsAVariableInBackquotesInTheFirstCellOfATableBody() {
        List<Markdown> docs = List.of(Markdown.of("docs/x.md", """
                | `MAI_HEADER` | a header row is no row |
                |---|---|
                | `MAI_ONE` / `MAI_TWO` | a combined row counts for both |
                | `settings.MAI_THREE` | a Helm value is not the variable |
                | MAI_FOUR | not in backquotes |
                | text | `MAI_FIVE` not in the first cell |
                """), Markdown.of("docs/y.md", """
                | `MAI_SIX` | a table needs a delimiter row |
                | `MAI_SEVEN` | so these are text |
                """));

        assertThat(rows(docs)).containsOnlyKeys("MAI_ONE", "MAI_TWO");
    }

    // --- what the code reads, what the documents have rows for, and the comparison ------------------

    /** Each variable with its problems: no row, more than one, a row for nothing. */
    static List<String> problems(Map<String, Set<String>> read, Map<String, List<String>> rows) {
        List<String> problems = new ArrayList<>();
        read.keySet().stream().sorted().filter(v -> !rows.containsKey(v)).forEach(v ->
                problems.add(v + " is read by " + new TreeSet<>(read.get(v)) + " but has no table row in README.md or docs/"));
        rows.forEach((v, at) -> {
            if (at.size() > 1) {
                problems.add(v + " has " + at.size() + " table rows, at " + String.join(" and ", at) + ": keep one");
            }
            if (!read.containsKey(v)) {
                problems.add(v + " has a table row at " + String.join(" and ", at) + " but nothing reads it "
                        + "(not mapped by MaiConfig, not named in src/main, deploy/, build/ or the Makefile)");
            }
        });
        return problems;
    }

    /** Each variable with a table row, with where its rows are ({@code file:line}). */
    static Map<String, List<String>> rows(List<Markdown> docs) {
        Map<String, List<String>> rows = new TreeMap<>();
        for (Markdown doc : docs) {
            for (Markdown.Row row : doc.tableRows()) {
                Markdown.codeSpans(row.cell(0)).stream().filter(s -> WHOLE_VARIABLE.matcher(s).matches())
                        .forEach(v -> rows.computeIfAbsent(v, x -> new ArrayList<>()).add(row.where()));
            }
        }
        return rows;
    }

    /** Each variable the code reads, with what reads it: "MaiConfig" or the files naming it. */
    private static Map<String, Set<String>> readByTheCode() throws IOException {
        Map<String, Set<String>> read = new TreeMap<>();
        mappedByMaiConfig().forEach(v -> read.computeIfAbsent(v, x -> new TreeSet<>()).add("MaiConfig"));
        for (Path root : CODE) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path file : files) {
                String text;
                try {
                    text = Files.readString(file);
                } catch (MalformedInputException binary) {
                    continue;
                }
                Matcher m = VARIABLE.matcher(text);
                while (m.find()) {
                    read.computeIfAbsent(m.group(), v -> new TreeSet<>()).add(file.toString());
                }
            }
        }
        return read;
    }

    /** {@code MAI_} + each mapped name, as SmallRye Config maps a property to an environment variable. */
    private static Set<String> mappedByMaiConfig() {
        ConfigMapping mapping = MaiConfig.class.getAnnotation(ConfigMapping.class);
        assertThat(mapping).as("@ConfigMapping on MaiConfig").isNotNull();
        Set<String> variables = new TreeSet<>();
        for (Method method : MaiConfig.class.getDeclaredMethods()) {
            if (method.isDefault() || Modifier.isStatic(method.getModifiers()) || method.isSynthetic()
                    || method.getParameterCount() != 0) {
                continue;
            }
            WithName name = method.getAnnotation(WithName.class);
            String property = mapping.prefix() + "." + (name != null ? name.value() : kebab(method.getName()));
            variables.add(property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
        }
        assertThat(variables).as("variables MaiConfig maps").isNotEmpty();
        return variables;
    }

    private static String kebab(String methodName) {
        return methodName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
