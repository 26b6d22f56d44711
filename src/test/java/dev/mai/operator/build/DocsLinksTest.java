package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative link in README.md and docs/ leads somewhere on GitHub: the file or folder exists and
 * the {@code #anchor} is a heading of the target. The checker ({@link MarkdownLinks}) is proven on
 * synthetic Markdown first: each kind of broken link fails naming file, line, link and why.
 */
class DocsLinksTest {

    @TempDir
    Path repo;

    @Test
    void everyRelativeLinkInTheReadmeAndTheDocsResolves() throws IOException {
        List<Path> files = MarkdownLinks.userDocFiles();
        assertThat(files).as("README.md and docs/*.md").hasSizeGreaterThan(1);

        List<String> problems = MarkdownLinks.problems(Path.of(""), files);

        assertThat(problems).withFailMessage("broken links:%n%s", String.join("\n", problems)).isEmpty();
    }

    @Test
    void aLinkToAMissingFileFailsNamingFileLineAndLink() throws IOException {
        write("docs/guide.md", "# Guide\n\nSee [install](install.md) and [the design](design.md).\n");
        write("docs/install.md", "# Install\n");

        assertThat(problems("docs/guide.md"))
                .containsExactly("docs/guide.md:3: design.md: no such file or folder: docs/design.md");
    }

    @Test
    void anAnchorMustBeAHeadingOfTheTargetOrOfTheSameFile() throws IOException {
        write("README.md", """
                # Top

                [ok](docs/ops.md#caps-per-namespace), [ok](#top), [ok](#pausing-a-client-maidevpaused)
                [missing](docs/ops.md#caps) and [missing here](#nowhere)

                ## Pausing a client (`mai.dev/paused`)
                """);
        write("docs/ops.md", "# Ops\n\n## Caps per namespace\n");

        assertThat(problems("README.md")).containsExactly(
                "README.md:4: docs/ops.md#caps: no heading with the anchor #caps in docs/ops.md",
                "README.md:4: #nowhere: no heading with the anchor #nowhere in README.md");
    }

    @Test
    void linksInCodeFencesAndInlineCodeAreNotLinks() throws IOException {
        write("README.md", """
                # Top

                ```markdown
                [not a link](missing.md)
                ```

                ~~~~
                ```
                [still code](missing.md)
                ~~~~

                Write `[x](missing.md)` to link; after the fence, [this](gone.md) counts.
                """);

        assertThat(problems("README.md")).containsExactly("README.md:12: gone.md: no such file or folder: gone.md");
    }

    @Test
    void aDuplicateHeadingIsReachedWithMinusOneAndNoFurther() throws IOException {
        write("docs/a.md", """
                # A

                ## Setup
                text
                ## Setup

                [first](#setup), [second](#setup-1), [third](#setup-2)
                """);

        assertThat(problems("docs/a.md")).containsExactly("docs/a.md:7: #setup-2: no heading with the anchor #setup-2 in docs/a.md");
    }

    @Test
    void aLinkAboveTheRepositoryOrAnAbsolutePathFails() throws IOException {
        write("docs/a.md", """
                # A
                [up](../../outside.md) [abs](/etc/hosts) [file](file:///etc/hosts) [ftp](ftp://example.com/x)
                [fine](../README.md) [folder](../deploy) [web](https://example.com/x.md#nope) [mail](mailto:a@b.c)
                """);
        write("README.md", "# R\n");
        Files.createDirectories(repo.resolve("deploy"));

        assertThat(problems("docs/a.md")).containsExactly(
                "docs/a.md:2: ../../outside.md: leaves the repository",
                "docs/a.md:2: /etc/hosts: an absolute path; links must be relative to the linking file",
                "docs/a.md:2: file:///etc/hosts: an absolute path; links must be relative to the linking file",
                "docs/a.md:2: ftp://example.com/x: a scheme other than http(s) or mailto");
    }

    @Test
    void htmlLinksAndReferenceDefinitionsAreCheckedToo() throws IOException {
        write("README.md", """
                # R
                <a href="docs/missing.md">x</a> <a href="#r">fine</a>

                [ref]: docs/also-missing.md
                """);

        assertThat(problems("README.md")).containsExactly(
                "README.md:2: docs/missing.md: no such file or folder: docs/missing.md",
                "README.md:4: docs/also-missing.md: no such file or folder: docs/also-missing.md");
    }

    @Test
    void aHeadingInAnHtmlCommentIsNoAnchorAndAFenceInACommentHidesNothingAfterIt() throws IOException {
        write("README.md", """
                # R

                <!--
                ### Runbook: MaiGone
                ```
                [in the comment](nowhere.md)
                -->
                [runbook](#runbook-maigone) and, after the comment, [this](gone.md) <!-- [inline](x.md) --> counts
                Write `<!--` to start a comment; [still a link](also-gone.md).
                """);

        assertThat(problems("README.md")).containsExactly(
                "README.md:8: #runbook-maigone: no heading with the anchor #runbook-maigone in README.md",
                "README.md:8: gone.md: no such file or folder: gone.md",
                "README.md:9: also-gone.md: no such file or folder: also-gone.md");
    }

    @Test
    void anEscapedBacktickStartsNoCodeSpanSoTheLinkAfterItCounts() throws IOException {
        write("README.md", "# R\n\nType \\` then [see](gone.md) and `x`; ``a ` b`` [ok](#r)\n");

        assertThat(problems("README.md")).containsExactly("README.md:3: gone.md: no such file or folder: gone.md");
    }

    @Test
    void anAnchorOnAFolderFails() throws IOException {
        write("README.md", "# R\n\n[x](deploy#setup) [fine](deploy)\n");
        Files.createDirectories(repo.resolve("deploy"));

        assertThat(problems("README.md")).containsExactly(
                "README.md:3: deploy#setup: an anchor on a folder; link to the Markdown file that has the heading");
    }

    @Test
    void headingsAreSluggedAsGitHubDoes() {
        assertThat(MarkdownLinks.headingSlugs("""
                # Install, upgrade, uninstall
                ## With Kustomize (`deploy/`)
                ### Runbook: MaiOperatorDown
                ## Server-side apply: not used, decided on measurements
                ## `.env` quoting
                ## Moving [a client](x.md) to Kubernetes ##
                Setext heading_one
                ------------------
                ```
                # not a heading
                ```
                ## Install, upgrade, uninstall
                """)).containsExactly(
                "install-upgrade-uninstall",
                "with-kustomize-deploy",
                "runbook-maioperatordown",
                "server-side-apply-not-used-decided-on-measurements",
                "env-quoting",
                "moving-a-client-to-kubernetes",
                "setext-heading_one",
                "install-upgrade-uninstall-1");
    }

    private void write(String file, String text) throws IOException {
        Path path = repo.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    private List<String> problems(String file) {
        return MarkdownLinks.problems(repo, List.of(Path.of(file)));
    }
}
