package dev.mai.operator;

import dev.mai.operator.config.FrontEnd;
import dev.mai.operator.env.MaiEnvCommand;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.quarkus.picocli.runtime.annotations.TopCommand;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * The program's entry point, with two front ends on one application: without arguments it is the
 * operator (the container's command); with {@code env} as its first argument it is the
 * {@code mai-env} command for Docker Compose users, which runs with the {@value FrontEnd#ENV_PROFILE} profile
 * and never starts the operator (the reconciler is not looked up in that profile, so the operator
 * SDK registers no controller and starts nothing).
 */
@QuarkusMain
public class Main implements QuarkusApplication {

    @Inject
    CommandLine.IFactory factory;

    /** The command, created only when it runs (its OpenRouter client is not needed by the operator's boot). */
    @Inject
    @TopCommand
    Instance<Object> command;

    public static void main(String... args) {
        if (args.length > 0 && FrontEnd.ENV_COMMAND.equals(args[0])) {
            // before Quarkus reads its configuration: the command's settings, not the operator's. The flag
            // is a system property, not a profile entry, so that beans made at static init see it too
            System.setProperty("quarkus.profile", FrontEnd.ENV_PROFILE);
            System.setProperty(FrontEnd.ENV_COMMAND_PROPERTY, "true");
        }
        Quarkus.run(Main.class, args);
    }

    @Override
    public int run(String... args) {
        if (args.length > 0 && FrontEnd.ENV_COMMAND.equals(args[0])) {
            return MaiEnvCommand.commandLine(command.get(), factory).execute(Arrays.copyOfRange(args, 1, args.length));
        }
        Quarkus.waitForExit();
        return 0;
    }
}
