package dev.mai.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looks for secrets in captured text. Each secret is searched in plain form, JSON-escaped, and in
 * standard and URL-safe base64 at each of the three byte alignments it can have inside a longer
 * encoded value; for an OpenRouter key also its bare 64 hex (what follows {@code sk-or-v1-}) and that
 * in base64. {@link Capture} gathers what a test run produced, including the keys tests typed into
 * Secrets.
 */
public final class LeakScan {

    /** An OpenRouter key; group 1 is its 64 hex. */
    private static final Pattern KEY = Pattern.compile("sk-or-v1-([0-9a-f]{64})");
    /** A Secret's path on the API server: its body's data and stringData hold keys by design. */
    private static final Pattern SECRET_PATH = Pattern.compile("^/api/v1/(namespaces/[^/]+/)?secrets(/|\\?|$)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private LeakScan() {
    }

    /** The forms of {@code secret} worth searching for. */
    public static List<String> forms(String secret) {
        return List.copyOf(namedForms(secret).keySet());
    }

    /** Each form, with what it is (for the report). */
    static Map<String, String> namedForms(String secret) {
        Map<String, String> forms = new LinkedHashMap<>();
        forms.put(secret, "plain");
        forms.putIfAbsent(secret.replace("-", "\\u002d"), "JSON-escaped");
        Matcher key = KEY.matcher(secret);
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put(secret, "");
        if (key.matches()) {
            forms.putIfAbsent(key.group(1), "bare hex");
            parts.put(key.group(1), "bare hex ");
        }
        parts.forEach((part, what) -> {
            for (int shift = 0; shift < 3 && part.length() >= 12; shift++) {
                byte[] bytes = ("\0\0".substring(0, shift) + part).getBytes(StandardCharsets.UTF_8);
                // drop the characters that depend on what stands before or after the secret
                String standard = Base64.getEncoder().encodeToString(bytes);
                forms.putIfAbsent(standard.substring(4, standard.length() - 4), what + "base64, alignment " + shift);
                String urlSafe = Base64.getUrlEncoder().encodeToString(bytes);
                forms.putIfAbsent(urlSafe.substring(4, urlSafe.length() - 4), what + "URL-safe base64, alignment " + shift);
            }
        });
        return forms;
    }

    /** Descriptions of every place a secret appears in {@code text}; empty when clean. */
    public static List<String> find(String where, String text, Collection<String> secrets) {
        List<String> hits = new ArrayList<>();
        for (String secret : secrets) {
            namedForms(secret).forEach((form, what) -> {
                if (text.contains(form)) {
                    hits.add(where + " contains a secret (" + secret.substring(0, Math.min(12, secret.length() / 4)) + "... as "
                            + what + ")");
                }
            });
        }
        return hits;
    }

    /** Every place a secret appears in {@code file} (an operator's log), reported under its path; empty when clean. */
    public static List<String> inFile(Path file, Collection<String> secrets) throws IOException {
        return find(file.toString(), Files.readString(file, StandardCharsets.UTF_8), secrets);
    }

    /** Every OpenRouter key in {@code text}. */
    public static Set<String> keysIn(String text) {
        Set<String> keys = new LinkedHashSet<>();
        Matcher m = KEY.matcher(text);
        while (m.find()) {
            keys.add(m.group());
        }
        return keys;
    }

    /**
     * What of a request body sent to the API server is scanned: all of it but a Secret's
     * {@code data} and {@code stringData} (whole objects, merge patches, or JSON-patch operations on
     * them), which hold keys by design; the keys found there go to {@code typed}, to be searched for
     * everywhere else.
     */
    public static String scannable(String path, String body, Set<String> typed) {
        if (!SECRET_PATH.matcher(path).find()) {
            return body;
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(body);
        } catch (IOException e) {
            typed.addAll(keysIn(body));
            return body;
        }
        if (tree instanceof ObjectNode secret) {
            takeData(secret, typed);
        } else if (tree instanceof ArrayNode patch) {
            for (Iterator<JsonNode> ops = patch.elements(); ops.hasNext();) {
                JsonNode op = ops.next();
                String at = op.path("path").asText("");
                if (at.startsWith("/data") || at.startsWith("/stringData")) {
                    collect(op.path("value"), at.startsWith("/data"), typed);
                    ops.remove();
                }
            }
        }
        return tree.toString();
    }

    private static void takeData(ObjectNode secret, Set<String> typed) {
        collect(secret.path("data"), true, typed);
        collect(secret.path("stringData"), false, typed);
        secret.remove(List.of("data", "stringData"));
    }

    /** The keys in a value, or in each value of an object; base64-decoded first when {@code encoded}. */
    private static void collect(JsonNode value, boolean encoded, Set<String> typed) {
        if (value.isObject()) {
            value.forEach(v -> collect(v, encoded, typed));
        } else if (value.isTextual()) {
            String text = value.asText();
            if (encoded) {
                try {
                    text = new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException notBase64) {
                    // kept as sent
                }
            }
            typed.addAll(keysIn(text));
        }
    }

    /**
     * Everything a run captured, to be scanned at its end: texts by where they came from, and the keys
     * tests typed into Secrets (wrong, rejected or hand-edited ones the simulator never issued).
     */
    public static final class Capture {

        private final List<Map.Entry<String, String>> texts = new ArrayList<>();
        private final Set<String> typed = new LinkedHashSet<>();

        /** Adds a text to scan. */
        public synchronized Capture add(String where, String text) {
            if (text != null && !text.isEmpty()) {
                texts.add(Map.entry(where, text));
            }
            return this;
        }

        /** Adds a request body the API server received (a Secret's data left out, its keys remembered). */
        public synchronized Capture apiRequest(String method, String path, String body) {
            if (body != null && !body.isEmpty()) {
                String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
                add("API server request " + method + " " + bare, scannable(path, body, typed));
            }
            return this;
        }

        /** Adds every request body the simulator received. */
        public synchronized Capture simulator(OpenRouterSimulator simulator) {
            simulator.requestBodies().forEach(b -> add("OpenRouter simulator request body", b));
            return this;
        }

        /** A key a test typed into a Secret (or anywhere else the operator may read it). */
        public synchronized Capture typed(String secret) {
            typed.add(secret);
            return this;
        }

        public synchronized Set<String> typed() {
            return Set.copyOf(typed);
        }

        /** Every place one of {@code issued} or of the typed keys appears in what was captured. */
        public synchronized List<String> leaks(Collection<String> issued) {
            Set<String> secrets = new LinkedHashSet<>(issued);
            secrets.addAll(typed);
            List<String> hits = new ArrayList<>();
            for (Map.Entry<String, String> text : texts) {
                hits.addAll(find(text.getKey(), text.getValue(), secrets));
            }
            return hits;
        }

        /** Forgets the texts (already scanned); the typed keys are kept. */
        public synchronized void clearTexts() {
            texts.clear();
        }
    }
}
