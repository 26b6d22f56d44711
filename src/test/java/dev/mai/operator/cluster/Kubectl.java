package dev.mai.operator.cluster;

import dev.mai.operator.testing.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kubectl that build/control-plane.sh built ({@link RealApiServer#binDir()}), run as a user runs
 * it: against {@code kubeconfig}, or with no cluster at all ({@link #offline()}: kustomize). Never a
 * kubectl found on PATH, whose version nobody chose.
 */
record Kubectl(Path binary, Path kubeconfig) {

    /** What a run printed and how it ended. */
    record Result(List<String> command, int exit, String out, String err) {

        /** The output of a run that must succeed; fails with the command and its stderr otherwise. */
        String ok() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ": " + err + out);
            }
            return out;
        }
    }

    /** The built kubectl against the API server of {@code kubeconfig}. */
    static Kubectl of(Path kubeconfig) {
        Path binary = RealApiServer.binDir().resolve("kubectl");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("kubectl built from Go modules is missing: " + binary + ". Build it with "
                    + "build/control-plane.sh, or point " + RealApiServer.BIN_ENV + " at the directory holding it.");
        }
        return new Kubectl(binary, kubeconfig);
    }

    /** The built kubectl with no cluster: for {@code kubectl kustomize}. */
    static Kubectl offline() {
        return of(null);
    }

    /** Runs {@code kubectl args} and waits at most 2 minutes. */
    Result run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        if (kubeconfig != null) {
            command.add("--kubeconfig=" + kubeconfig.toAbsolutePath());
        }
        command.addAll(List.of(args));
        // no user configuration of the machine may leak in: no ~/.kube/config, no plugins, no colour
        Map<String, String> env = new HashMap<>();
        env.put("KUBECONFIG", null);
        env.put("HOME", System.getProperty("java.io.tmpdir"));
        Command.Output o = Command.run(command, Path.of("."), env, Duration.ofMinutes(2));
        return new Result(command, o.exit(), o.out(), o.err());
    }
}
