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
 * live only in this process: stopping it forgets them. It never prints a key. Lines typed on its
 * standard input make keys spend, to watch budget figures and alerts: {@code spend <keyHash> <usd>}
 * (the hash is a MaiClient's {@code status.keyHash}) and {@code reset} (a new limit period for every key).
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
                To make a key spend, type here: spend <status.keyHash> <usd>   (reset: a new limit period for every key)
                """, simulator.baseUrl(), keyFile, simulator.baseUrl(), keyFile);
        Thread commands = new Thread(() -> readCommands(simulator), "simulator-commands");
        commands.setDaemon(true);
        commands.start();
        stopped.await();
    }

    /** {@code spend <hash> <usd>} and {@code reset}, one per line, until standard input ends. */
    private static void readCommands(OpenRouterSimulator simulator) {
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] words = line.strip().split("\\s+");
                if (words.length == 3 && words[0].equals("spend") && simulator.key(words[1]).isPresent()
                        && words[2].matches("[0-9]{1,9}(\\.[0-9]{1,6})?")) {
                    simulator.spend(words[1], new java.math.BigDecimal(words[2]));
                    System.out.printf("key %s... spent %s USD more (the operator sees it at its next sweep)%n",
                            words[1].substring(0, 12), words[2]);
                } else if (words.length == 1 && words[0].equals("reset")) {
                    simulator.newPeriod();
                    System.out.println("a new limit period: every key's period spend is 0");
                } else if (!line.isBlank()) {
                    System.out.println("not understood; type: spend <status.keyHash of a live key> <usd>, or: reset");
                }
            }
        } catch (IOException e) {
            System.out.println("standard input closed: no more commands (" + e.getMessage() + ")");
        }
    }
}
