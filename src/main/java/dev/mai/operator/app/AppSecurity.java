package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.AppSpec;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import java.util.Optional;

/**
 * How the client's application pod is contained. Whoever may edit a MaiClient with spec.app runs
 * a pod in its namespace, next to Secrets that may include a management key; so by default the pod
 * passes the Pod Security {@code restricted} profile and mounts no service-account token. Only
 * {@code spec.app.securityProfile: baseline} relaxes it, and the status says so.
 */
public final class AppSecurity {

    /**
     * The pod's supplementary group: the kubelet makes the Secret volume's files (and a data claim's)
     * group-owned by it, so a non-root image reads /app/.env through the group bits of its mode 0440.
     */
    public static final long FS_GROUP = 1000L;
    public static final String RUNTIME_DEFAULT = "RuntimeDefault";

    private AppSecurity() {
    }

    /** {@code restricted} (also when absent) or {@code baseline}. */
    public static String profile(AppSpec app) {
        return Optional.ofNullable(app.getSecurityProfile()).orElse(AppSpec.RESTRICTED);
    }

    public static boolean restricted(AppSpec app) {
        return !AppSpec.BASELINE.equals(profile(app));
    }

    /**
     * Pod level: restricted requires a non-root user; both profiles keep seccomp RuntimeDefault and
     * the fsGroup (a data claim is chowned to it only when its root does not match yet, not on every start).
     */
    public static PodSecurityContext pod(AppSpec app) {
        return new PodSecurityContextBuilder()
                .withRunAsNonRoot(restricted(app) ? Boolean.TRUE : null)
                .withFsGroup(FS_GROUP)
                .withFsGroupChangePolicy("OnRootMismatch")
                .withNewSeccompProfile().withType(RUNTIME_DEFAULT).endSeccompProfile()
                .build();
    }

    /**
     * Container level: no privilege escalation in both profiles; restricted drops every capability,
     * baseline leaves the runtime's default set (what a root image changing owners or users needs).
     */
    public static SecurityContext container(AppSpec app) {
        SecurityContextBuilder builder = new SecurityContextBuilder().withAllowPrivilegeEscalation(false);
        if (restricted(app)) {
            builder.withRunAsNonRoot(true).withNewCapabilities().withDrop("ALL").endCapabilities();
        }
        return builder.build();
    }

    /** What the status says about a relaxed pod, or empty for a restricted one. */
    public static Optional<String> relaxation(AppSpec app) {
        if (restricted(app)) {
            return Optional.empty();
        }
        return Optional.of("spec.app.securityProfile is baseline: the application pod may run as root with the container "
                + "runtime's default capabilities and does not pass Pod Security restricted");
    }
}
