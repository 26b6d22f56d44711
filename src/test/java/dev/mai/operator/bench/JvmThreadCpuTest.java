package dev.mai.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A thread's CPU stays counted after the thread ended, as the JVM's compiler threads come and go. */
class JvmThreadCpuTest {

    @Test
    void anEndedThreadsCpuStillCounts() throws Exception {
        try (JvmThreadCpu cpu = new JvmThreadCpu(ProcessHandle.current().pid())) {
            double before = cpu.seconds().get(Measures.GC);
            // Linux names a JVM thread after its Java name (cut to 15 characters): this one reads as a GC thread
            Thread busy = new Thread(() -> {
                long until = System.nanoTime() + 600_000_000L;
                long x = 0;
                while (System.nanoTime() < until) {
                    x += System.nanoTime() % 7;
                }
                if (x == 42) {
                    System.out.println(x);
                }
            }, "GC Thread#bench");
            busy.start();
            busy.join();
            Thread.sleep(300);
            // the thread is gone from /proc/<pid>/task now; what it used is still there
            assertThat(cpu.seconds().get(Measures.GC) - before).isGreaterThan(0.2);
        }
    }
}
