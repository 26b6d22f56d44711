package dev.mai.operator.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The packaged mai-env command ({@code target/mai-env.jar}) run as its own process in a working
 * directory, as a Docker Compose user runs it: arguments, environment, standard input.
 */
public final class MaiEnvProcess {

    public static final Path JAR = Path.of("target/mai-env.jar").toAbsolutePath();

    /** What a finished run left: its exit code and both output streams. */
    public record Result(int exit, String out, String err) {
        /** Both streams, for leak scans and failure messages. */
        public String output() {
            return "--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Process process;
    private final CompletableFuture<String> out;
    private final CompletableFuture<String> err;

    private MaiEnvProcess(Process process) {
        this.process = process;
        this.out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        this.err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    }

    /** The java command line that runs the jar with {@code args}. */
    public static List<String> command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(args);
        return command;
    }

    /** Starts the command in {@code dir} with {@code env} added to this process's environment. */
    public static MaiEnvProcess start(Path dir, Map<String, String> env, List<String> args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(args)).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAI_"));
        pb.environment().putAll(env);
        return new MaiEnvProcess(pb.start());
    }

    /** Runs the command to its end, with {@code input} on its standard input (closed afterwards). */
    public static Result runWithInput(Path dir, Map<String, String> env, String input, String... args) throws IOException, InterruptedException {
        MaiEnvProcess p = start(dir, env, List.of(args));
        try (OutputStream stdin = p.process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        return p.await();
    }

    public static Result run(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return runWithInput(dir, env, "", args);
    }

    /** Waits for the end (at most two minutes) and returns what the run left. */
    public Result await() throws InterruptedException {
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("mai-env did not finish within 2 minutes");
        }
        return new Result(process.exitValue(), out.join(), err.join());
    }

    /** SIGKILL: the process ends at once, whatever it was doing. */
    public Result kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        return new Result(process.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<unreadable: " + e.getMessage() + ">";
        }
    }
}
