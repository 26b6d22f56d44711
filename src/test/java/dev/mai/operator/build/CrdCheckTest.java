package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRD drift check of {@code make verify} ({@code build/check-crds.sh}), shown failing: two copies
 * of the committed {@code crds/} stand for "committed" and "generated", and a deliberate change to
 * one of them must make the script fail and show what changed.
 */
class CrdCheckTest {

    private static final Path SCRIPT = Path.of("build/check-crds.sh");
    private static final Path CRDS = Path.of("crds");
    private static final String CRD = "maiclients.mai.dev-v1.yml";
    private static final String MESSAGE = "crds/ differs from what the build generates: run 'make crds' and commit";

    @TempDir
    Path temp;
    private Path committed;
    private Path generated;

    private record Run(int exit, String output) {
    }

    @BeforeEach
    void copies() throws IOException {
        committed = Files.createDirectory(temp.resolve("committed"));
        generated = Files.createDirectory(temp.resolve("generated"));
        try (Stream<Path> files = Files.list(CRDS)) {
            List<Path> crds = files.filter(Files::isRegularFile).toList();
            assertThat(crds).as("committed CRD files").isNotEmpty();
            for (Path crd : crds) {
                Files.copy(crd, committed.resolve(crd.getFileName()));
                Files.copy(crd, generated.resolve(crd.getFileName()));
            }
        }
    }

    @Test
    void identicalDirectoriesPass() throws Exception {
        Run run = check(committed, generated);

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).doesNotContain(MESSAGE).contains("matches");
    }

    @Test
    void aChangedLineFailsAndIsShown() throws Exception {
        Path file = generated.resolve(CRD);
        String original = Files.readString(file);
        assertThat(original).contains("maxLength: 200");
        Files.writeString(file, original.replaceFirst("maxLength: 200", "maxLength: 201"));

        Run run = check(committed, generated);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.output())
                .contains("--- " + committed.resolve(CRD))
                .contains("+++ " + generated.resolve(CRD))
                .containsPattern("(?m)^-\\s+maxLength: 200$")
                .containsPattern("(?m)^\\+\\s+maxLength: 201$")
                .contains(MESSAGE);
    }

    @Test
    void aChangedDescriptionWordFails() throws Exception {
        Path file = committed.resolve(CRD);
        String original = Files.readString(file);
        assertThat(original).contains("Client company name");
        Files.writeString(file, original.replaceFirst("Client company name", "Client company title"));

        Run run = check(committed, generated);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.output()).contains("--- " + committed.resolve(CRD))
                .containsPattern("(?m)^-.*Client company title")
                .containsPattern("(?m)^\\+.*Client company name")
                .contains(MESSAGE);
    }

    @Test
    void aFileOnlyInTheGeneratedDirectoryFails() throws Exception {
        Files.writeString(generated.resolve("extra.mai.dev-v1.yml"), "kind: CustomResourceDefinition\n");

        Run run = check(committed, generated);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.output()).contains("only in " + generated + ": extra.mai.dev-v1.yml").contains(MESSAGE);
    }

    @Test
    void aFileOnlyInTheCommittedDirectoryFails() throws Exception {
        Files.delete(generated.resolve(CRD));

        Run run = check(committed, generated);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.output()).contains("only in " + committed + ": " + CRD).contains(MESSAGE);
    }

    @Test
    void aMissingDirectoryIsAnErrorNotAPass() throws Exception {
        Run run = check(committed, temp.resolve("absent"));

        assertThat(run.exit()).as(run.output()).isEqualTo(2);
    }

    private static Run check(Path committedDir, Path generatedDir) throws Exception {
        Process process = new ProcessBuilder("bash", SCRIPT.toString(), committedDir.toString(), generatedDir.toString())
                .redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output;
        try (var in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("check-crds.sh finished").isTrue();
        return new Run(process.exitValue(), output);
    }
}
