package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image tarball build/image.sh wrote, checked by {@code make image-tarball} (failsafe execution
 * {@code image}; never part of {@code mvn verify}, which does not build it): it passes
 * {@link ImageTarballCheck}, and, where the build runs as root (it must, for debootstrap), its layers
 * unpacked into a folder run as a container would: {@code java -version} as 185:185, then the
 * entrypoint, which starts the operator and stops on the unreachable Kubernetes API it is pointed at.
 * A missing tarball fails: this test only runs after the build that writes it.
 */
class ImageTarballIT {

    private static final String VERSION = version();
    /** -Dmai.image.tarball=... to check another tarball; by default the one of this pom's version. */
    private static final Path TARBALL = Path.of(System.getProperty("mai.image.tarball",
            "target/image/mai-operator-" + VERSION + "-linux-amd64.oci.tar"));

    private static OciImage image;

    @BeforeAll
    static void read() throws IOException {
        assertThat(TARBALL).as("the image tarball (bash build/image.sh writes it)").isRegularFile();
        image = OciImage.read(TARBALL);
    }

    @Test
    void theTarballIsTheOperatorsImage() {
        assertThat(ImageTarballCheck.problems(image, VERSION)).isEmpty();
    }

    @Test
    void itsEntrypointRunsTheOperatorAsItsUser(@TempDir Path dir) throws Exception {
        assumeTrue(isRoot(), "unpacking the layers with their owners, mounting /proc and chroot need root");
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        unpackLayers(root);
        run(List.of("mount", "-t", "proc", "proc", root.resolve("proc").toString()), 30);
        try {
            String version = run(chroot(root, List.of("/usr/bin/java", "-version")), 60);
            assertThat(version).contains("openjdk version \"17.");
            assertThat(run(chroot(root, List.of("/usr/bin/id", "-u")), 30)).isEqualTo("185\n");

            // Pointed at a Kubernetes API that refuses connections (port 1), without retries: the operator
            // starts, asks for its installation ConfigMap, and stops - the entrypoint runs this operator.
            List<String> command = new ArrayList<>(List.of("/usr/bin/env", "-i"));
            image.config.path("config").path("Env").forEach(e -> command.add(e.asText()));
            command.addAll(List.of("KUBERNETES_MASTER=https://127.0.0.1:1", "KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT=0"));
            image.config.path("config").path("Entrypoint").forEach(e -> command.add(e.asText()));
            Path log = dir.resolve("operator.log");
            Process operator = new ProcessBuilder(chroot(root, command)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean stopped = operator.waitFor(120, TimeUnit.SECONDS);
            operator.destroyForcibly();
            String output = Files.readString(log);
            assertThat(stopped).as("the operator stops without a Kubernetes API: %s", output).isTrue();
            assertThat(operator.exitValue()).as(output).isNotZero();
            assertThat(output).contains("mai-operator-installation").contains("Connection refused: /127.0.0.1:1");
        } finally {
            run(List.of("umount", root.resolve("proc").toString()), 30);
        }
    }

    /** In the unpacked image, as the image's user, in its working dir (as a container runtime starts it). */
    private static List<String> chroot(Path root, List<String> command) {
        JsonNode config = image.config.path("config");
        List<String> all = new ArrayList<>(List.of("chroot", "--userspec=" + config.path("User").asText(), root.toString(),
                "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", config.path("WorkingDir").asText()));
        all.addAll(command);
        return all;
    }

    private static void unpackLayers(Path root) throws IOException, InterruptedException {
        List<String> layers = StreamSupport.stream(image.manifest.path("layers").spliterator(), false)
                .map(l -> OciImage.blob(l.path("digest").asText())).toList();
        for (String layer : layers) {
            Process tar = new ProcessBuilder("tar", "-xzf", "-", "-C", root.toString(), "--numeric-owner", "-p")
                    .redirectErrorStream(true).start();
            try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(TARBALL)));
                 OutputStream toTar = tar.getOutputStream()) {
                for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                    if (OciImage.normalize(e.getName()).equals(layer)) {
                        in.transferTo(toTar);
                        break;
                    }
                }
            }
            String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(tar.waitFor()).as("tar -x of %s: %s", layer, output).isZero();
        }
    }

    private static String run(List<String> command, int seconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(seconds, TimeUnit.SECONDS)).as("%s", command).isTrue();
        assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
        return output;
    }

    private static boolean isRoot() {
        try {
            return run(List.of("id", "-u"), 10).strip().equals("0");
        } catch (IOException | InterruptedException | AssertionError e) {
            return false;
        }
    }

    private static String version() {
        try {
            Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(Files.readString(Path.of("pom.xml")));
            assertThat(m.find()).as("pom.xml's version").isTrue();
            return m.group(1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
