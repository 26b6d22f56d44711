package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.Owners;
import dev.mai.operator.openrouter.ApiKey;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The client's Secret on the API server: found (this MaiClient's, or a conflict), asked about with
 * a dry run before a key is made, written, deleted after a rename, let go under Retain — the only
 * place the operator writes it.
 */
@ApplicationScoped
public class ClientSecrets {

    /** Name of the informer on the Secrets this operator writes. */
    static final String INFORMER = "env-secrets";

    private static final Logger LOG = Logger.getLogger(ClientSecrets.class);
    /** Stand-ins of a key's and its hash's shape and size for the dry run; the API server stores nothing of them. */
    private static final ApiKey DRY_RUN_KEY = ApiKey.of("sk-or-v1-" + "0".repeat(64));
    private static final String DRY_RUN_HASH = "f".repeat(64);

    private final Events events;
    private final DigestKey digestKey;
    private final MaiConfig config;

    public ClientSecrets(Events events, DigestKey digestKey, MaiConfig config) {
        this.events = events;
        this.digestKey = digestKey;
        this.config = config;
    }

    /**
     * The Secret named {@code name} if this MaiClient owns it; any other Secret of that name is a
     * conflict. Read from the informer cache unless {@code fresh}; the informer sees only labelled
     * Secrets, so a miss is confirmed on the API server before anything is created.
     */
    Optional<Secret> find(MaiClient client, Context<MaiClient> context, String name, boolean fresh) {
        String namespace = client.getMetadata().getNamespace();
        Optional<Secret> cached = Optional.empty();
        if (!fresh) {
            cached = ManagementKeys.informer(context, INFORMER, Secret.class).get(new ResourceID(name, namespace));
        }
        Secret secret = cached.orElseGet(() -> context.getClient().secrets().inNamespace(namespace).withName(name).get());
        if (secret == null) {
            return Optional.empty();
        }
        if (!Owners.ownedBy(secret, client)) {
            throw new SecretConflict("Secret " + name + " exists and is not this MaiClient's (a Secret kept by "
                    + "deletionPolicy Retain belongs to the deleted MaiClient); it is left untouched. Copy out what it holds and "
                    + "delete it, or set spec.secret.name");
        }
        return Optional.of(secret);
    }

    /** {@link #find}, with a Secret of that name that is not this MaiClient's taken as none. */
    Optional<Secret> findOwn(MaiClient client, Context<MaiClient> context, String name, boolean fresh) {
        try {
            return find(client, context, name, fresh);
        } catch (SecretConflict notOurs) {
            return Optional.empty();
        }
    }

    /**
     * The key a Secret of this MaiClient holds, if its digest shows this operator wrote it
     * ({@code knownHash}: the key status records, which a digest of an earlier version may name).
     */
    Optional<EnvSecret.Stored> stored(Secret secret, MaiClient client, String knownHash) {
        return EnvSecret.stored(secret, client.getMetadata().getUid(), knownHash, digestKey.get());
    }

    /** The Secret as it should be with {@code key} and what status says of it. */
    Secret desired(MaiClient client, ApiKey key, MaiClientStatus status) {
        return EnvSecret.desired(client, new Environment.Inputs(key, status.getKeyHash(), status.getKeyCreatedAt(),
                status.getExternalUser(), config.effectiveOpenrouterHost()), digestKey.get());
    }

    /** Creates or updates (optimistic-locked) the Secret, through JOSDK so the next reconcile sees the write. */
    Secret write(MaiClient client, Context<MaiClient> context, Optional<Secret> actual, Secret desired) {
        var informer = ManagementKeys.informer(context, INFORMER, Secret.class);
        Secret written;
        try {
            written = actual.isEmpty()
                    ? context.resourceOperations().create(desired, informer)
                    : context.resourceOperations().update(EnvSecret.merge(actual.get(), desired), informer);
        } catch (KubernetesClientException e) {
            if (SecretRefused.refusal(e)) {
                throw new SecretRefused(desired.getMetadata().getName(), e, null, false, desired);
            }
            throw e;
        }
        events.normal(client, Events.SECRET_WRITTEN, "Wrote Secret " + desired.getMetadata().getName()
                + " (revision " + desired.getMetadata().getAnnotations().get(Labels.ENV_REVISION) + ")");
        return written;
    }

    /**
     * Asks the API server whether it would take the Secret a new key is about to go into, before the
     * key is made: a server-side dry run passes authorisation, quota, admission and validation and
     * stores nothing. A refusal ends the reconcile with no key made (SecretWriteFailed). An admission
     * webhook that cannot take dry runs, a conflict or a server error leave the judgement to the real
     * write, which deletes its new key again when it is refused.
     */
    void dryRun(MaiClient client, Context<MaiClient> context, Optional<Secret> actual, MaiClientStatus status, Instant now) {
        MaiClientStatus probe = new MaiClientStatus(status);
        probe.setKeyHash(DRY_RUN_HASH);
        probe.setKeyCreatedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        Secret desired = desired(client, DRY_RUN_KEY, probe);
        var secrets = context.getClient().secrets().inNamespace(client.getMetadata().getNamespace());
        try {
            if (actual.isEmpty()) {
                secrets.resource(desired).dryRun().create();
            } else {
                secrets.resource(EnvSecret.merge(actual.get(), desired)).dryRun().update();
            }
        } catch (KubernetesClientException e) {
            if (SecretRefused.refusal(e) && !SecretRefused.dryRunUnsupported(e)) {
                throw new SecretRefused(desired.getMetadata().getName(), e, new MaiClientStatus(status), false, desired);
            }
            LOG.debugf("dry run of Secret %s/%s inconclusive (HTTP %d); the write will tell", client.getMetadata().getNamespace(),
                    desired.getMetadata().getName(), e.getCode());
        }
    }

    /** Deletes the Secret the environment was in under an earlier spec.secret.name (after the new one is written). */
    void deletePrevious(MaiClient client, Context<MaiClient> context, Secret previous, String current) {
        context.getClient().resource(previous).delete();
        events.normal(client, Events.SECRET_MOVED, "Moved the environment from Secret " + previous.getMetadata().getName()
                + " to " + current);
    }

    /**
     * Lets go of a Secret deletionPolicy Retain keeps: this MaiClient's owner reference goes (others'
     * are theirs to keep), so the garbage collector leaves the Secret when the MaiClient goes.
     */
    void letGo(MaiClient client, Context<MaiClient> context, Secret secret) {
        String uid = client.getMetadata().getUid();
        List<OwnerReference> owners = Optional.ofNullable(secret.getMetadata().getOwnerReferences()).orElse(List.of());
        if (owners.stream().anyMatch(o -> uid.equals(o.getUid()))) {
            context.getClient().resource(new SecretBuilder(secret).editMetadata()
                    .withOwnerReferences(owners.stream().filter(o -> !uid.equals(o.getUid())).toList())
                    .endMetadata().build()).update();
        }
    }
}
