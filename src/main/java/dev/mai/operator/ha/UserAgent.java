package dev.mai.operator.ha;

import dev.mai.operator.config.OperatorIdentity;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;

/**
 * The operator's Kubernetes client announces itself as {@code mai-operator/<version> (<pod>)}, so an
 * API server's audit log (and the tests' request recorder) tells its requests from anyone else's.
 */
@Singleton
public class UserAgent implements KubernetesConfigCustomizer {

    private final OperatorIdentity identity;

    public UserAgent(OperatorIdentity identity) {
        this.identity = identity;
    }

    @Override
    public void customize(Config config) {
        config.setUserAgent(identity.userAgent());
    }
}
