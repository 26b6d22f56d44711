package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.openrouter.ApiKey;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagementKeysTest {

    private static final String KEY_1 = "sk-or-v1-" + "1".repeat(64);
    private static final String KEY_2 = "sk-or-v1-" + "2".repeat(64);

    private static MaiConfig config(Optional<String> value, Optional<String> file) {
        return new MaiConfig() {
            public String openrouterUrl() {
                return "http://localhost";
            }

            public Optional<String> openrouterHost() {
                return Optional.empty();
            }

            public Optional<String> provisioningKey() {
                return value;
            }

            public Optional<String> provisioningKeyFile() {
                return file;
            }

            public Optional<String> defaultKeyNamespaces() {
                return Optional.empty();
            }

            public Optional<String> adoptionNamespaces() {
                return Optional.empty();
            }

            public Optional<java.util.List<String>> adoptionFrom() {
                return Optional.empty();
            }

            public Optional<BigDecimal> maxSpendingLimit() {
                return Optional.empty();
            }

            public double openrouterMaxRps() {
                return 10;
            }

            public Optional<String> installationId() {
                return Optional.empty();
            }

            public java.time.Duration validationInterval() {
                return java.time.Duration.ofMinutes(15);
            }

            public java.time.Duration orphanGrace() {
                return java.time.Duration.ofHours(1);
            }

            @Override
            public java.time.Duration rotationGrace() {
                return java.time.Duration.ofMinutes(10);
            }

            public Optional<java.util.List<String>> appAllowedImages() {
                return Optional.empty();
            }

            public Optional<java.util.List<String>> appAllowedNodeSelectorKeys() {
                return Optional.empty();
            }

            public Optional<java.util.List<String>> appAllowedTolerationKeys() {
                return Optional.empty();
            }
        };
    }

    @Test
    void aChangedFileIsPickedUpWithoutARestart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("key");
        Files.writeString(file, KEY_1 + "\n");
        ManagementKeys keys = new ManagementKeys(config(Optional.of(KEY_2), Optional.of(file.toString())));
        assertThat(keys.operatorWide()).contains(ApiKey.of(KEY_1));

        Files.writeString(file, KEY_2);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(keys.operatorWide()).contains(ApiKey.of(KEY_2));

        Files.delete(file);
        assertThat(keys.operatorWide()).isEmpty();
    }

    @Test
    void theValueIsUsedOnlyWithoutAFileAndBlankMeansMissing() {
        assertThat(new ManagementKeys(config(Optional.of(KEY_1), Optional.empty())).operatorWide()).contains(ApiKey.of(KEY_1));
        assertThat(new ManagementKeys(config(Optional.of("  "), Optional.empty())).operatorWide()).isEmpty();
        assertThat(new ManagementKeys(config(Optional.empty(), Optional.empty())).operatorWide()).isEmpty();
    }
}
