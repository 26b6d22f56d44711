package dev.mai.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The helm that build/tools.sh built from Go modules (v4.3.2), run as a user runs it: against
 * {@code kubeconfig}, or with no cluster ({@link #offline()}: lint, template, package). Never a helm
 * found on PATH, whose version nobody chose. Its binary is {@value #ENV} when set, else where
 * build/tools.sh caches it.
 */
public record Helm(Path binary, Path kubeconfig, Path home) {

    /** The environment variable naming the helm binary (make test sets it). */
    public static final String ENV = "MAI_HELM";
    /** Where build/tools.sh puts helm by default. */
    public static final Path DEFAULT = Path.of(System.getProperty("user.home"), ".cache/mai-operator/tools/helm-v4.3.2/helm");
    /** The chart, as the repository holds it. */
    public static final Path CHART = Path.of("deploy/helm/mai-operator");

    /** What a run printed and how it ended. */
    public record Result(List<String> command, int exit, String out, String err) {

        /** The output of a run that must succeed; fails with the command and its stderr otherwise. */
        public String ok() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ": " + err + out);
            }
            return out;
        }
    }

    /** The built helm against the cluster of {@code kubeconfig}. */
    public static Helm of(Path kubeconfig) {
        String env = System.getenv(ENV);
        Path binary = env == null || env.isBlank() ? DEFAULT : Path.of(env);
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("helm built from Go modules is missing: " + binary + ". Build it with "
                    + "'bash build/tools.sh helm' (make test does), or point " + ENV + " at the binary.");
        }
        try {
            // its own config, cache and data folders: no repositories or plugins of the machine's user take part
            Path home = Files.createTempDirectory("helm-home");
            return new Helm(binary, kubeconfig, home);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The built helm with no cluster. */
    public static Helm offline() {
        return of(null);
    }

    /** Runs {@code helm args} and waits at most 5 minutes. */
    public Result run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        Map<String, String> env = new HashMap<>();
        env.put("KUBECONFIG", kubeconfig == null ? null : kubeconfig.toAbsolutePath().toString());
        env.put("HELM_CONFIG_HOME", home.resolve("config").toString());
        env.put("HELM_CACHE_HOME", home.resolve("cache").toString());
        env.put("HELM_DATA_HOME", home.resolve("data").toString());
        Command.Output o = Command.run(command, Path.of("."), env, Duration.ofMinutes(5));
        return new Result(command, o.exit(), o.out(), o.err());
    }

    /** {@code helm template} of the repository's chart as release {@code release} in {@code namespace}, with {@code --set}s. */
    public String template(String release, String namespace, String... sets) {
        List<String> args = new ArrayList<>(List.of("template", release, CHART.toString(), "--namespace", namespace));
        for (String set : sets) {
            args.add("--set");
            args.add(set);
        }
        return run(args.toArray(String[]::new)).ok();
    }
}
