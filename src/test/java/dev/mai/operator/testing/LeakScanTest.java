package dev.mai.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The leak scan finds a key in every form it claims to, wherever in a longer text it stands. */
class LeakScanTest {

    private static final String HEX = "0123456789abcdef".repeat(3) + "fedcba9876543210";
    private static final String KEY = "sk-or-v1-" + HEX;
    /** Texts of every length before the key, so that base64 meets it at each byte alignment. */
    private static final List<String> BEFORE = List.of("", "a", "ab", "abc", "OPENROUTER_API_KEY=", "x=\"");

    private static boolean found(String text) {
        return !LeakScan.find("sample", text, List.of(KEY)).isEmpty();
    }

    @Test
    void plainAndJsonEscaped() throws Exception {
        assertThat(found("the key is " + KEY + ".")).isTrue();
        assertThat(found(new ObjectMapper().writeValueAsString(KEY).replace("-", "\\u002d"))).isTrue();
        assertThat(found("{\"message\":\"" + KEY + "\"}")).isTrue();
    }

    @Test
    void theBare64HexAfterThePrefix() {
        assertThat(found("hash-like value " + HEX + " in a log")).isTrue();
    }

    @Test
    void standardAndUrlSafeBase64AtEveryAlignmentOfTheKeyAndOfItsHex() {
        for (String secret : List.of(KEY, HEX)) {
            for (String before : BEFORE) {
                byte[] bytes = (before + secret + "\nMORE=1").getBytes(StandardCharsets.UTF_8);
                assertThat(found(Base64.getEncoder().encodeToString(bytes))).as("base64 after %s", before).isTrue();
                assertThat(found(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes))).as("URL-safe after %s", before)
                        .isTrue();
            }
        }
    }

    @Test
    void urlSafeBase64IsAFormOfItsOwnWhereItDiffersFromStandard() {
        // an OpenRouter key's characters never give '+' or '/' in base64, but a secret typed by hand may
        String typed = "wrong management key ~~~~~~~~~~~~~~~~~~~~~~~~";
        for (String before : BEFORE) {
            byte[] bytes = (before + typed).getBytes(StandardCharsets.UTF_8);
            String urlSafe = Base64.getUrlEncoder().encodeToString(bytes);
            assertThat(urlSafe).isNotEqualTo(Base64.getEncoder().encodeToString(bytes));
            assertThat(LeakScan.find("sample", urlSafe, List.of(typed))).as("after %s", before).isNotEmpty();
        }
    }

    @Test
    void aMaskedLabelAndOtherKeysAreNoHit() {
        assertThat(found("label sk-or-v1-012...210, hash " + "9".repeat(64))).isFalse();
    }

    @Test
    void aSecretBodyIsScannedWithoutItsDataWhoseKeysAreCollected() {
        String typed = "sk-or-v1-" + "e".repeat(64);
        String env = Base64.getEncoder().encodeToString(("OPENROUTER_API_KEY=" + KEY + "\n").getBytes(StandardCharsets.UTF_8));
        String body = "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"annotations\":{\"note\":\"" + HEX + "\"}},"
                + "\"data\":{\".env\":\"" + env + "\"},\"stringData\":{\"key\":\"" + typed + "\"}}";
        Set<String> keys = new HashSet<>();
        String scanned = LeakScan.scannable("/api/v1/namespaces/a/secrets/s", body, keys);
        assertThat(keys).containsExactlyInAnyOrder(KEY, typed);
        assertThat(scanned).doesNotContain(env).doesNotContain(typed).contains("annotations");
        assertThat(found(scanned)).as("the metadata is still scanned").isTrue();

        Set<String> patched = new HashSet<>();
        String patch = "[{\"op\":\"replace\",\"path\":\"/data/key\",\"value\":\""
                + Base64.getEncoder().encodeToString(typed.getBytes(StandardCharsets.UTF_8))
                + "\"},{\"op\":\"add\",\"path\":\"/metadata/labels/x\",\"value\":\"y\"}]";
        assertThat(LeakScan.scannable("/api/v1/namespaces/a/secrets/s", patch, patched)).doesNotContain("/data/key").contains("/metadata");
        assertThat(patched).containsExactly(typed);
        // anything else is scanned whole
        assertThat(LeakScan.scannable("/api/v1/namespaces/a/events", body, new HashSet<>())).isEqualTo(body);
    }

    @Test
    void aCaptureReportsWhereAndSearchesForTypedKeysToo() {
        String typed = "sk-or-v1-" + "1".repeat(64);
        LeakScan.Capture capture = new LeakScan.Capture();
        capture.apiRequest("POST", "/api/v1/namespaces/a/secrets", "{\"data\":{\"key\":\""
                + Base64.getEncoder().encodeToString(typed.getBytes(StandardCharsets.UTF_8)) + "\"}}");
        capture.apiRequest("PATCH", "/apis/mai.dev/v1alpha1/namespaces/a/maiclients/x/status?fieldManager=m",
                "{\"status\":{\"message\":\"" + Base64.getUrlEncoder().encodeToString(typed.getBytes(StandardCharsets.UTF_8)) + "\"}}");
        // the key's base64 holds its hex's base64 as well: one hit per form found, all in the status write
        assertThat(capture.leaks(List.of())).isNotEmpty().allSatisfy(hit -> assertThat(hit)
                .startsWith("API server request PATCH /apis/mai.dev/v1alpha1/namespaces/a/maiclients/x/status contains")
                .doesNotContain(typed.substring(20)));
    }
}
