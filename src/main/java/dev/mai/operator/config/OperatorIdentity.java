package dev.mai.operator.config;

import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Who this operator process is: its leader-election identity and the user agent it sends to the
 * Kubernetes API and to OpenRouter. In a pod, HOSTNAME is the pod name, so audit logs and the Lease
 * name the replica; a restarted process with the same name takes its own unexpired lease back at once.
 */
@Singleton
public class OperatorIdentity {

    private final String name;
    private final String userAgent;

    public OperatorIdentity(@ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version,
            @ConfigProperty(name = FrontEnd.ENV_COMMAND_PROPERTY, defaultValue = "false") boolean envCommand) {
        this.name = Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()).orElseGet(OperatorIdentity::localName);
        this.userAgent = (envCommand ? "mai-env/" : "mai-operator/") + version + " (" + name + ")";
    }

    /** The process's name: the pod name in a cluster. */
    public String name() {
        return name;
    }

    /** {@code mai-operator/<version> (<name>)}; {@code mai-env/...} when the process runs the mai-env command. */
    public String userAgent() {
        return userAgent;
    }

    private static String localName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "mai-operator-" + UUID.randomUUID();
        }
    }
}
