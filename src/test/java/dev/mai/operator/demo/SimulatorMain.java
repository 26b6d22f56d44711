package dev.mai.operator.demo;

import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * {@code make simulator}: the OpenRouter simulator the tests use, on its own, for an operator run
 * by hand against the local cluster ({@code make cluster}) where the real OpenRouter is out of reach
 * or its money should not be spent. Listens on 127.0.0.1 at {@code MAI_SIMULATOR_PORT} (default
 * 18089), writes a management key it accepts to {@code <dir>/management-key} (mode 0600; dir from
 * the first argument), prints the settings to give the operator, and serves until stopped. Its keys
 * live only in this process: stopping it forgets them. It never prints a key.
 */
public final class SimulatorMain {

    private SimulatorMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        int port = Integer.parseInt(System.getenv().getOrDefault("MAI_SIMULATOR_PORT", "18089"));
        OpenRouterSimulator simulator = new OpenRouterSimulator(Clock.systemUTC(), port).latency(50);
        Files.createDirectories(dir);
        Path keyFile = OperatorProcess.writePrivate(dir.resolve("management-key").toAbsolutePath(), simulator.newManagementKey());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stopped.countDown();
        }, "simulator-stop"));
        System.out.printf("""
                OpenRouter simulator at %s (Ctrl-C stops it; its keys exist only in this process).
                A management key it accepts is in %s. Give the operator:
                  export MAI_OPENROUTER_URL=%s
                  export MAI_PROVISIONING_KEY_FILE=%s
                """, simulator.baseUrl(), keyFile, simulator.baseUrl(), keyFile);
        stopped.await();
    }
}
