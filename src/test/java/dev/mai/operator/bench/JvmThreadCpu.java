package dev.mai.operator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The CPU seconds of a JVM's JIT compiler and GC threads ({@link Measures#jvmThreadGroup}), from
 * {@code /proc/<pid>/task}, sampled every quarter second by a daemon thread. The JVM starts and ends
 * compiler threads as the work comes and goes (UseDynamicNumberOfCompilerThreads), and an ended thread
 * is gone from /proc with its CPU: each thread's last figure is remembered, so what it used counts
 * after it ended too (all but its last quarter second).
 */
final class JvmThreadCpu implements AutoCloseable {

    private record Seen(String group, double seconds) {
    }

    private final Path tasks;
    private final Map<String, Seen> threads = new ConcurrentHashMap<>();
    private final Thread sampler;

    JvmThreadCpu(long pid) {
        this.tasks = Path.of("/proc/" + pid + "/task");
        sample();
        sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted() && Files.isDirectory(tasks)) {
                try {
                    Thread.sleep(250);
                    sample();
                } catch (InterruptedException e) {
                    return;
                } catch (UncheckedIOException gone) {
                    return; // the process ended
                }
            }
        }, "bench-jvm-thread-cpu-" + pid);
        sampler.setDaemon(true);
        sampler.start();
    }

    private synchronized void sample() {
        try (Stream<Path> list = Files.list(tasks)) {
            for (Path task : list.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException ended) {
                    continue; // ended between the listing and the read (NoSuchFileException, or ESRCH while reading)
                }
                String group = Measures.jvmThreadGroup(stat);
                if (group != null) {
                    threads.put(task.getFileName().toString(), new Seen(group, Measures.cpuSeconds(stat)));
                }
            }
        } catch (NoSuchFileException ended) {
            throw new UncheckedIOException(ended);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** CPU seconds so far by group ({@link Measures#JIT}, {@link Measures#GC}), ended threads included. */
    Map<String, Double> seconds() {
        try {
            sample();
        } catch (UncheckedIOException gone) {
            // the process ended: what was seen stands
        }
        Map<String, Double> out = new LinkedHashMap<>(Map.of(Measures.JIT, 0.0, Measures.GC, 0.0));
        threads.values().forEach(t -> out.merge(t.group(), t.seconds(), Double::sum));
        return out;
    }

    @Override
    public void close() {
        sampler.interrupt();
    }
}
