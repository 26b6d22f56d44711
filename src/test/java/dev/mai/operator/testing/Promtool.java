package dev.mai.operator.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The promtool that build/tools.sh built from Go modules (Prometheus v3, module v0.316.0): checks and
 * unit-tests rule files and PromQL as the Prometheus that loads them would. Never a promtool found on
 * PATH. Its binary is {@value #ENV} when set, else where build/tools.sh caches it; a missing binary
 * fails the test (a check that silently skips proves nothing).
 */
public record Promtool(Path binary) {

    /** The environment variable naming the promtool binary. */
    public static final String ENV = "MAI_PROMTOOL";
    /** Where build/tools.sh puts promtool by default. */
    public static final Path DEFAULT = Path.of(System.getProperty("user.home"), ".cache/mai-operator/tools/promtool-v0.316.0/promtool");

    /** What a run printed and how it ended. */
    public record Result(List<String> command, int exit, String out) {

        /** The output of a run that must succeed; fails with the command and its output otherwise. */
        public String ok() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ":\n" + out);
            }
            return out;
        }
    }

    /** The built promtool. */
    public static Promtool of() {
        String env = System.getenv(ENV);
        Path binary = env == null || env.isBlank() ? DEFAULT : Path.of(env);
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("promtool built from Go modules is missing: " + binary + ". Build it with "
                    + "'bash build/tools.sh promtool', or point " + ENV + " at the binary.");
        }
        return new Promtool(binary);
    }

    /** Runs {@code promtool args} (stdout and stderr together) and waits at most 2 minutes. */
    public Result run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        try {
            File out = File.createTempFile("promtool", ".out");
            out.deleteOnExit();
            Process process = new ProcessBuilder(command).directory(new File(".")).redirectErrorStream(true).redirectOutput(out).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 2 minutes");
            }
            return new Result(command, process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code promtool check rules} of one file. */
    public Result checkRules(Path file) {
        return run("check", "rules", file.toString());
    }
}
