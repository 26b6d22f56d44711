package dev.mai.operator.ha;

import dev.mai.operator.config.OperatorIdentity;
import dev.mai.operator.reconciler.InstallationId;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Leader election (SPEC 6): two replicas, one active. The Quarkus operator SDK asks for the
 * {@link LeaderElectionConfiguration} only in the prod profile, that is in the packaged operator;
 * JOSDK then starts event processing, and with it every reconcile, only on the replica holding the
 * Lease {@code mai-operator-<installation id>} in the operator's namespace. Event sources start on
 * every replica so a standby's caches are warm; the validation sweep is one of them and asks
 * {@link #isLeader()} before each run, so the standby makes no OpenRouter call at all. A leader
 * that loses its lease exits (JOSDK's default) and Kubernetes restarts it as a standby.
 *
 * <p>Without leader election (tests, {@code make run} in dev mode) this process is the only one and
 * always leads.
 */
@Singleton
public class Leadership {

    /** The lease's name: the installation id keeps two shards in one namespace from sharing it. */
    public static final String LEASE_PREFIX = "mai-operator-";
    private static final Logger LOG = Logger.getLogger(Leadership.class);

    private final AtomicBoolean elected = new AtomicBoolean(false);
    private final AtomicBoolean leading = new AtomicBoolean(false);

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElection(InstallationId installation, OperatorIdentity identity) {
        elected.set(true);
        String lease = LEASE_PREFIX + installation.get();
        LOG.infof("leader election on: lease %s, identity %s", lease, identity.name());
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(lease)
                .withIdentity(identity.name())
                .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading,
                        leader -> LOG.infof("leader is now %s", leader)))
                .build();
    }

    /** Whether this replica may do the work: it holds the lease, or there is no election. */
    public boolean isLeader() {
        return !elected.get() || leading.get();
    }

    private void startedLeading() {
        leading.set(true);
        LOG.info("this replica leads: reconciles and sweeps run here");
    }

    private void stoppedLeading() {
        leading.set(false);
        LOG.info("this replica no longer leads");
    }
}
