package dev.mai.operator.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * Looks for secrets in captured text: each secret in plain form, JSON-escaped form, and base64 at
 * each of the three byte alignments it can have inside a longer encoded value.
 */
public final class LeakScan {

    private LeakScan() {
    }

    /** The forms of {@code secret} worth searching for. */
    public static List<String> forms(String secret) {
        List<String> forms = new ArrayList<>();
        forms.add(secret);
        forms.add(secret.replace("-", "\\u002d"));
        for (int shift = 0; shift < 3; shift++) {
            byte[] bytes = ("\0\0".substring(0, shift) + secret).getBytes(StandardCharsets.UTF_8);
            String encoded = Base64.getEncoder().encodeToString(bytes);
            // drop the characters that depend on what stands before or after the secret
            forms.add(encoded.substring(4, encoded.length() - 4));
        }
        return forms;
    }

    /** Descriptions of every place a secret appears in {@code text}; empty when clean. */
    public static List<String> find(String where, String text, Collection<String> secrets) {
        List<String> hits = new ArrayList<>();
        for (String secret : secrets) {
            for (String form : forms(secret)) {
                if (text.contains(form)) {
                    hits.add(where + " contains a secret (" + secret.substring(0, 12) + "... as " + form.substring(0, 8) + "...)");
                }
            }
        }
        return hits;
    }
}
