package dev.mai.operator.env;

import dev.mai.operator.testing.MaiEnvProcess;
import dev.mai.operator.testing.MaiEnvProcess.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The mai-env command on a pseudo-terminal, answered as a person would: each answer is typed only
 * once its question is on the screen. util-linux {@code script} gives the command a terminal, so it
 * reads through the console and turns echo off for the management key.
 */
final class Terminal {

    /** Type {@code text} once {@code prompt} appears (after the previous answer's question). */
    record Answer(String prompt, String text) {
    }

    private Terminal() {
    }

    static Result session(Path dir, Map<String, String> env, List<Answer> answers) throws IOException, InterruptedException {
        String command = MaiEnvProcess.command(List.of()).stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
        ProcessBuilder pb = new ProcessBuilder("script", "-q", "-e", "-f", "-c", command, "/dev/null")
                .directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("MAI_"));
        pb.environment().putAll(env);
        Process process = pb.start();
        StringBuffer screen = new StringBuffer();
        Thread reader = new Thread(() -> copy(process.getInputStream(), screen), "terminal-screen");
        reader.setDaemon(true);
        reader.start();
        OutputStream keyboard = process.getOutputStream();
        int from = 0;
        for (Answer answer : answers) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int at;
            while ((at = screen.indexOf(answer.prompt(), from)) < 0) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    process.destroyForcibly();
                    throw new AssertionError("no question \"" + answer.prompt() + "\" on the screen:\n" + screen);
                }
                Thread.sleep(50);
            }
            from = at + answer.prompt().length();
            Thread.sleep(100); // a person reads the question before typing
            keyboard.write((answer.text() + "\n").getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
        }
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the session did not end:\n" + screen);
        }
        reader.join(5_000);
        keyboard.close();
        return new Result(process.exitValue(), screen.toString(), "");
    }

    private static void copy(InputStream in, StringBuffer screen) {
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) > 0;) {
                screen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            screen.append("<screen closed: ").append(e.getMessage()).append('>');
        }
    }
}
