package dev.mai.operator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged operator ({@code target/quarkus-app/quarkus-run.jar}) run as its own process, as in
 * production, configured only through its environment. Its output goes to a log file.
 */
public final class OperatorProcess implements AutoCloseable {

    public static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    private final Process process;
    private final Path log;

    private OperatorProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * The environment every run of the operator against the embedded API server starts from: a new
     * management key of the simulator in {@code <work>/management-key} (mode 0600), a kubeconfig in
     * {@code <work>/kubeconfig} whose default namespace (the operator's own) is {@code namespace},
     * any free HTTP port. A mutable map.
     */
    public static Map<String, String> environment(EmbeddedCluster cluster, OpenRouterSimulator openRouter, Path work, String namespace)
            throws IOException {
        Files.createDirectories(work);
        return environment(cluster.writeKubeconfig(work.resolve("kubeconfig"), namespace), openRouter, work);
    }

    /**
     * The same against any API server: {@code kubeconfig} (its context's namespace is the operator's
     * own) instead of an embedded cluster's.
     */
    public static Map<String, String> environment(Path kubeconfig, OpenRouterSimulator openRouter, Path work) throws IOException {
        Files.createDirectories(work);
        Path keyFile = writePrivate(work.resolve("management-key"), openRouter.newManagementKey());
        Map<String, String> env = new HashMap<>();
        env.put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        env.put("MAI_OPENROUTER_URL", openRouter.baseUrl());
        env.put("MAI_PROVISIONING_KEY_FILE", keyFile.toAbsolutePath().toString());
        env.put("QUARKUS_HTTP_PORT", "0");
        return env;
    }

    /**
     * {@code base} for one replica {@code hostname} (a pod's name: the lease identity, and what tells
     * the replicas' requests apart) of installation {@code installation}, with a sweep every second,
     * orphans collected 2 s after they are seen, and DEBUG logs of the operator's own classes. A new
     * mutable map.
     */
    public static Map<String, String> replica(Map<String, String> base, String hostname, String installation) {
        Map<String, String> env = new HashMap<>(base);
        env.put("HOSTNAME", hostname);
        env.put("MAI_INSTALLATION_ID", installation);
        env.put("MAI_VALIDATION_INTERVAL", "1s");
        env.put("MAI_ORPHAN_GRACE", "2s");
        env.put("QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG");
        return env;
    }

    /** Writes {@code text} to a new file {@code path} only its owner may read (0600, replacing any); returns the path. */
    public static Path writePrivate(Path path, String text) throws IOException {
        Files.deleteIfExists(path);
        Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(path, text);
        return path;
    }

    /** The image's Dockerfile, whose ENTRYPOINT names the JVM options production runs the operator with. */
    public static final Path DOCKERFILE = Path.of("src/main/docker/Dockerfile.jvm");

    /**
     * The JVM options of the image's ENTRYPOINT (what comes between {@code java} and {@code -jar}), for a
     * process that should run as the image runs.
     */
    public static List<String> imageJavaOptions() throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*\\])$").matcher(Files.readString(DOCKERFILE));
        if (!m.find()) {
            throw new IllegalStateException("no ENTRYPOINT [...] in " + DOCKERFILE);
        }
        List<String> entrypoint = new com.fasterxml.jackson.databind.ObjectMapper().readValue(m.group(1),
                new com.fasterxml.jackson.core.type.TypeReference<List<String>>() { });
        int jar = entrypoint.indexOf("-jar");
        if (jar < 1) {
            throw new IllegalStateException("the ENTRYPOINT of " + DOCKERFILE + " has no -jar: " + entrypoint);
        }
        return List.copyOf(entrypoint.subList(1, jar));
    }

    /** Starts the operator with {@code env} added to this process's environment. */
    public static OperatorProcess start(Map<String, String> env, Path log) throws IOException {
        return start(List.of(), env, log);
    }

    /** Starts the operator with the JVM options {@code javaOptions} and {@code env} added to this process's environment. */
    public static OperatorProcess start(List<String> javaOptions, Map<String, String> env, Path log) throws IOException {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: build it first (mvn package)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.add("-jar");
        command.add(JAR.toString());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new OperatorProcess(pb.start(), log);
    }

    /** The exit code if the process ends within {@code wait}; empty while it still runs. */
    public java.util.OptionalInt exitWithin(java.time.Duration wait) throws InterruptedException {
        return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS) ? java.util.OptionalInt.of(process.exitValue())
                : java.util.OptionalInt.empty();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** SIGKILL: no shutdown hook, no chance to finish anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the process is frozen (as a pod on a hung node, or in a long GC pause) until {@link #resume()}. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    /** The HTTP port the operator listens on (it may have chosen any: QUARKUS_HTTP_PORT=0), from its log. */
    public int httpPort() throws IOException {
        java.util.regex.Matcher port = java.util.regex.Pattern.compile("Listening on: http://[^:]+:(\\d+)").matcher(Files.readString(log));
        if (!port.find()) {
            throw new IllegalStateException("no HTTP port in " + log + " yet");
        }
        return Integer.parseInt(port.group(1));
    }

    /** GET of a path on the operator's HTTP port (health, metrics): status and body. */
    public java.net.http.HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + httpPort() + path)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The operating system's id of the process. */
    public long pid() {
        return process.pid();
    }

    /** The exit code once the process ended. */
    public int exitValue() {
        return process.exitValue();
    }

    private void signal(String name) throws IOException, InterruptedException {
        int code = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (code != 0) {
            throw new IllegalStateException("kill -" + name + " failed with " + code);
        }
    }

    /** Where {@link #close()} keeps the operator's last {@code /q/metrics} text: next to its log, for leak scans. */
    public static Path metricsOf(Path log) {
        return log.resolveSibling(log.getFileName() + ".metrics");
    }

    /** Stops the operator (SIGTERM, then SIGKILL after 10 s), keeping its {@code /q/metrics} text first. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                var metrics = get("/q/metrics");
                Files.writeString(metricsOf(log), metrics.statusCode() == 200 ? metrics.body() : "");
            } catch (IOException | IllegalStateException e) {
                // not listening (yet): nothing to keep
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
