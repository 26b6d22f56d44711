package dev.mai.operator.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.core.Environment;
import dev.mai.operator.openrouter.ApiKey;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The objects {@code mai-env export} makes from a {@code .env}, and the files it refuses. */
class EnvExportTest {

    static final String KEY = "sk-or-v1-" + "5a".repeat(32);
    static final String HASH = "c0".repeat(32);
    static final String ID = "6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c";

    @TempDir
    Path dir;

    @Test
    void aFinishedEnvGivesASecretWithTheKeyAndAMaiClientAdoptingItByHash() throws Exception {
        Path env = written("monthly", null);

        EnvExport.Manifests m = EnvExport.manifests(env, "tenant-abc", "abc");

        assertThat(m.secret().getMetadata().getName()).isEqualTo("abc-adopt");
        assertThat(m.secret().getMetadata().getNamespace()).isEqualTo("tenant-abc");
        assertThat(new String(Base64.getDecoder().decode(m.secret().getData().get("OPENROUTER_API_KEY")), StandardCharsets.UTF_8))
                .isEqualTo(KEY);
        assertThat(m.secret().getData()).containsOnlyKeys("OPENROUTER_API_KEY");
        MaiClient client = m.client();
        assertThat(client.getMetadata().getName()).isEqualTo("abc");
        assertThat(client.getMetadata().getNamespace()).isEqualTo("tenant-abc");
        assertThat(client.getSpec().getOrganizationName()).isEqualTo("O'Brien & Sons");
        assertThat(client.getSpec().getSpendingLimit().getStrVal()).isEqualTo("250.00");
        assertThat(client.getSpec().getLimitReset()).isEqualTo("monthly");
        assertThat(client.getSpec().getExternalUser()).isEqualTo("mai_client_1234abcd");
        assertThat(client.getSpec().getAdoptKeyFrom().getName()).isEqualTo("abc-adopt");
        assertThat(client.getSpec().getAdoptKeyFrom().getHash()).isEqualTo(HASH);
        assertThat(client.getSpec().getAdoptKeyFrom().entry()).isEqualTo("OPENROUTER_API_KEY");

        KubernetesSerialization yaml = new KubernetesSerialization();
        MaiClient back = yaml.unmarshal(yaml.asYaml(client), MaiClient.class);
        assertThat(back.getApiVersion()).isEqualTo("mai.dev/v1alpha1");
        assertThat(back.getKind()).isEqualTo("MaiClient");
        assertThat(back.getSpec().getAdoptKeyFrom().getHash()).isEqualTo(HASH);
        assertThat(yaml.unmarshal(yaml.asYaml(m.secret()), Secret.class).getData()).isEqualTo(m.secret().getData());
    }

    @Test
    void aFileWithoutAFinishedKeyOfMaiEnvsOrBadNamesIsRefusedWithoutShowingTheKey() throws Exception {
        Path oldScript = Files.writeString(dir.resolve("old.env"), "OPENROUTER_API_KEY=" + KEY + "\nORGANIZATION_NAME=Old Ltd\n");
        Path adopting = written(null, HASH);

        for (Path file : new Path[] {oldScript, adopting}) {
            assertThatThrownBy(() -> EnvExport.manifests(file, "tenant-abc", "abc")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Run mai-env on it first").hasMessageNotContaining(KEY);
        }
        Path env = written(null, null);
        assertThatThrownBy(() -> EnvExport.manifests(env, "Tenant_ABC", "abc")).hasMessageStartingWith("--namespace:");
        assertThatThrownBy(() -> EnvExport.manifests(env, "tenant-abc", "a".repeat(64))).hasMessageStartingWith("--name:");
        assertThat(EnvExport.manifests(env, "tenant-abc", "abc").client().getSpec().getLimitReset()).isNull();
    }

    /** A .env as mai-env writes it: the block with the key and its hash; {@code adopting}: an adoption under way. */
    private Path written(String reset, String adopting) throws Exception {
        Path path = dir.resolve(reset + "-" + adopting + ".env");
        MaiClientSpec spec = new MaiClientSpec();
        spec.setOrganizationName("O'Brien & Sons");
        spec.setSpendingLimit(new IntOrString("250"));
        spec.setLimitReset(reset);
        String body = Environment.dotenv("mai-env", spec,
                new Environment.Inputs(ApiKey.of(KEY), HASH, "2026-01-01T00:00:00Z", "mai_client_1234abcd", "https://openrouter.ai"));
        EnvFile empty = EnvFile.read(path);
        Files.writeString(path, empty.render(new EnvFile.Block(ID, EnvFile.locationOf(path), reset, null, adopting, null, body)));
        return path;
    }
}
