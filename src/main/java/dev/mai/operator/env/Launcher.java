package dev.mai.operator.env;

import java.lang.reflect.InvocationTargetException;

/**
 * The main class of {@code target/mai-env.jar}, a jar holding only this class and a class path to
 * {@code quarkus-app/quarkus-run.jar} beside it: runs the operator's application with {@code env}
 * as its first argument, which makes it the mai-env command.
 */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) throws Throwable {
        String[] command = new String[args.length + 1];
        command[0] = "env";
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Class.forName("io.quarkus.bootstrap.runner.QuarkusEntryPoint").getMethod("main", String[].class).invoke(null, (Object) command);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
