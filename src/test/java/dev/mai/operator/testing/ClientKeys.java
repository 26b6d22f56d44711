package dev.mai.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClient;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A MaiClient's keys on the OpenRouter simulator and in its Secret. A key belongs to a client when
 * its name ends in {@code :<the MaiClient's UID>]}; the promise under test is one live key per client,
 * the one its Secret holds.
 */
public final class ClientKeys {

    private ClientKeys() {
    }

    /** The live keys on {@code openRouter} made for {@code mc}. */
    public static List<OpenRouterSimulator.Key> of(OpenRouterSimulator openRouter, MaiClient mc) {
        return openRouter.keysNamed(":" + mc.getMetadata().getUid() + "]");
    }

    /** The one live key of {@code mc}; fails unless there is exactly one. */
    public static OpenRouterSimulator.Key theOne(OpenRouterSimulator openRouter, MaiClient mc) {
        List<OpenRouterSimulator.Key> live = of(openRouter, mc);
        assertThat(live).as("live keys of %s", mc.getMetadata().getName()).hasSize(1);
        return live.get(0);
    }

    /** The key {@code secret} holds ({@code OPENROUTER_API_KEY}, decoded); fails when there is no Secret. */
    public static String inSecret(Secret secret) {
        assertThat(secret).as("Secret").isNotNull();
        return new String(Base64.getDecoder().decode(secret.getData().get("OPENROUTER_API_KEY")), StandardCharsets.UTF_8);
    }

    /** Fails unless each of {@code clients} has exactly one live key and its Secret {@code <name>-env} holds that key. */
    public static void assertOneLiveKeyEachInItsSecret(OpenRouterSimulator openRouter, KubernetesClient client, List<MaiClient> clients) {
        for (MaiClient mc : clients) {
            OpenRouterSimulator.Key key = theOne(openRouter, mc);
            Secret secret = client.secrets().inNamespace(mc.getMetadata().getNamespace())
                    .withName(mc.getMetadata().getName() + "-env").get();
            assertThat(inSecret(secret)).as("the key in the Secret of %s", mc.getMetadata().getName()).isEqualTo(key.secret);
        }
    }
}
