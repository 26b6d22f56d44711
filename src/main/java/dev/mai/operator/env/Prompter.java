package dev.mai.operator.env;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Asks for what the command line did not give. On a terminal through the console (a secret is
 * read without echo); otherwise one line of standard input per question, the question itself on
 * standard error so that standard output carries only results.
 */
final class Prompter {

    private final Console console;
    private final PrintWriter err;
    private BufferedReader in;

    Prompter(Console console, PrintWriter err) {
        this.console = console;
        this.err = err;
    }

    /** Whether answers come from a person at a terminal (who may be asked again after a mistake). */
    boolean interactive() {
        return console != null;
    }

    /** One answer, stripped; empty at the end of the input. */
    Optional<String> ask(String question) {
        if (console != null) {
            return Optional.ofNullable(console.readLine("%s", question)).map(String::strip);
        }
        return readLine(question).map(String::strip);
    }

    /** A secret answer, never echoed on a terminal; empty at the end of the input. */
    Optional<String> askSecret(String question) {
        if (console != null) {
            char[] answer = console.readPassword("%s", question);
            return answer == null ? Optional.empty() : Optional.of(new String(answer).strip());
        }
        return readLine(question).map(String::strip);
    }

    private Optional<String> readLine(String question) {
        err.print(question);
        err.flush();
        try {
            if (in == null) {
                in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            }
            String line = in.readLine();
            if (line == null) {
                err.println();
            }
            return Optional.ofNullable(line);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read standard input", e);
        }
    }
}
