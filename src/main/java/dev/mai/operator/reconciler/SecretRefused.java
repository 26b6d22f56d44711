package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.core.Environment;
import dev.mai.operator.openrouter.ApiKey;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The API server refused to write the client's Secret (forbidden, invalid, over quota, refused by
 * an admission policy): something a person must fix, reported as SecretWriteFailed with what the
 * server said (a key in it scrubbed), not retried with backoff. {@code status}: what status must
 * say afterwards (a key made for the Secret was deleted again).
 */
final class SecretRefused extends RuntimeException {
    private final transient MaiClientStatus status;
    private final transient KubernetesClientException cause;

    SecretRefused(String name, KubernetesClientException cause, MaiClientStatus status) {
        this(name, cause, status, false, null);
    }

    /**
     * {@code keyKept}: the Secret was refused an update with the key it holds already (new values, no
     * new key). {@code sent}: the Secret sent, whose values are kept out of the server's words (an
     * admission policy may quote the object).
     */
    SecretRefused(String name, KubernetesClientException cause, MaiClientStatus status, boolean keyKept, Secret sent) {
        super(cause == null ? "" : "The API server refused to write Secret " + name + " (HTTP " + cause.getCode() + "): "
                + ApiKey.scrub(cause.getStatus() != null && cause.getStatus().getMessage() != null
                        ? cause.getStatus().getMessage() : String.valueOf(cause.getMessage()), valuesOf(sent))
                + (keyKept ? ". The key is kept and the Secret still holds its previous values"
                        : ". No new key is kept until the server accepts the Secret")
                + "; tried again every " + Waits.SLOW_RETRY.toMinutes() + " minutes or when the spec changes",
                null, false, false);
        this.status = status;
        this.cause = cause;
    }

    /** The values of a Secret sent that hold the key (the key and the .env), encoded as sent and decoded. */
    private static List<String> valuesOf(Secret sent) {
        List<String> values = new ArrayList<>();
        for (String item : List.of(Environment.API_KEY, Environment.DOTENV)) {
            Optional.ofNullable(sent).map(Secret::getData).map(d -> d.get(item)).ifPresent(encoded -> {
                values.add(encoded);
                try {
                    values.add(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException notBase64) {
                    // sent as it is
                }
            });
            Optional.ofNullable(sent).map(Secret::getStringData).map(d -> d.get(item)).ifPresent(values::add);
        }
        return values;
    }

    /** 400, 403 (forbidden, quota) and 422: a retry with the same Secret gets the same answer. */
    static boolean refusal(KubernetesClientException e) {
        return e.getCode() == 400 || e.getCode() == 403 || e.getCode() == 422;
    }

    /**
     * An admission webhook without {@code sideEffects: None} makes the API server refuse every dry
     * run (400, "does not support dry run"), whatever the object: that says nothing about the write.
     */
    static boolean dryRunUnsupported(KubernetesClientException e) {
        String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
        return message != null && message.contains("does not support dry run");
    }

    SecretRefused after(MaiClientStatus recorded) {
        return new SecretRefused(this, recorded);
    }

    private SecretRefused(SecretRefused first, MaiClientStatus recorded) {
        super(first.getMessage(), null, false, false);
        this.status = recorded;
        this.cause = first.cause;
    }

    Optional<MaiClientStatus> status() {
        return Optional.ofNullable(status).map(MaiClientStatus::new);
    }

    Optional<KubernetesClientException> cause() {
        return Optional.ofNullable(cause);
    }
}
