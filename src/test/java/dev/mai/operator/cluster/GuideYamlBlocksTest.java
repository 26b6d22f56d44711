package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How {@link CrdValidationTest} finds the MaiClients the guides show: every yaml block, whatever its
 * fence or the case of its info string, indented in a list or not; a MaiClient anywhere else (a sh
 * block's heredoc) is counted, so that the test can refuse it instead of leaving it unchecked.
 */
class GuideYamlBlocksTest {

    private static final String GUIDE = """
            # Guide

            ```yaml
            kind: MaiClient
            ```
            - in a list:
              ~~~YML title="x"
              kind: MaiClient
              ~~~
            ````yaml
            ```
            kind: MaiClient
            ````
            ```sh
            kubectl apply -f - <<EOF
            kind: MaiClient
            EOF
            ```
            """;

    @Test
    void everyYamlBlockIsReadWhateverItsFenceAndIndent() {
        assertThat(CrdValidationTest.yamlBlocks(GUIDE)).containsExactly("kind: MaiClient\n", "  kind: MaiClient\n",
                "```\nkind: MaiClient\n");
    }

    @Test
    void aMaiClientOutsideYamlBlocksIsCounted() {
        long inBlocks = CrdValidationTest.yamlBlocks(GUIDE).stream().mapToLong(CrdValidationTest::kindLines).sum();

        assertThat(CrdValidationTest.kindLines(GUIDE)).isEqualTo(4);
        assertThat(inBlocks).isEqualTo(3);
    }
}
