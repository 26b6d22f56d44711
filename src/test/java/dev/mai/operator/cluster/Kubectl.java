package dev.mai.operator.cluster;

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
        try {
            File err = File.createTempFile("kubectl", ".err");
            err.deleteOnExit();
            ProcessBuilder pb = new ProcessBuilder(command).directory(new File(".")).redirectError(err);
            // no user configuration of the machine may leak in: no ~/.kube/config, no plugins, no colour
            pb.environment().remove("KUBECONFIG");
            pb.environment().put("HOME", err.getParent());
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 2 minutes");
            }
            return new Result(command, p.exitValue(), out, Files.readString(err.toPath()));
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
