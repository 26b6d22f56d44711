package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mai.operator.build.SyntheticImage.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checks {@code make image-tarball} runs on the real image (ImageTarballIT), proven on small
 * synthetic image tarballs: one shaped like the operator's image passes, and each broken one fails with
 * a message naming what is wrong. The real image needs a 2-minute Debian build this suite does not run.
 */
class ImageTarballCheckTest {

    @TempDir
    Path dir;

    @Test
    void anImageShapedLikeTheOperatorsPasses() throws IOException {
        assertThat(problems(SyntheticImage.good())).isEmpty();
    }

    @Test
    void theEntrypointBuildImageShWritesIsWhatTheCheckAsks() throws IOException {
        String script = Files.readString(Path.of("build/image.sh"));
        Matcher entrypoint = Pattern.compile("(?s)\\nENTRYPOINT=\\(([^)]*)\\)").matcher(script);
        assertThat(entrypoint.find()).as("ENTRYPOINT=( ... ) in build/image.sh").isTrue();
        SyntheticImage image = SyntheticImage.good().config(c -> {
            ArrayNode array = c.putArray("Entrypoint");
            Arrays.stream(entrypoint.group(1).strip().split("\\s+")).forEach(array::add);
        });
        assertThat(problems(image)).isEmpty();
    }

    @Test
    void aSymlinkedRuntimeIsFollowedThroughTheLayersAndALaterWhiteoutRemovesIt() throws IOException {
        SyntheticImage image = SyntheticImage.good().layer(3, Entry.file("usr/lib/jvm/.wh.java-17-openjdk-amd64", 0644, 0, ""));
        assertThat(problems(image)).containsExactly("the entrypoint's /usr/bin/java does not resolve to an executable file in the image");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenImages")
    void aBrokenImageFailsNamingTheProblem(String problem, UnaryOperator<SyntheticImage> breakIt) throws IOException {
        assertThat(problems(breakIt.apply(SyntheticImage.good()))).singleElement().asString().contains(problem);
    }

    static Stream<Arguments> brokenImages() {
        return Stream.of(
                broken("config User is '': the container would run as root", i -> i.config(c -> c.remove("User"))),
                broken("config User is '0:0': the container would run as root", i -> i.config(c -> c.put("User", "0:0"))),
                broken("config User is '1000', expected 185:185", i -> i.config(c -> c.put("User", "1000"))),
                broken("entrypoint lacks -XX:+ExitOnOutOfMemoryError", i -> entrypoint(i, "-XX:+ExitOnOutOfMemoryError", null)),
                broken("entrypoint lacks -XX:MaxRAMPercentage=50", i -> entrypoint(i, "-XX:MaxRAMPercentage=50", "-XX:MaxRAMPercentage=80")),
                broken("sets +HeapDumpOnOutOfMemoryError: a heap dump would write every tenant's OpenRouter key",
                        i -> i.config(c -> ((ArrayNode) c.get("Env")).add("JAVA_TOOL_OPTIONS=-XX:+HeapDumpOnOutOfMemoryError"))),
                broken("does not end with -jar /deployments/quarkus-run.jar",
                        i -> entrypoint(i, "/deployments/quarkus-run.jar", "/deployments/app.jar")),
                broken("config Cmd [run] would be passed to the operator", i -> i.config(c -> c.putArray("Cmd").add("run"))),
                broken("the entrypoint's /usr/bin/java does not resolve to an executable file",
                        i -> i.remove("etc/alternatives/java")),
                broken("the Java runtime's CA keystore /usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts is missing",
                        i -> i.remove(SyntheticImage.JAVA_HOME + "/lib/security/cacerts")),
                broken("/deployments/quarkus-run.jar is not in the image", i -> i.remove("deployments/quarkus-run.jar")),
                broken("/deployments/quarkus-run.jar is owned by 185:185 with mode 644, expected root's", i -> i.remove("deployments/quarkus-run.jar")
                        .layer(2, Entry.file("deployments/quarkus-run.jar", 0644, 185, "PK"))),
                broken("/deployments/quarkus-run.jar is owned by 0:0 with mode 666, expected root's", i -> i.remove("deployments/quarkus-run.jar")
                        .layer(2, Entry.file("deployments/quarkus-run.jar", 0666, 0, "PK"))),
                broken("setuid or setgid file in layer 0: usr/bin/su (mode 4755)", i -> i.layer(0, Entry.file("usr/bin/su", 04755, 0, "x"))),
                broken("/deployments/lib/ holds no jars", i -> i.remove("deployments/lib/main/io.quarkus.quarkus-core-3.33.2.jar")),
                broken("config WorkingDir is '/', expected /deployments", i -> i.config(c -> c.put("WorkingDir", "/"))),
                broken("expected 8080/tcp", i -> i.config(c -> c.remove("ExposedPorts"))),
                broken("config platform is linux/arm64, expected linux/amd64", i -> i.index(x -> platform(x, "arm64"))
                        .configRoot("architecture", "arm64")),
                broken("index.json declares platform", i -> i.index(x -> platform(x, "arm64"))),
                broken("root/.m2/repository/x.jar (a Maven or Git file)", i -> i.layer(0, Entry.file("root/.m2/repository/x.jar", 0644, 0, "x"))),
                broken("deployments/src/Main.java (project sources or build output)",
                        i -> i.layer(2, Entry.file("deployments/src/Main.java", 0644, 185, "class"))),
                broken("var/cache/apt/archives/zlib1g.deb (a .deb package file)",
                        i -> i.layer(0, Entry.file("var/cache/apt/archives/zlib1g.deb", 0644, 0, "deb"))),
                broken("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease (apt's package lists or cache)",
                        i -> i.layer(0, Entry.file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", 0644, 0, "x"))),
                broken("usr/share/doc/libc6/changelog.gz (documentation)",
                        i -> i.layer(0, Entry.file("usr/share/doc/libc6/changelog.gz", 0644, 0, "x"))),
                broken("etc/resolv.conf (the build host's network settings)",
                        i -> i.layer(0, Entry.file("etc/resolv.conf", 0644, 0, "nameserver 10.0.0.1"))),
                broken("build leftover in layer 3: root/.git/config (a Maven or Git file)", i -> i.layer(3, Entry.file("root/.git/config", 0644, 0, "x"))
                        .layer(4, Entry.file("root/.wh..git", 0644, 0, ""))),
                broken("label org.opencontainers.image.licenses is '', expected Apache-2.0",
                        i -> i.config(c -> ((ObjectNode) c.get("Labels")).remove("org.opencontainers.image.licenses"))),
                broken("label org.opencontainers.image.version is '0.9', expected 1.2.3",
                        i -> i.config(c -> ((ObjectNode) c.get("Labels")).put("org.opencontainers.image.version", "0.9"))),
                broken("no manifest.json: docker load and crane push need", SyntheticImage::withoutDockerManifest),
                broken("does not match its digest", SyntheticImage::corruptFirstLayer));
    }

    private static Arguments broken(String problem, UnaryOperator<SyntheticImage> breakIt) {
        return Arguments.of(problem, breakIt);
    }

    private static SyntheticImage entrypoint(SyntheticImage image, String flag, String replacement) {
        return image.config(c -> {
            ArrayNode entrypoint = (ArrayNode) c.get("Entrypoint");
            for (int i = 0; i < entrypoint.size(); i++) {
                if (entrypoint.get(i).asText().equals(flag)) {
                    entrypoint.remove(i);
                    if (replacement != null) {
                        entrypoint.insert(i, replacement);
                    }
                    return;
                }
            }
        });
    }

    private static void platform(ObjectNode index, String architecture) {
        ((ObjectNode) index.get("manifests").get(0).get("platform")).put("architecture", architecture);
    }

    private List<String> problems(SyntheticImage image) throws IOException {
        return ImageTarballCheck.problems(OciImage.read(image.write(dir)), SyntheticImage.VERSION);
    }
}
