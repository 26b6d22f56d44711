package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.ha.InstallationId;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret that keys every env Secret's {@code mai.dev/key-digest} ({@link KeyDigest}): 32 random
 * bytes, created once in Secret {@value #SECRET} in the operator's own namespace, next to the
 * installation id, and never changed. Tenants cannot read it, so they cannot forge a digest.
 *
 * <p>Losing it makes every digest fail, and a Secret whose digest fails is treated as edited by
 * hand: every client's key would be replaced. Back it up with the operator's namespace.
 */
@ApplicationScoped
public class DigestKey {

    public static final String SECRET = "mai-operator-digest-key";
    public static final String DATA_KEY = "key";
    private static final int BYTES = 32;

    private final KubernetesClient client;
    private final InstallationId installation;
    private volatile byte[] key;

    public DigestKey(KubernetesClient client, InstallationId installation) {
        this.client = client;
        this.installation = installation;
    }

    /** The secret, read or created on first use. */
    public byte[] get() {
        byte[] known = key;
        if (known == null) {
            synchronized (this) {
                if (key == null) {
                    key = resolve();
                }
                known = key;
            }
        }
        return known;
    }

    private byte[] resolve() {
        String namespace = installation.namespace();
        var resource = client.secrets().inNamespace(namespace).withName(SECRET);
        Secret existing = InstallationId.getOrCreate(client, resource, () -> {
            byte[] fresh = new byte[BYTES];
            new SecureRandom().nextBytes(fresh);
            return new SecretBuilder()
                    .withNewMetadata().withName(SECRET).withNamespace(namespace)
                    .addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE).endMetadata()
                    .withType("Opaque")
                    .withImmutable(true)
                    .addToData(DATA_KEY, Base64.getEncoder().encodeToString(fresh))
                    .build();
        });
        String value = existing.getData() == null ? null : existing.getData().get(DATA_KEY);
        byte[] decoded;
        try {
            decoded = value == null ? new byte[0] : Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            decoded = new byte[0];
        }
        if (decoded.length < BYTES) {
            throw new IllegalStateException("Secret " + namespace + "/" + SECRET + " must hold at least " + BYTES
                    + " random bytes under data." + DATA_KEY + "; restore it from the backup of the operator's namespace");
        }
        return decoded;
    }
}
