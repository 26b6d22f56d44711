package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.openrouter.ApiKey;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events on a MaiClient, one per action of the key lifecycle. An event that cannot be
 * written is logged and dropped: events are for people, never a reason to fail a reconcile.
 */
@ApplicationScoped
public class Events {

    /** Event reasons. */
    public static final String KEY_CREATED = "KeyCreated";
    public static final String KEY_UPDATED = "KeyUpdated";
    public static final String KEY_REPLACED = "KeyReplaced";
    public static final String OLD_KEY_REVOKED = "OldKeyRevoked";
    public static final String KEY_ROTATED = "KeyRotated";
    public static final String ROLLOUT_TARGET_MISSING = "RolloutTargetMissing";
    public static final String ORPHAN_KEY_REVOKED = "OrphanKeyRevoked";
    public static final String EXTERNAL_USER_COLLISION = "ExternalUserCollision";
    public static final String KEY_DELETED = "KeyDeleted";
    public static final String KEY_RETAINED = "KeyRetained";
    /** Retain asked for, but the Secret (the only copy of the key) was gone: the key was deleted instead. */
    public static final String KEY_NOT_KEPT = "KeyNotKept";
    public static final String KEY_ABANDONED = "KeyAbandoned";
    public static final String SECRET_WRITTEN = "SecretWritten";
    public static final String SECRET_MOVED = "SecretMoved";
    public static final String KEY_TAKEN_OVER = "KeyTakenOver";
    public static final String KEY_ADOPTED = "KeyAdopted";
    /** Warning: the period's spend crossed a threshold of spec.budgetAlerts (once per threshold and period). */
    public static final String BUDGET_LOW = "BudgetLow";
    /** mai.dev/paused became "true": once when the pause starts, not per reconcile. */
    public static final String PAUSED = "Paused";
    /** mai.dev/paused is no longer "true": once when the pause ends. */
    public static final String RESUMED = "Resumed";

    private static final Logger LOG = Logger.getLogger(Events.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KubernetesClient client;
    private final Clock clock;

    public Events(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void normal(MaiClient on, String reason, String message) {
        emit(on, "Normal", reason, message);
    }

    public void warning(MaiClient on, String reason, String message) {
        emit(on, "Warning", reason, message);
    }

    private void emit(MaiClient on, String type, String reason, String message) {
        var meta = on.getMetadata();
        String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        var event = new EventBuilder()
                .withNewMetadata()
                .withName(meta.getName() + "." + randomHex(8))
                .withNamespace(meta.getNamespace())
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(on.getApiVersion()).withKind(on.getKind())
                        .withName(meta.getName()).withNamespace(meta.getNamespace())
                        .withUid(meta.getUid()).withResourceVersion(meta.getResourceVersion())
                        .build())
                .withType(type)
                .withReason(reason)
                .withMessage(ApiKey.scrub(message))
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource().withComponent("mai-operator").endSource()
                .withReportingComponent("mai-operator")
                .build();
        try {
            client.v1().events().inNamespace(meta.getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            LOG.debugf("event %s on %s/%s not written: %s", reason, meta.getNamespace(), meta.getName(),
                    NamespaceLifecycle.terminating(e) ? "its namespace is being deleted" : "HTTP " + e.getCode());
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
