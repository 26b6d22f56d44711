package dev.mai.operator.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The promtool that build/tools.sh built from Go modules (Prometheus v0.316.0, i.e. 3.16): checks and
 * unit-tests alert rules and PromQL expressions. Never a promtool found on PATH, whose Prometheus version
 * nobody chose. Its binary is {@value #ENV} when set, else where build/tools.sh caches it; a missing
 * binary fails the test that needs it (it is not skipped).
 */
public record Promtool(Path binary) {

    /** The environment variable naming the promtool binary (make test sets it). */
    public static final String ENV = "MAI_PROMTOOL";
    /** Where build/tools.sh puts promtool by default. */
    public static final Path DEFAULT = Path.of(System.getProperty("user.home"),
            ".cache/mai-operator/tools/promtool-v0.316.0/promtool");

    /** What a run printed and how it ended. */
    public record Result(List<String> command, int exit, String out, String err) {

        /** The output of a run that must succeed; fails with the command and what it printed otherwise. */
        public String ok() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ":\n" + out + err);
            }
            return out;
        }
    }

    /** The built promtool. */
    public static Promtool find() {
        String env = System.getenv(ENV);
        Path binary = env == null || env.isBlank() ? DEFAULT : Path.of(env);
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("promtool built from Go modules is missing: " + binary + ". Build it with "
                    + "'bash build/tools.sh promtool' (make test does), or point " + ENV + " at the binary.");
        }
        return new Promtool(binary);
    }

    /** Runs {@code promtool args} in {@code directory} and waits at most 2 minutes. */
    public Result run(Path directory, String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        Command.Output o = Command.run(command, directory, Map.of(), Duration.ofMinutes(2));
        return new Result(command, o.exit(), o.out(), o.err());
    }

    /** {@code promtool check rules} of one file, run in its folder. */
    public Result checkRules(Path file) {
        Path absolute = file.toAbsolutePath();
        return run(absolute.getParent(), "check", "rules", absolute.getFileName().toString());
    }
}
