package dev.mai.operator.ha;

import dev.mai.operator.config.OperatorIdentity;
import dev.mai.operator.ha.InstallationId;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Leader election: two replicas, one active. The Quarkus operator SDK asks for the
 * {@link LeaderElectionConfiguration} only in the prod profile, that is in the packaged operator
 * (the image, {@code make run}, the process tests); JOSDK then starts event processing, and with it
 * every reconcile, only on the replica holding the Lease {@code mai-operator-<installation id>} in
 * the operator's namespace. Event sources start on every replica so a standby's caches are warm;
 * the validation sweep is one of them and asks {@link #isLeader()} before each run, so the standby
 * makes no OpenRouter call at all.
 *
 * <p>A leader that loses its lease (it could not renew within the renew deadline, for instance cut
 * off from the API server) halts at once: JOSDK would otherwise keep its event processing running
 * next to the new leader's. Kubernetes restarts it as a standby. A lease given up because the
 * process is shutting down is no loss and ends nothing early.
 *
 * <p>Without leader election (the in-process tests) this process is the only one and always leads.
 */
@Singleton
public class Leadership {

    /** The lease's name: the installation id keeps two shards in one namespace from sharing it. */
    public static final String LEASE_PREFIX = "mai-operator-";
    private static final Logger LOG = Logger.getLogger(Leadership.class);

    private final AtomicBoolean elected = new AtomicBoolean(false);
    private final AtomicBoolean leading = new AtomicBoolean(false);
    private final AtomicBoolean shuttingDown = new AtomicBoolean(false);

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElection(InstallationId installation, OperatorIdentity identity) {
        elected.set(true);
        String lease = LEASE_PREFIX + installation.get();
        LOG.infof("leader election on: lease %s/%s, identity %s", installation.namespace(), lease, identity.name());
        // build() leaves JOSDK's exit on a lost lease off; stoppedLeading() does it, so that a normal
        // shutdown (which also ends leading) is not turned into System.exit inside a shutdown hook
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(lease)
                .withLeaseNamespace(installation.namespace())
                .withIdentity(identity.name())
                .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading,
                        leader -> LOG.infof("leader is now %s", leader)))
                .build();
    }

    /** Whether this replica may do the work: it holds the lease, or there is no election. */
    public boolean isLeader() {
        return !elected.get() || leading.get();
    }

    /** Before the operator SDK stops the operator (which gives the lease up). */
    void onShutdown(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        shuttingDown.set(true);
    }

    private void startedLeading() {
        leading.set(true);
        LOG.info("this replica leads: reconciles and sweeps run here");
    }

    private void stoppedLeading() {
        leading.set(false);
        if (shuttingDown.get()) {
            LOG.info("this replica gave up its lease: shutting down");
            return;
        }
        LOG.error("this replica lost its lease to another: halting now, so that only the new leader acts "
                + "(Kubernetes restarts this pod as a standby). It could not renew the lease in time: another replica "
                + "took it, or the API server did not answer");
        Runtime.getRuntime().halt(1);
    }
}
