package dev.mai.operator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real readers of a {@code .env} file: python-dotenv (what the application uses) and a POSIX
 * shell. Tests fail, never skip, when python-dotenv is missing: {@code .ci/run} installs it.
 */
public final class DotEnvReaders {

    private static final List<String> PYTHONS = List.of("python3", "/usr/bin/python3");

    private DotEnvReaders() {
    }

    /** The value python-dotenv reads for {@code name} from {@code file}. */
    public static String pythonDotenv(Path file, String name) {
        String script = "import sys\nfrom dotenv import dotenv_values\n"
                + "v = dotenv_values(sys.argv[1]).get(sys.argv[2])\n"
                + "sys.stdout.buffer.write(('<none>' if v is None else v).encode('utf-8'))\n";
        for (String python : PYTHONS) {
            Result r = run(List.of(python, "-c", script, file.toString(), name));
            if (r.exit == 0) {
                return r.out;
            }
        }
        throw new AssertionError("python-dotenv is not available (install Debian's python3-dotenv; .ci/run does)");
    }

    /** The value a POSIX shell has for {@code name} after {@code . ./file}. */
    public static String posixShell(Path file, String name) {
        Result r = run(List.of("sh", "-c", ". \"$1\"; printf %s \"$" + name + "\"", "sh", file.toAbsolutePath().toString()));
        if (r.exit != 0) {
            throw new AssertionError("sh could not read " + file + ": " + r.err);
        }
        return r.out;
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "", "timeout");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted");
        }
    }

    /** Writes {@code content} to a fresh temporary file. */
    public static Path write(String content) {
        try {
            Path file = Files.createTempFile("mai-env-", ".env");
            Files.writeString(file, content, StandardCharsets.UTF_8);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
