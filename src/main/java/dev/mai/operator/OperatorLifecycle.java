package dev.mai.operator;

import dev.mai.operator.config.FrontEnd;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Starts and stops the operator. The Quarkus operator SDK does this itself only in applications
 * without a {@code QuarkusApplication}; this one has {@link Main}, so the same steps are taken here:
 * start once Quarkus has started (the tests' boots included: they never call {@link Main#run}),
 * stop when it shuts down. In the {@code mai-env} command nothing is started, and the operator (with
 * its Kubernetes client) is not even created.
 */
@ApplicationScoped
public class OperatorLifecycle {

    private static final Logger LOG = Logger.getLogger(OperatorLifecycle.class);

    private final Instance<Operator> operator;
    private final boolean envCommand;
    private volatile boolean started;

    public OperatorLifecycle(Instance<Operator> operator,
            @ConfigProperty(name = FrontEnd.ENV_COMMAND_PROPERTY, defaultValue = "false") boolean envCommand) {
        this.operator = operator;
        this.envCommand = envCommand;
    }

    /** After the other start-up observers, as the operator SDK's own listener does. */
    void onStartup(@Observes @Priority(Interceptor.Priority.LIBRARY_AFTER + 123) StartupEvent event) {
        if (envCommand) {
            return;
        }
        Operator op = operator.get();
        if (op.getRegisteredControllersNumber() == 0) {
            throw new IllegalStateException("no reconciler registered: the operator cannot start");
        }
        LOG.info("Starting operator.");
        op.start();
        started = true;
    }

    /** Runs after {@code Leadership}'s shutdown observer, so giving the lease up is not taken for losing it. */
    void onShutdown(@Observes ShutdownEvent event) {
        if (started) {
            LOG.infof("Stopping operator (standard shutdown: %s).", event.isStandardShutdown());
            operator.get().stop();
        }
    }
}
