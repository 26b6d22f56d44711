package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.config.MaiConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
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
 * {@code docs/**}{@code /*.md}, and no row names a variable nothing reads. Mentions in prose do not count,
 * nor rows GitHub does not show (in a code block or an HTML comment: {@link Markdown}).
 *
 * <p>"The code" is what ships and what a contributor runs: {@link MaiConfig}'s mappings (by
 * reflection); the other configuration properties {@code src/main} reads by name
 * ({@code @ConfigProperty}, {@code @LookupIfProperty}, ...), under the environment variable SmallRye
 * Config maps each to, when that is a {@code MAI_} one; every {@code MAI_*} token in {@code src/main} (the
 * operator and the mai-env command), {@code deploy/} (manifests and chart), {@code build/} and the
 * Makefile (the build's own variables, such as where the tests find helm), a token on a line that is
 * only a comment or in a Markdown file there excepted: naming a variable is not reading it; and the
 * variables {@code src/test} reads from the environment ({@code System.getenv}, the simulator's port
 * among them). Other tokens of {@code src/test} are not read: a variable only tests name is a fixture
 * of theirs (a misspelt setting a test proves refused, the synthetic tables below). A name built from
 * pieces ({@code "MAI_" + x}) in the code or in a test that reads the environment fails: no scan can see what it reads. The operator's settings have their
 * rows in docs/configuration.md, the build's in docs/development.md; this test holds the count, not the page.
 */
class ConfigTableTest {

    private static final List<Path> CODE = List.of(Path.of("src/main"), Path.of("deploy"), Path.of("build"), Path.of("Makefile"));
    private static final Pattern VARIABLE = Pattern.compile("(?<![A-Za-z0-9_])MAI_[A-Z0-9_]*[A-Z0-9]");
    private static final Pattern WHOLE_VARIABLE = Pattern.compile("MAI_[A-Z0-9_]*[A-Z0-9]");
    private static final Path TESTS = Path.of("src/test/java");
    /** A line that is only a comment, in Java, shell, YAML, properties, Makefile or a Helm template. */
    private static final Pattern COMMENT_LINE = Pattern.compile("^\\s*(#|//|/?\\*|\\{\\{-?\\s*/\\*)");
    /** A Java string literal that ends in a {@code MAI_} prefix and is concatenated: a name built from pieces. */
    private static final Pattern PIECES = Pattern.compile("\"[^\"\\n]*(?<![A-Za-z0-9_])MAI_[A-Z0-9_]*\"\\s*\\+");
    /** A configuration property read by name: the annotation's {@code name = "..."} or {@code name = Type.CONSTANT}. */
    private static final Pattern PROPERTY_READ = Pattern.compile(
            "@(?:ConfigProperty|LookupIfProperty|LookupUnlessProperty|IfBuildProperty|UnlessBuildProperty)\\(\\s*name\\s*=\\s*(\"[^\"]*\"|[\\w.]+)");
    /** A string constant of the code, {@code NAME = "value"}. */
    private static final Pattern CONSTANT = Pattern.compile("\\b([A-Z][A-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"");
    /** An environment read in a test: {@code getenv("MAI_...")}, {@code getOrDefault("MAI_...", ...)} or {@code getenv(CONSTANT)}. */
    private static final Pattern ENV_READ = Pattern.compile("(?:getenv|getOrDefault)\\(\\s*(\"[^\"]*\"|[\\w.]+)");

    @Test
    void everyVariableTheCodeReadsHasExactlyOneTableRowAndEveryRowAVariableTheCodeReads() throws IOException {
        Map<String, Set<String>> read = readByTheCode();
        Map<String, List<String>> rows = rows(Markdown.userDocs());

        assertThat(read).as("MAI_ variables the code reads").containsKeys("MAI_PROVISIONING_KEY_FILE", "MAI_ROTATION_GRACE",
                "MAI_SIMULATOR_PORT", "MAI_ENV_COMMAND");
        assertThat(read.get("MAI_SIMULATOR_PORT")).as("what reads MAI_SIMULATOR_PORT")
                .contains("src/test/java/dev/mai/operator/demo/SimulatorMain.java");
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

    @Test
    void aRowInAnHtmlCommentOrInACodeBlockOfAnyFenceIsNoRow() {
        List<Markdown> docs = List.of(Markdown.of("docs/configuration.md", """
                <!-- hidden from the reader:
                | variable | meaning |
                |---|---|
                | `MAI_ONE` | in a comment |
                -->
                ````
                ```
                | variable | meaning |
                |---|---|
                | `MAI_TWO` | in a code block whose fence holds a shorter one |
                ```
                ````
                """));

        assertThat(rows(docs)).isEmpty();
    }

    @Test
    void namingAVariableInACommentOrAMarkdownFileOfTheCodeIsNotReadingIt() {
        Map<String, Set<String>> read = new TreeMap<>();
        ConfigTableTest.readIn(Path.of("Makefile"), "## simulator: on port MAI_SIM_PORT\nrun:\n\tMAI_RUN=1 java\n", read);
        ConfigTableTest.readIn(Path.of("src/main/java/A.java"), "  // MAI_OLD was removed\n   * MAI_DOC\n  get(\"MAI_NEW\");\n", read);
        ConfigTableTest.readIn(Path.of("deploy/x.yaml"), "# MAI_YAML_COMMENT\n- name: MAI_YAML\n", read);
        ConfigTableTest.readIn(Path.of("build/fixture/README.md"), "the test sets `MAI_FIXTURE`\n", read);

        assertThat(read).containsOnlyKeys("MAI_RUN", "MAI_NEW", "MAI_YAML");
    }

    @Test
    void aPropertyReadByNameIsTheVariableSmallRyeFindsItUnder() {
        Map<Path, String> code = Map.of(
                Path.of("src/main/java/FrontEnd.java"), "static final String ENV_COMMAND_PROPERTY = \"mai-env.command\";",
                Path.of("src/main/java/Lifecycle.java"), "Lifecycle(@ConfigProperty(name = FrontEnd.ENV_COMMAND_PROPERTY) boolean x, "
                        + "@ConfigProperty(name = \"quarkus.application.version\") String v, @ConfigProperty(name = \"mai.debug-dump\") String d)");
        SmallRyeConfig env = new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(Map.of("MAI_ENV_COMMAND", "true", "MAI_DEBUG_DUMP", "on"), 300)).build();

        assertThat(ConfigTableTest.propertiesRead(code)).containsOnlyKeys("MAI_ENV_COMMAND", "MAI_DEBUG_DUMP");
        assertThat(env.getOptionalValue("mai-env.command", String.class)).as("SmallRye's own mapping").contains("true");
        assertThat(env.getOptionalValue("mai.debug-dump", String.class)).as("SmallRye's own mapping").contains("on");
    }

    @Test
    void aVariableATestReadsFromTheEnvironmentIsReadAndOneItOnlyNamesIsNot() {
        Map<Path, String> tests = Map.of(
                Path.of("src/test/java/SimulatorMain.java"), "int port = getenv().getOrDefault(\"MAI_SIM_PORT\", \"18089\");",
                Path.of("src/test/java/Helm.java"), "static final String ENV = \"MAI_HELM_BIN\"; String b = System.getenv(ENV);",
                Path.of("src/test/java/SomeTest.java"), "env.put(\"MAI_OPENROUTER_URLL\", \"x\"); // a misspelt setting, refused");

        assertThat(ConfigTableTest.environmentReadByTests(tests)).containsOnlyKeys("MAI_SIM_PORT", "MAI_HELM_BIN");
    }

    @Test
    void aNameBuiltFromPiecesIsReportedWhereItIs() {
        String java = "// \"MAI_\" + x in a comment is fine\nString port = System.getenv(\"MAI_\" + \"SIM_PORT\");\n"
                + "String b = getenv(\"MAI_HELM_\" + kind);\n";

        assertThat(ConfigTableTest.builtFromPieces(Path.of("src/main/java/A.java"), java))
                .containsExactly("src/main/java/A.java:2", "src/main/java/A.java:3");
        assertThat(ConfigTableTest.builtFromPieces(Path.of("build/x.sh"), "echo \"MAI_\" + x")).isEmpty();
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

    /** Each variable the code reads, with what reads it: "MaiConfig" or the files naming it; fails on a name built from pieces. */
    private static Map<String, Set<String>> readByTheCode() throws IOException {
        Map<String, Set<String>> read = new TreeMap<>();
        mappedByMaiConfig().forEach(v -> read.computeIfAbsent(v, x -> new TreeSet<>()).add("MaiConfig"));
        Map<Path, String> code = texts(CODE);
        List<String> pieces = new ArrayList<>();
        code.forEach((file, text) -> {
            readIn(file, text, read);
            pieces.addAll(builtFromPieces(file, text));
        });
        propertiesRead(code).forEach((v, files) -> read.computeIfAbsent(v, x -> new TreeSet<>()).addAll(files));
        Map<Path, String> tests = texts(List.of(TESTS));
        tests.entrySet().stream().filter(t -> t.getValue().contains("getenv("))
                .forEach(t -> pieces.addAll(builtFromPieces(t.getKey(), t.getValue())));
        environmentReadByTests(tests).forEach((v, files) -> read.computeIfAbsent(v, x -> new TreeSet<>()).addAll(files));
        assertThat(pieces).as("MAI_ variable names built from pieces (write each name whole, so that this test sees it)").isEmpty();
        return read;
    }

    /** The {@code MAI_*} tokens of one file of the code, lines that are only a comment left out; Markdown files are none. */
    static void readIn(Path file, String text, Map<String, Set<String>> read) {
        if (file.toString().endsWith(".md")) {
            return;
        }
        text.lines().filter(line -> !COMMENT_LINE.matcher(line).find()).forEach(line -> {
            Matcher m = VARIABLE.matcher(line);
            while (m.find()) {
                read.computeIfAbsent(m.group(), v -> new TreeSet<>()).add(file.toString());
            }
        });
    }

    /** Where a Java file builds a {@code MAI_} name from pieces, {@code file:line} each (comment lines aside). */
    static List<String> builtFromPieces(Path file, String text) {
        List<String> found = new ArrayList<>();
        if (file.toString().endsWith(".java")) {
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (!COMMENT_LINE.matcher(lines.get(i)).find() && PIECES.matcher(lines.get(i)).find()) {
                    found.add(file + ":" + (i + 1));
                }
            }
        }
        return found;
    }

    /**
     * The {@code MAI_} variables of the configuration properties the code reads by name: SmallRye Config
     * finds {@code mai-env.command} in the environment as {@code MAI_ENV_COMMAND}, as it does MaiConfig's.
     */
    static Map<String, Set<String>> propertiesRead(Map<Path, String> code) {
        Map<String, String> constants = constants(code);
        Map<String, Set<String>> read = new TreeMap<>();
        code.forEach((file, text) -> {
            Matcher m = PROPERTY_READ.matcher(text);
            while (m.find()) {
                String property = value(m.group(1), constants);
                assertThat(property).as("the property " + m.group(1) + " that " + file + " reads").isNotNull();
                String variable = property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
                if (variable.startsWith("MAI_")) {
                    read.computeIfAbsent(variable, v -> new TreeSet<>()).add(file.toString());
                }
            }
        });
        return read;
    }

    /** The {@code MAI_} variables the tests read from the environment, by literal or by a constant of theirs. */
    static Map<String, Set<String>> environmentReadByTests(Map<Path, String> tests) {
        Map<String, String> constants = constants(tests);
        Map<String, Set<String>> read = new TreeMap<>();
        tests.forEach((file, text) -> {
            Matcher m = ENV_READ.matcher(text);
            while (m.find()) {
                String variable = value(m.group(1), constants);
                if (variable != null && WHOLE_VARIABLE.matcher(variable).matches()) {
                    read.computeIfAbsent(variable, v -> new TreeSet<>()).add(file.toString());
                }
            }
        });
        return read;
    }

    /** A literal's value, or a (qualified) constant's by its last name; null when neither. */
    private static String value(String literalOrConstant, Map<String, String> constants) {
        if (literalOrConstant.startsWith("\"")) {
            return literalOrConstant.substring(1, literalOrConstant.length() - 1);
        }
        return constants.get(literalOrConstant.substring(literalOrConstant.lastIndexOf('.') + 1));
    }

    /** Every {@code NAME = "value"} of the Java files (a name given two values keeps neither). */
    private static Map<String, String> constants(Map<Path, String> files) {
        Map<String, String> constants = new TreeMap<>();
        Set<String> ambiguous = new TreeSet<>();
        files.forEach((file, text) -> {
            Matcher m = CONSTANT.matcher(file.toString().endsWith(".java") ? text : "");
            while (m.find()) {
                String before = constants.putIfAbsent(m.group(1), m.group(2));
                if (before != null && !before.equals(m.group(2))) {
                    ambiguous.add(m.group(1));
                }
            }
        });
        ambiguous.forEach(constants::remove);
        return constants;
    }

    /** The text of every file under the roots, by path; binary files left out. */
    private static Map<Path, String> texts(List<Path> roots) throws IOException {
        Map<Path, String> texts = new TreeMap<>();
        for (Path root : roots) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path file : files) {
                try {
                    texts.put(file, Files.readString(file));
                } catch (MalformedInputException binary) {
                    // not text: names no variable
                }
            }
        }
        return texts;
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
