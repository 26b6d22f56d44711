package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.ha.Leadership;
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;

/** What a {@link KeySweep} needs from the application; makes one per controller start. */
@ApplicationScoped
public class Sweeps {

    final OpenRouterKeys keys;
    final ManagementKeys managementKeys;
    final InstallationId installation;
    final SweepMetrics metrics;
    final ClientMetrics clientMetrics;
    final KubernetesClient kubernetes;
    final Clock clock;
    final MaiConfig config;
    final Leadership leadership;

    public Sweeps(OpenRouterKeys keys, ManagementKeys managementKeys, InstallationId installation, SweepMetrics metrics,
            ClientMetrics clientMetrics, KubernetesClient kubernetes, Clock clock, MaiConfig config, Leadership leadership) {
        this.keys = keys;
        this.managementKeys = managementKeys;
        this.installation = installation;
        this.metrics = metrics;
        this.clientMetrics = clientMetrics;
        this.kubernetes = kubernetes;
        this.clock = clock;
        this.config = config;
        this.leadership = leadership;
    }

    KeySweep create(IndexerResourceCache<MaiClient> primaries, InformerEventSource<Secret, MaiClient> keySecrets,
            ControllerConfiguration<MaiClient> controller) {
        return new KeySweep(this, primaries, keySecrets, controller);
    }
}
