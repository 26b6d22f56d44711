package dev.mai.operator.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One whole Kubernetes cluster per test JVM, started on the first {@link #get()} by
 * {@code build/cluster.sh up} (what {@code make cluster} runs) and stopped by a shutdown hook: etcd,
 * kube-apiserver, kube-controller-manager (garbage collector, namespace, Deployment, ReplicaSet and
 * ResourceQuota controllers), kube-scheduler and kwok with two fake nodes, on which pods become
 * Running and Ready. All from the binaries build/control-plane.sh built ({@link RealApiServer#binDir()}),
 * bound to 127.0.0.1. The admin kubeconfig holds a {@code system:masters} client certificate; the
 * operator runs with its ServiceAccount's token ({@link InstalledOperator}).
 *
 * <p>A failed start fails every test class that asks, with the script's output; nothing is skipped.
 */
public final class WholeCluster {

    private static final Path SCRIPT = Path.of("build/cluster.sh");
    private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));
    /** {@code <tmp>/mai-whole-cluster-<pid of the test JVM>-<random>}: the cluster's files and processes' state. */
    private static final String PREFIX = "mai-whole-cluster-";
    private static final OncePerJvm<RealApiServer.Started> CLUSTER = new OncePerJvm<>(WholeCluster::start);

    private WholeCluster() {
    }

    /** The JVM's cluster, started on the first call; a failed start fails every later call the same way. */
    public static RealApiServer.Started get() {
        return CLUSTER.get();
    }

    private static RealApiServer.Started start() {
        Path bin = RealApiServer.binDir();
        try {
            removeLeftovers();
            long pid = ProcessHandle.current().pid();
            // a new directory of a random name, mode 0700: nobody else's, nothing planted in it
            Path dir = Files.createTempDirectory(TMP, PREFIX + pid + "-");
            String name = "mai-test-" + pid;
            List<String> args = List.of("--name", name, "--dir", dir.toString(), "--volumes", "8");
            long t0 = System.nanoTime();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> script("down", args), "whole-cluster-stop"));
            String kubeconfig = script("up", args).strip();
            Duration startup = Duration.ofNanos(System.nanoTime() - t0);
            String yaml = Files.readString(Path.of(kubeconfig));
            String version = RealApiServer.version(bin.resolve("kube-apiserver"));
            System.out.printf("whole cluster %s: v%s from %s, up in %d ms%n", name, version, bin, startup.toMillis());
            return new RealApiServer.Started(yaml, version, bin, startup);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the whole cluster", e);
        }
    }

    /**
     * Stops the clusters of test JVMs that are gone without running their shutdown hook (killed):
     * their components would otherwise keep running.
     */
    private static void removeLeftovers() throws IOException {
        try (var dirs = Files.list(TMP)) {
            String me = System.getProperty("user.name");
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(PREFIX)).toList()) {
                String pid = dir.getFileName().toString().substring(PREFIX.length()).replaceFirst("-.*", "");
                // only this user's, of a JVM that no longer runs
                if (pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isEmpty()
                        && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        && me.equals(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName())) {
                    System.out.println("whole cluster: removing the one a killed test JVM left in " + dir);
                    script("down", List.of("--name", "mai-test-" + pid, "--dir", dir.toString()));
                }
            }
        }
    }

    /** Runs {@code build/cluster.sh cmd args} with {@link RealApiServer#BIN_ENV} set; its stdout, or a failure with everything it printed. */
    private static String script(String cmd, List<String> args) {
        try {
            List<String> command = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString(), cmd));
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().put(RealApiServer.BIN_ENV, RealApiServer.binDir().toString());
            Path err = Files.createTempFile("cluster-sh", ".err");
            pb.redirectError(err.toFile());
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish in 5 minutes");
            }
            String stderr = Files.readString(err);
            Files.deleteIfExists(err);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + stderr + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
