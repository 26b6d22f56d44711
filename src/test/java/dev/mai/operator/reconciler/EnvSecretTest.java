package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.KeyDigest;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.DotEnvReaders;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvSecretTest {

    private static final String KEY = "sk-or-v1-" + "0123456789abcdef".repeat(4);
    private static final String HASH = "f".repeat(64);
    /** The operator's digest secret in these tests. */
    private static final byte[] DIGEST = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    private static MaiClient client() {
        MaiClient c = Clients.maiClient("tenant-abc", "abc", "ABC Company Sp. z o.o.", "1000.0");
        c.getMetadata().setUid("8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d");
        c.getMetadata().setLabels(Map.of("app.kubernetes.io/instance", "argo-app"));
        c.getMetadata().setAnnotations(Map.of("argocd.argoproj.io/sync-wave", "1"));
        c.getSpec().setLimitReset("monthly");
        return c;
    }

    private static Environment.Inputs inputs() {
        return new Environment.Inputs(ApiKey.of(KEY), HASH, "2026-11-26T10:00:00.000000+00:00", "mai_client_12345678",
                "https://openrouter.ai/api/v1");
    }

    private static String data(Secret s, String key) {
        return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
    }

    @Test
    void holdsTheSixVariablesAndTheDotEnvFile() {
        Secret s = EnvSecret.desired(client(), inputs(), DIGEST);
        assertThat(s.getData()).containsOnlyKeys("OPENROUTER_API_KEY", "OPENROUTER_HOST", "OPENROUTER_EXTERNAL_USER",
                "ORGANIZATION_NAME", "SPENDING_LIMIT", "OPENROUTER_KEY_HASH", ".env");
        assertThat(data(s, "OPENROUTER_API_KEY")).isEqualTo(KEY);
        assertThat(data(s, "SPENDING_LIMIT")).isEqualTo("1000.00");
        assertThat(data(s, "ORGANIZATION_NAME")).isEqualTo("ABC Company Sp. z o.o.");
        assertThat(data(s, "OPENROUTER_KEY_HASH")).isEqualTo(HASH);
        assertThat(s.getType()).isEqualTo("Opaque");
        assertThat(s.getStringData()).isNullOrEmpty();

        Path env = DotEnvReaders.write(data(s, ".env"));
        for (String name : new String[] {"OPENROUTER_API_KEY", "OPENROUTER_HOST", "OPENROUTER_EXTERNAL_USER",
                "ORGANIZATION_NAME", "SPENDING_LIMIT", "OPENROUTER_KEY_HASH"}) {
            assertThat(DotEnvReaders.pythonDotenv(env, name)).isEqualTo(data(s, name));
        }
        assertThat(data(s, ".env")).startsWith("# mAI client environment").contains("# Organization: ABC Company Sp. z o.o.\n")
                .contains("# Spending limit: 1000.00 USD, resets monthly\n").contains("# Key created: 2026-11-26T10:00:00");
    }

    @Test
    void metadataIsTheOperatorsAndNothingOfTheMaiClients() {
        MaiClient c = client();
        c.getSpec().setSecret(Clients.secret("custom-env", Map.of("team", "sales"), Map.of("note", "hi")));
        Secret s = EnvSecret.desired(c, inputs(), DIGEST);
        assertThat(s.getMetadata().getName()).isEqualTo("custom-env");
        assertThat(s.getMetadata().getLabels()).containsOnly(Map.entry("app.kubernetes.io/managed-by", "mai-operator"),
                Map.entry("mai.dev/client", "abc"), Map.entry("team", "sales"));
        assertThat(s.getMetadata().getAnnotations()).containsKeys("mai.dev/key-hash", "mai.dev/key-digest", "mai.dev/env-revision", "note")
                .doesNotContainKey("argocd.argoproj.io/sync-wave");
        assertThat(s.getMetadata().getAnnotations().get("mai.dev/key-hash")).isEqualTo(HASH);
        assertThat(s.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getUid()).isEqualTo(c.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
            assertThat(o.getKind()).isEqualTo("MaiClient");
        });
        assertThat(s.getMetadata().getAnnotations().values()).noneMatch(v -> v.contains(KEY));
    }

    @Test
    void revisionIgnoresTheKeyButFollowsEverythingElse() {
        MaiClient c = client();
        String r1 = EnvSecret.desired(c, inputs(), DIGEST).getMetadata().getAnnotations().get(Labels.ENV_REVISION);
        String r2 = EnvSecret.desired(c, inputs(), DIGEST).getMetadata().getAnnotations().get(Labels.ENV_REVISION);
        assertThat(r1).isEqualTo(r2);
        c.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("2000"));
        assertThat(EnvSecret.desired(c, inputs(), DIGEST).getMetadata().getAnnotations().get(Labels.ENV_REVISION)).isNotEqualTo(r1);
    }

    @Test
    void inSyncIgnoresForeignMetadataAndMergeKeepsIt() {
        Secret desired = EnvSecret.desired(client(), inputs(), DIGEST);
        Secret actual = new SecretBuilder(desired).editMetadata().addToLabels("someone", "else")
                .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}").withResourceVersion("7").endMetadata().build();
        assertThat(EnvSecret.inSync(actual, desired)).isTrue();

        Secret edited = new SecretBuilder(actual).addToData("ORGANIZATION_NAME", "ZWRpdGVk").build();
        assertThat(EnvSecret.inSync(edited, desired)).isFalse();
        Secret merged = EnvSecret.merge(edited, desired);
        assertThat(merged.getData()).isEqualTo(desired.getData());
        assertThat(merged.getMetadata().getLabels()).containsEntry("someone", "else");
        assertThat(merged.getMetadata().getResourceVersion()).isEqualTo("7");
        assertThat(EnvSecret.inSync(merged, desired)).isTrue();
    }

    @Test
    void storedChecksTheKeyAndHashAgainstTheDigest() {
        MaiClient c = client();
        String uid = c.getMetadata().getUid();
        Secret written = EnvSecret.desired(c, inputs(), DIGEST);
        assertThat(EnvSecret.stored(written, uid, null, DIGEST)).contains(new EnvSecret.Stored(HASH, ApiKey.of(KEY), false));

        Secret hashEdited = new SecretBuilder(written).editMetadata().addToAnnotations(Labels.KEY_HASH, "e".repeat(64)).endMetadata().build();
        assertThat(EnvSecret.stored(hashEdited, uid, null, DIGEST)).isEmpty();
        assertThat(EnvSecret.stored(hashEdited, uid, HASH, DIGEST)).contains(new EnvSecret.Stored(HASH, ApiKey.of(KEY), false));

        String otherKey = "sk-or-v1-" + "9".repeat(64);
        Secret keyEdited = new SecretBuilder(written)
                .addToData("OPENROUTER_API_KEY", Base64.getEncoder().encodeToString(otherKey.getBytes(StandardCharsets.UTF_8))).build();
        assertThat(EnvSecret.stored(keyEdited, uid, HASH, DIGEST)).isEmpty();
        assertThat(EnvSecret.stored(written, "another-uid", HASH, DIGEST)).isEmpty();
    }

    @Test
    void aDigestNeedsTheOperatorsSecretTheUidAloneForgesNothing() {
        MaiClient c = client();
        String uid = c.getMetadata().getUid();
        String otherHash = "a".repeat(64);
        // a tenant names another key and recomputes the digest from what it can know: the key, the hash, the UID
        for (String forged : new String[] {KeyDigest.legacy(uid, otherHash, ApiKey.of(KEY)),
                KeyDigest.PREFIX + KeyDigest.legacy(uid, otherHash, ApiKey.of(KEY)),
                KeyDigest.of(new byte[32], uid, otherHash, ApiKey.of(KEY))}) {
            Secret edited = new SecretBuilder(EnvSecret.desired(c, inputs(), DIGEST)).editMetadata()
                    .addToAnnotations(Labels.KEY_HASH, otherHash).addToAnnotations(Labels.KEY_DIGEST, forged).endMetadata().build();
            var stored = EnvSecret.stored(edited, uid, HASH, DIGEST);
            // only the legacy form verifies, and it is marked so: believed only after a fresh read proves the key
            assertThat(stored.filter(k -> !k.legacy())).as(forged).isEmpty();
        }
        Secret written = EnvSecret.desired(c, inputs(), DIGEST);
        assertThat(written.getMetadata().getAnnotations().get(Labels.KEY_DIGEST)).startsWith(KeyDigest.PREFIX)
                .doesNotContain(KEY.substring(9));
        assertThat(EnvSecret.stored(written, uid, null, "another secret, of another operator".getBytes(StandardCharsets.UTF_8)))
                .isEmpty();
    }

    @Test
    void aDigestOfAnEarlierVersionIsRecognisedAsLegacy() {
        MaiClient c = client();
        String uid = c.getMetadata().getUid();
        Secret old = new SecretBuilder(EnvSecret.desired(c, inputs(), DIGEST)).editMetadata()
                .addToAnnotations(Labels.KEY_DIGEST, KeyDigest.legacy(uid, HASH, ApiKey.of(KEY))).endMetadata().build();
        assertThat(EnvSecret.stored(old, uid, null, DIGEST)).contains(new EnvSecret.Stored(HASH, ApiKey.of(KEY), true));
    }

    @Test
    void aHashThatIsNotAnOpenRouterHashIsNeverReturned() {
        MaiClient c = client();
        String uid = c.getMetadata().getUid();
        for (String bad : new String[] {"../keys", "F".repeat(64), "f".repeat(63), "f".repeat(64) + "?x=1", ""}) {
            Secret s = EnvSecret.desired(c, new Environment.Inputs(ApiKey.of(KEY), bad, null, "u", "h"), DIGEST);
            assertThat(EnvSecret.stored(s, uid, null, DIGEST)).as(bad).isEmpty();
            assertThat(EnvSecret.stored(s, uid, bad, DIGEST)).as(bad).isEmpty();
        }
    }

    @Test
    void labelsAndAnnotationsDroppedFromTheSpecLeaveTheSecretButForeignOnesStay() {
        MaiClient c = client();
        c.getSpec().setSecret(Clients.secret(null, Map.of("team", "sales", "tier", "gold"), Map.of("note", "hi")));
        Secret written = new SecretBuilder(EnvSecret.desired(c, inputs(), DIGEST))
                .editMetadata().addToLabels("added-by", "someone").addToAnnotations("other", "x").endMetadata().build();
        assertThat(EnvSecret.inSync(written, EnvSecret.desired(c, inputs(), DIGEST))).isTrue();

        c.getSpec().setSecret(Clients.secret(null, Map.of("team", "sales"), null));
        Secret desired = EnvSecret.desired(c, inputs(), DIGEST);
        assertThat(EnvSecret.inSync(written, desired)).isFalse();
        Secret merged = EnvSecret.merge(written, desired);
        assertThat(merged.getMetadata().getLabels()).containsEntry("team", "sales").containsEntry("added-by", "someone")
                .doesNotContainKey("tier");
        assertThat(merged.getMetadata().getAnnotations()).containsEntry("other", "x").doesNotContainKey("note");
        assertThat(EnvSecret.inSync(merged, desired)).isTrue();

        c.getSpec().setSecret(null);
        Secret bare = EnvSecret.merge(merged, EnvSecret.desired(c, inputs(), DIGEST));
        assertThat(bare.getMetadata().getLabels()).doesNotContainKey("team").containsKey("added-by");
        assertThat(bare.getMetadata().getAnnotations()).doesNotContainKey(Labels.SPEC_METADATA);
        assertThat(EnvSecret.inSync(bare, EnvSecret.desired(c, inputs(), DIGEST))).isTrue();
    }

    @Test
    void storedKeyReadsTheKeyBack() {
        assertThat(EnvSecret.storedKey(EnvSecret.desired(client(), inputs(), DIGEST))).contains(ApiKey.of(KEY));
        assertThat(EnvSecret.storedKey(new SecretBuilder().build())).isEmpty();
    }

    @Test
    void theStoredRevisionIsKeptWhileTheContentIsTheSameSoAnUpgradeRollsNothing() {
        Secret stored = EnvSecret.desired(client(), inputs(), DIGEST);
        stored.getMetadata().getAnnotations().put("mai.dev/env-revision", "from-an-older-operator");
        Secret same = EnvSecret.desired(client(), inputs(), DIGEST);
        EnvSecret.keepRevision(stored, same);
        assertThat(same.getMetadata().getAnnotations()).containsEntry("mai.dev/env-revision", "from-an-older-operator");
        assertThat(EnvSecret.inSync(stored, same)).as("nothing to write").isTrue();

        MaiClient raised = client();
        raised.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("999"));
        Secret changed = EnvSecret.desired(raised, inputs(), DIGEST);
        EnvSecret.keepRevision(stored, changed);
        assertThat(changed.getMetadata().getAnnotations().get("mai.dev/env-revision")).isNotEqualTo("from-an-older-operator");
    }
}
