package dev.mai.operator.build;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mai.operator.build.OciImage.Kind;
import dev.mai.operator.build.OciImage.Node;
import dev.mai.operator.build.OciImage.Resolved;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

/**
 * What the operator's image must be, checked on the image tarball build/image.sh writes: linux/amd64,
 * an unprivileged user (185:185, the uid deploy/ runs the pod as), an entrypoint that runs the operator
 * with java and the JVM flags the project relies on (never a heap dump: the informer cache holds every
 * tenant's OpenRouter key), a Java runtime where the entrypoint looks for it with the CA keystore it
 * calls https://openrouter.ai with, the Quarkus fast-jar in /deployments, no build leftovers in any
 * layer, and the OCI labels. Each problem is one message naming what is wrong.
 */
final class ImageTarballCheck {

    static final String USER = "185:185";
    static final String APP = "/deployments";
    static final String JAR = APP + "/quarkus-run.jar";
    static final List<String> REQUIRED_FLAGS = List.of("-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError",
            "-Dquarkus.http.host=0.0.0.0", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
    static final String HEAP_DUMP = "+HeapDumpOnOutOfMemoryError";
    static final String CA_KEYSTORE = "/etc/ssl/certs/java/cacerts";

    /** Paths (relative, as in a layer) that only a build leaves behind, with why they are listed. */
    private static final Map<Pattern, String> LEFTOVERS = ordered(
            Pattern.compile("(^|.*/)(\\.m2|\\.mvn|\\.git)(/.*)?$|(^|.*/)(\\.gitignore|pom\\.xml|mvnw)$"), "a Maven or Git file",
            Pattern.compile("^(deployments/)?(src|target)(/.*)?$"), "project sources or build output",
            Pattern.compile(".*\\.deb$"), "a .deb package file",
            Pattern.compile("^var/lib/apt/lists/.+|^var/cache/apt/.+"), "apt's package lists or cache",
            Pattern.compile("^var/log/.+"), "a build log",
            Pattern.compile("^usr/share/(man|info)/.+"), "a man or info page",
            Pattern.compile("^root/.+"), "a file in root's home",
            Pattern.compile("^etc/(resolv\\.conf|hostname)$"), "the build host's network settings");

    private ImageTarballCheck() {
    }

    private static Map<Pattern, String> ordered(Object... patternsAndReasons) {
        Map<Pattern, String> map = new LinkedHashMap<>();
        for (int i = 0; i < patternsAndReasons.length; i += 2) {
            map.put((Pattern) patternsAndReasons[i], (String) patternsAndReasons[i + 1]);
        }
        return map;
    }

    /** Every problem of the image; empty when it is what the operator needs. */
    static List<String> problems(OciImage image, String version) {
        List<String> problems = new ArrayList<>(image.structureProblems);
        JsonNode config = image.config.path("config");
        platform(image, problems);
        user(config, problems);
        List<String> entrypoint = strings(config.path("Entrypoint"));
        entrypoint(entrypoint, config, problems);
        runtime(image, entrypoint, problems);
        application(image, config, problems);
        leftovers(image, problems);
        labels(config.path("Labels"), version, problems);
        dockerManifest(image, problems);
        return problems;
    }

    private static void platform(OciImage image, List<String> problems) {
        String platform = image.config.path("os").asText() + "/" + image.config.path("architecture").asText();
        if (!platform.equals("linux/amd64")) {
            problems.add("config platform is " + platform + ", expected linux/amd64");
        }
        JsonNode declared = image.index.path("manifests").path(0).path("platform");
        if (!declared.isMissingNode() && !(declared.path("os").asText() + "/" + declared.path("architecture").asText()).equals(platform)) {
            problems.add("index.json declares platform " + declared + ", the config says " + platform);
        }
    }

    private static void user(JsonNode config, List<String> problems) {
        String user = config.path("User").asText("");
        String uid = user.split(":", -1)[0];
        if (uid.isEmpty() || uid.equals("0") || uid.equals("root")) {
            problems.add("config User is '" + user + "': the container would run as root");
        } else if (!user.equals(USER)) {
            problems.add("config User is '" + user + "', expected " + USER + " (the uid and gid deploy/ runs the pod as)");
        }
    }

    private static void entrypoint(List<String> entrypoint, JsonNode config, List<String> problems) {
        if (entrypoint.isEmpty() || !entrypoint.get(0).startsWith("/") || !entrypoint.get(0).endsWith("/java")) {
            problems.add("entrypoint " + entrypoint + " does not start with java by absolute path");
        }
        if (entrypoint.size() < 2 || !entrypoint.subList(entrypoint.size() - 2, entrypoint.size()).equals(List.of("-jar", JAR))) {
            problems.add("entrypoint " + entrypoint + " does not end with -jar " + JAR);
        }
        for (String flag : REQUIRED_FLAGS) {
            if (!entrypoint.contains(flag)) {
                problems.add("entrypoint lacks " + flag);
            }
        }
        if (!strings(config.path("Cmd")).isEmpty()) {
            problems.add("config Cmd " + strings(config.path("Cmd")) + " would be passed to the operator as arguments");
        }
        List<String> everything = new ArrayList<>(entrypoint);
        everything.addAll(strings(config.path("Env")));
        if (everything.stream().anyMatch(s -> s.contains(HEAP_DUMP))) {
            problems.add("entrypoint or environment sets " + HEAP_DUMP
                    + ": a heap dump would write every tenant's OpenRouter key (the informer cache) to disk");
        }
    }

    private static void runtime(OciImage image, List<String> entrypoint, List<String> problems) {
        if (entrypoint.isEmpty()) {
            return;
        }
        Resolved java = image.resolve(entrypoint.get(0));
        if (java == null || java.node() == null || java.node().kind() != Kind.FILE || (java.node().mode() & 0111) == 0) {
            problems.add("the entrypoint's " + entrypoint.get(0) + " does not resolve to an executable file in the image");
        } else if (java.path().endsWith("/bin/java")) {
            String home = java.path().substring(0, java.path().length() - "/bin/java".length());
            nonEmptyFile(image, home + "/lib/security/cacerts", "the Java runtime's CA keystore", problems);
            nonEmptyFile(image, home + "/lib/server/libjvm.so", "the Java runtime's JVM", problems);
        }
        nonEmptyFile(image, CA_KEYSTORE, "the Java CA keystore (the operator calls https://openrouter.ai)", problems);
    }

    private static void application(OciImage image, JsonNode config, List<String> problems) {
        Resolved jar = image.resolve(JAR);
        if (jar == null || jar.node() == null || jar.node().kind() != Kind.FILE) {
            problems.add(JAR + " is not in the image");
        } else if (jar.node().uid() != 0 || jar.node().gid() != 0 || (jar.node().mode() & 0022) != 0) {
            problems.add(JAR + " is owned by " + jar.node().uid() + ":" + jar.node().gid() + " with mode "
                    + Integer.toOctalString(jar.node().mode() & 07777) + ", expected root's and writable by nobody else"
                    + " (the operator's user must not change its own code)");
        }
        boolean libJars = image.files.keySet().stream().anyMatch(p -> p.startsWith("deployments/lib/") && p.endsWith(".jar"));
        if (!libJars) {
            problems.add(APP + "/lib/ holds no jars: the fast-jar's dependencies are missing");
        }
        if (!APP.equals(config.path("WorkingDir").asText())) {
            problems.add("config WorkingDir is '" + config.path("WorkingDir").asText() + "', expected " + APP);
        }
        if (!config.path("ExposedPorts").has("8080/tcp")) {
            problems.add("config exposes " + config.path("ExposedPorts") + ", expected 8080/tcp (the operator's HTTP port)");
        }
    }

    private static void leftovers(OciImage image, List<String> problems) {
        for (Node n : image.layerEntries) {
            String name = n.path().substring(n.path().lastIndexOf('/') + 1);
            String why = n.kind() == Kind.OTHER ? "a device or fifo"
                    : n.kind() != Kind.DIR && n.path().startsWith("usr/share/doc/") && !name.equals("copyright") ? "documentation"
                    : LEFTOVERS.entrySet().stream().filter(l -> l.getKey().matcher(n.path()).matches()).map(Map.Entry::getValue)
                            .findFirst().orElse(null);
            // a whiteout ships no file; what it deletes from a lower layer still ships and is reported there
            if (why != null && !name.startsWith(".wh.")) {
                problems.add("build leftover in layer " + n.layer() + ": " + n.path() + " (" + why + ")");
            }
            if (n.kind() == Kind.FILE && (n.mode() & 06000) != 0) {
                problems.add("setuid or setgid file in layer " + n.layer() + ": " + n.path() + " (mode "
                        + Integer.toOctalString(n.mode() & 07777) + "): nothing in the image may raise privileges");
            }
        }
    }

    private static void labels(JsonNode labels, String version, List<String> problems) {
        Map<String, String> expected = Map.of("org.opencontainers.image.version", version,
                "org.opencontainers.image.licenses", "Apache-2.0", "org.opencontainers.image.title", "mai-operator");
        expected.forEach((label, value) -> {
            if (!value.equals(labels.path(label).asText(null))) {
                problems.add("label " + label + " is '" + labels.path(label).asText("") + "', expected " + value);
            }
        });
        if (!labels.path("org.opencontainers.image.source").asText("").startsWith("https://")) {
            problems.add("label org.opencontainers.image.source is not an https URL");
        }
    }

    private static void dockerManifest(OciImage image, List<String> problems) {
        if (image.dockerManifest == null) {
            problems.add("no manifest.json: docker load and crane push need Docker's index of the blobs");
            return;
        }
        JsonNode entry = image.dockerManifest.path(0);
        List<String> layers = StreamSupport.stream(image.manifest.path("layers").spliterator(), false)
                .map(l -> OciImage.blob(l.path("digest").asText())).toList();
        if (!entry.path("Config").asText().equals(OciImage.blob(image.manifest.path("config").path("digest").asText()))
                || !strings(entry.path("Layers")).equals(layers)) {
            problems.add("manifest.json names other blobs than the OCI manifest");
        }
    }

    private static void nonEmptyFile(OciImage image, String path, String what, List<String> problems) {
        Resolved r = image.resolve(path);
        if (r == null || r.node() == null || r.node().kind() != Kind.FILE || r.node().size() == 0) {
            problems.add(what + " " + path + " is missing or empty in the image");
        }
    }

    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
