package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.testing.DotEnvReaders;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every value DotEnv accepts reads back exactly, with python-dotenv and with sh. */
class DotEnvTest {

    @ParameterizedTest
    @ValueSource(strings = {"ABC Company Sp. z o.o.", "O'Brien & Sons", "Say \"hi\"", "#hash # not a comment", "$HOME and $X", "${unclosed", "${a:b}",
            "back\\slash", "C:\\\\Temp", "ends with \\", "quote \" and \\ both", "Zażółć gęślą jaźń", "日本語 😀",
            "it's 100%", "semi;colon | pipe && amp", "=equals=", "  spaces  ", "`date`", "x", "a\\nb"})
    void valuesReadBackExactly(String value) {
        assertThat(DotEnv.unquotable(value)).isEmpty();
        String file = DotEnv.render(List.of("header with 'quotes' and $x"), Map.of("ORGANIZATION_NAME", value));
        Path path = DotEnvReaders.write(file);
        assertThat(DotEnvReaders.pythonDotenv(path, "ORGANIZATION_NAME")).isEqualTo(value);
        assertThat(DotEnvReaders.posixShell(path, "ORGANIZATION_NAME")).isEqualTo(value);
        // and mai-env reads back what it wrote, as python-dotenv does
        assertThat(DotEnv.unquote(DotEnv.quote(value).orElseThrow())).isEqualTo(value);
        assertThat(DotEnv.unquote(DotEnv.quote(value).orElseThrow() + " # a comment")).isEqualTo(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"O'Brien $HOME", "O'Brien \"x\"", "O'Brien `id`", "O'Brien \\x", "a\\\\b $c", "ends\\ `x` \\", "line\nbreak", "cost ${X}", "${X:-default}"})
    void valuesNoQuotingCarriesAreRefused(String value) {
        assertThat(DotEnv.unquotable(value)).isPresent();
        assertThat(DotEnv.quote(value)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "O'Brien"})
    void severalVariablesStayApart(String value) {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("A", value);
        vars.put("B", "second");
        Path path = DotEnvReaders.write(DotEnv.render(List.of(), vars));
        assertThat(DotEnvReaders.pythonDotenv(path, "A")).isEqualTo(value);
        assertThat(DotEnvReaders.pythonDotenv(path, "B")).isEqualTo("second");
        assertThat(DotEnvReaders.posixShell(path, "B")).isEqualTo("second");
    }
}
