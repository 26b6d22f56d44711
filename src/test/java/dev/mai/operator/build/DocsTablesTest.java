package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every table in README.md and docs/ is one on GitHub: a header row, then a delimiter row of as many
 * cells. Without them GitHub shows the rows as a paragraph of pipes, and the tests that read tables
 * (ConfigTableTest, ReasonsDocumentedTest) see no rows either.
 */
class DocsTablesTest {

    @Test
    void everyRunOfTableLinesInTheReadmeAndTheDocsIsATable() {
        List<String> problems = Markdown.userDocs().stream().flatMap(doc -> doc.notTables().stream()).toList();

        assertThat(problems).as("lines starting with | that GitHub shows as no table (a header row and a delimiter row "
                + "of as many cells are needed)").isEmpty();
    }

    @Test
    void aTableWithoutAHeaderOrWithADelimiterOfAnotherWidthIsFound() {
        Markdown doc = Markdown.of("docs/x.md", """
                # X

                |---|---|
                | `make test` | no header row |

                | a | b |
                |---|
                | 1 | 2 |

                | a | b |
                | 1 | 2 |

                | a | b |
                |:--|--:|
                | 1 | fine |

                ```
                | not | a table | in code |
                ```
                <!-- | nor | here | -->
                """);

        assertThat(doc.notTables()).containsExactly("docs/x.md:3", "docs/x.md:6", "docs/x.md:10");
    }
}
