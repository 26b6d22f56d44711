package dev.mai.operator.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a built tool (kubectl, helm, promtool) as a process and collects what it printed: the one place
 * the tests start such commands, with no input, stderr kept apart, and a deadline.
 */
public final class Command {

    /** What a run printed and how it ended. */
    public record Output(int exit, String out, String err) {
    }

    private Command() {
    }

    /**
     * Runs {@code command} in {@code directory} with this process's environment changed by {@code env} (a
     * null value removes the variable); fails when it has not ended within {@code timeout}.
     */
    public static Output run(List<String> command, Path directory, Map<String, String> env, Duration timeout) {
        try {
            File err = File.createTempFile("command", ".err");
            err.deleteOnExit();
            ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectError(err);
            env.forEach((name, value) -> {
                if (value == null) {
                    pb.environment().remove(name);
                } else {
                    pb.environment().put(name, value);
                }
            });
            Process process = pb.start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout);
            }
            return new Output(process.exitValue(), out, Files.readString(err.toPath()));
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
