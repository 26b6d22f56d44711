package dev.mai.operator.openrouter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.testing.LeakScan;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeyTest {

    private static final String KEY = "sk-or-v1-" + "a1b2c3d4".repeat(8);

    @Test
    void toStringNeverShowsTheKey() {
        ApiKey key = ApiKey.of(KEY);
        assertThat(key.toString()).doesNotContain(KEY.substring(9));
        assertThat(new CreatedKey(null, key).toString()).doesNotContain(KEY.substring(9));
        assertThat(new OpenRouterException("POST /keys", 400, "bad key " + KEY, null, null).getMessage())
                .doesNotContain(KEY).contains("sk-or-v1-***");
    }

    @Test
    void leakScanFindsTheKeyPlainJsonEscapedAndBase64AtEveryAlignment() {
        for (String prefix : List.of("", "x", "xy", "xyz")) {
            String encoded = Base64.getEncoder().encodeToString((prefix + KEY + "\n").getBytes(StandardCharsets.UTF_8));
            assertThat(LeakScan.find("sample", "data: " + encoded, List.of(KEY))).as("prefix '%s'", prefix).isNotEmpty();
        }
        assertThat(LeakScan.find("sample", "{\"k\":\"" + KEY.replace("-", "\\u002d") + "\"}", List.of(KEY))).isNotEmpty();
        assertThat(LeakScan.find("sample", "log line with " + KEY, List.of(KEY))).isNotEmpty();
        assertThat(LeakScan.find("sample", "label sk-or-v1-a1b...4d4 only", List.of(KEY))).isEmpty();
    }

    @Test
    void scrubbingWithTheKeyInHandRemovesItsBase64FormsAtEveryAlignment() {
        for (String prefix : List.of("", "x", "xy", "xyz")) {
            for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
                String encoded = encoder.encodeToString((prefix + "OPENROUTER_API_KEY=" + KEY + "\n").getBytes(StandardCharsets.UTF_8));
                String said = "denied: data..env=" + encoded + " and " + Base64.getEncoder().encodeToString(KEY.getBytes(StandardCharsets.UTF_8));
                String scrubbed = ApiKey.scrub(said, List.of(KEY));
                assertThat(LeakScan.find("scrubbed", scrubbed, List.of(KEY))).as("prefix '%s'", prefix).isEmpty();
                assertThat(scrubbed).startsWith("denied: data..env=");
            }
        }
    }
}
