package dev.mai.operator.cluster;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubeapitest.Utils;
import io.fabric8.kubeapitest.binary.OSInfo;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One real kube-apiserver (with its etcd) per test JVM, started by fabric8's kube-api-test on the
 * first {@link #get()} and stopped by a shutdown hook when the JVM ends: every test class of the
 * JVM shares it (each uses its own namespaces and names).
 *
 * <p>The binaries are the ones {@code build/control-plane.sh} builds from Go modules, found in
 * {@value #BIN_ENV} or else {@link #DEFAULT_BIN}. kube-api-test wants them as
 * {@code <dir>/k8s/<version>-<os>-<arch>/{etcd,kube-apiserver,kubectl}}; a temporary directory of
 * symlinks in that layout is handed to it, in offline mode (it never downloads). Everything is set
 * through {@link KubeAPIServerConfigBuilder}: kube-api-test 7.5.2 casts the String of its
 * {@code KUBE_API_TEST_*} environment variables to Boolean or Integer and fails with a
 * ClassCastException, so those variables must not be used (an explicit builder value wins over them).
 * The client certificate it issues is {@code system:masters}: this tier proves schema and CEL
 * validation, not RBAC.
 *
 * <p>Missing binaries fail the test class with the paths looked at; nothing is ever skipped.
 */
public final class RealApiServer {

    public static final String BIN_ENV = "MAI_CONTROL_PLANE_BIN";
    /** Where build/control-plane.sh caches the binaries of the pinned versions. */
    public static final Path DEFAULT_BIN = Path.of(System.getProperty("user.home"),
            ".cache/mai-operator/control-plane/k8s-v1.36.3-etcd-v3.6.17-kwok-v0.8.0/bin");
    private static final List<String> BINARIES = List.of("etcd", "kube-apiserver", "kubectl");
    private static final Pattern VERSION = Pattern.compile("Kubernetes v(\\d+\\.\\d+\\.\\d+)");

    /** The started server: its kubeconfig (admin client certificate), version and start-up time. */
    public record Started(String kubeConfigYaml, String version, Path binDir, Duration startup) {

        /** A new client of the server; the caller closes it. */
        public KubernetesClient client() {
            return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
        }
    }

    private static final OncePerJvm<Started> SERVER = new OncePerJvm<>(RealApiServer::start);

    private RealApiServer() {
    }

    /** The JVM's API server, started on the first call; a failed start fails every later call the same way. */
    public static Started get() {
        return SERVER.get();
    }

    /** The directory holding the binaries: {@value #BIN_ENV} when set, else {@link #DEFAULT_BIN}. */
    public static Path binDir() {
        String env = System.getenv(BIN_ENV);
        return env == null || env.isBlank() ? DEFAULT_BIN : Path.of(env);
    }

    /** A server that is not the JVM's shared one: {@link #started()} to use it, {@link #close()} to stop it. */
    public static final class Own implements AutoCloseable {
        private final Started started;
        private final Runnable stop;

        private Own(Started started, Runnable stop) {
            this.started = started;
            this.stop = stop;
        }

        public Started started() {
            return started;
        }

        /** Stops kube-apiserver and etcd and removes their files. */
        @Override
        public void close() {
            stop.run();
        }
    }

    /**
     * A new API server of the caller's own (make bench: one per measured run), with {@code flags}
     * added to kube-apiserver's (e.g. an audit log); stopped by {@link Own#close()} or when the JVM ends.
     */
    public static Own startOwn(Map<String, String> flags) {
        return launch(flags);
    }

    private static Started start() {
        return launch(Map.of()).started();
    }

    private static Own launch(Map<String, String> flags) {
        Path bin = binDir();
        List<String> missing = BINARIES.stream().filter(b -> !Files.isExecutable(bin.resolve(b))).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("The real-API-server tier needs etcd, kube-apiserver and kubectl built from Go "
                    + "modules; missing in " + bin + ": " + missing + ". Build them with build/control-plane.sh, or point "
                    + BIN_ENV + " at the directory holding them"
                    + (System.getenv(BIN_ENV) == null ? " (" + BIN_ENV + " is not set; the default was used)" : "") + ".");
        }
        String version = version(bin.resolve("kube-apiserver"));
        Path testDir;
        try {
            testDir = Files.createTempDirectory("mai-kube-api-test");
            // 1.36.3-linux-amd64: platformSuffix starts with its own "-"
            Path layout = testDir.resolve("k8s").resolve(version + Utils.platformSuffix(new OSInfo()));
            Files.createDirectories(layout);
            for (String b : BINARIES) {
                Files.createSymbolicLink(layout.resolve(b), bin.resolve(b).toAbsolutePath());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out the binaries for kube-api-test", e);
        }
        KubeAPIServerConfigBuilder config = KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(testDir.toString())
                .withApiServerVersion(version)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .withWaitForEtcdHealthCheckOnStartup(true)
                .withStartupTimeout(120_000)
                .withApiServerFlag("--advertise-address", "127.0.0.1")
                .withApiServerFlag("--bind-address", "127.0.0.1")
                // as hardened clusters (OpenShift among them) run it: owner references that block their
                // owner's deletion need the right to set finalizers on the owner (deploy/'s rbac.yaml grants it)
                .withApiServerFlag("--enable-admission-plugins", "OwnerReferencesPermissionEnforcement");
        flags.forEach(config::withApiServerFlag);
        KubeAPIServer server = new KubeAPIServer(config.build());
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                server.stop();
                delete(testDir);
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "real-api-server-stop"));
        server.start();
        Duration startup = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf("real API server: kube-apiserver v%s from %s, up in %d ms%n", version, bin, startup.toMillis());
        return new Own(new Started(server.getKubeConfigYaml(), version, bin, startup), stop);
    }

    /** The version kube-apiserver reports ({@code Kubernetes v1.36.3}), as kube-api-test writes it: 1.36.3. */
    static String version(Path apiServer) {
        try {
            Process p = new ProcessBuilder(apiServer.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Matcher m = VERSION.matcher(out);
            if (!m.find() || m.group(1).equals("0.0.0")) {
                throw new IllegalStateException(apiServer + " --version printed no release version (built without the "
                        + "version stamps?): " + out.strip());
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: best effort
        }
    }
}
