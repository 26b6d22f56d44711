package dev.mai.operator.config;

/**
 * Which front end this process runs: the operator (the container's command, no arguments) or the
 * {@code mai-env} command for Docker Compose users ({@value #ENV_COMMAND} as the first argument).
 */
public final class FrontEnd {

    /** The first argument that selects the {@code mai-env} command. */
    public static final String ENV_COMMAND = "env";
    /** The configuration profile of the {@code mai-env} command (application.properties, {@code %mai-env.}). */
    public static final String ENV_PROFILE = "mai-env";
    /**
     * Set for the command, before Quarkus reads its configuration: this process runs the command, not
     * the operator. A system property, not a profile entry, so that beans made at static init see it too.
     */
    public static final String ENV_COMMAND_PROPERTY = "mai-env.command";

    private FrontEnd() {
    }
}
