package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.config.MaiConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code MAI_*} variable the operator reads is in the README's configuration table, and the
 * table names no variable the operator does not read. "Reads" is (a) what {@link MaiConfig} maps,
 * by reflection, and (b) every {@code MAI_*} token in {@code src/main} and {@code deploy/}.
 */
class ConfigTableTest {

    private static final Path README = Path.of("README.md");
    private static final List<Path> SOURCES = List.of(Path.of("src/main"), Path.of("deploy"));
    private static final Pattern VARIABLE = Pattern.compile("(?<![A-Za-z0-9_])MAI_[A-Z0-9_]*[A-Z0-9]");
    private static final Pattern HEADING = Pattern.compile("^(#+)\\s+(.*)$");

    @Test
    void everyVariableIsInTheTableAndTheTableNamesNoOther() throws IOException {
        Set<String> mapped = mappedByMaiConfig();
        TreeMap<String, Set<String>> mentioned = mentionedInSources();
        Set<String> table = inConfigurationTable();

        assertThat(mapped).as("variables MaiConfig maps").isNotEmpty();
        assertThat(table).as("MAI_ variables in the README's configuration table").isNotEmpty();

        List<String> problems = new ArrayList<>();
        Set<String> missingMapped = new TreeSet<>(mapped);
        missingMapped.removeAll(table);
        missingMapped.forEach(v -> problems.add(v + " is mapped by MaiConfig but missing from the README's configuration table"));
        mentioned.forEach((v, files) -> {
            if (!table.contains(v)) {
                problems.add(v + " appears in " + files + " but is missing from the README's configuration table");
            }
        });
        Set<String> unknown = new TreeSet<>(table);
        unknown.removeAll(mapped);
        unknown.removeAll(mentioned.keySet());
        unknown.forEach(v -> problems.add(v + " is in the README's configuration table but the code does not read it "
                + "(not mapped by MaiConfig, not named in src/main or deploy/)"));

        assertThat(problems).as("README configuration table vs. code:\n  " + String.join("\n  ", problems)).isEmpty();
    }

    @Test
    void theTableParserFindsBothVariablesOfACombinedRow() {
        assertThat(variables("`MAI_PROVISIONING_KEY` / `MAI_PROVISIONING_KEY_FILE`"))
                .containsExactlyInAnyOrder("MAI_PROVISIONING_KEY", "MAI_PROVISIONING_KEY_FILE");
        assertThat(variables("`QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES`")).isEmpty();
    }

    /** (a) {@code MAI_} + each mapped name, as SmallRye Config maps a property to an environment variable. */
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
        return variables;
    }

    private static String kebab(String methodName) {
        return methodName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** (b) every MAI_ token in src/main (Java and resources) and deploy/, with the files naming it. */
    private static TreeMap<String, Set<String>> mentionedInSources() throws IOException {
        TreeMap<String, Set<String>> found = new TreeMap<>();
        for (Path root : SOURCES) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path file : files) {
                String text;
                try {
                    text = Files.readString(file);
                } catch (java.nio.charset.MalformedInputException binary) {
                    continue;
                }
                Matcher m = VARIABLE.matcher(text);
                while (m.find()) {
                    found.computeIfAbsent(m.group(), v -> new TreeSet<>()).add(file.toString());
                }
            }
        }
        return found;
    }

    /**
     * (c) the MAI_ variables in the first cell of every table row under the first heading containing
     * "Configuration", up to the next heading of the same or a higher level (header rows skipped).
     */
    private static Set<String> inConfigurationTable() throws IOException {
        List<String> lines = Files.readAllLines(README);
        int start = -1;
        int level = 0;
        for (int i = 0; i < lines.size() && start < 0; i++) {
            Matcher h = HEADING.matcher(lines.get(i));
            if (h.matches() && h.group(2).contains("Configuration")) {
                start = i + 1;
                level = h.group(1).length();
            }
        }
        assertThat(start).as("a heading containing \"Configuration\" in README.md").isPositive();
        Set<String> variables = new TreeSet<>();
        boolean inTable = false;
        boolean inFence = false;
        for (int i = start; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("```")) {
                inFence = !inFence;
            }
            Matcher h = HEADING.matcher(lines.get(i));
            if (!inFence && h.matches() && h.group(1).length() <= level) {
                break;
            }
            if (inFence || !line.startsWith("|")) {
                inTable = false;
                continue;
            }
            boolean header = !inTable;
            inTable = true;
            if (header || line.matches("\\|[\\s:|-]+\\|?")) {
                continue;
            }
            variables.addAll(variables(firstCell(line)));
        }
        return variables;
    }

    private static String firstCell(String row) {
        String rest = row.substring(1);
        int end = rest.indexOf('|');
        return end < 0 ? rest : rest.substring(0, end);
    }

    private static Set<String> variables(String cell) {
        Set<String> variables = new TreeSet<>();
        Matcher m = VARIABLE.matcher(cell);
        while (m.find()) {
            variables.add(m.group());
        }
        return variables;
    }
}
