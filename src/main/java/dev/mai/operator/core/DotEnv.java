package dev.mai.operator.core;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Writes {@code .env} files that python-dotenv (what the application reads), Docker Compose's
 * {@code env_file} and a POSIX shell's {@code .} all read back to exactly the original values.
 *
 * <p>Single quotes carry everything literally in all three readers, except that python-dotenv
 * turns {@code \\} into {@code \} and {@code \'} into {@code '} inside them. So a value goes into
 * single quotes unless it contains {@code '}, a doubled backslash or a trailing backslash; then it
 * goes into double quotes with {@code \} and {@code "} escaped, which works only when it has no
 * {@code $} or backquote (the shell would expand them, and an escape for them means something
 * different to python-dotenv). What neither form carries is refused.
 *
 * <p>python-dotenv also expands {@code ${NAME}} (and {@code ${NAME:-default}}) inside any quotes,
 * with no escape (measured with python-dotenv 1.2.2), so a value containing such a reference is
 * refused as well.
 */
public final class DotEnv {

    /** What python-dotenv's interpolation replaces, whatever the quotes (its own pattern). */
    private static final Pattern PYTHON_DOTENV_VARIABLE = Pattern.compile("\\$\\{[^}:]*(:-[^}]*)?}");

    private DotEnv() {
    }

    /** The quoted form of {@code value}, or empty when no quoting carries it through every reader. */
    public static Optional<String> quote(String value) {
        if (unquotable(value).isPresent()) {
            return Optional.empty();
        }
        if (fitsSingleQuotes(value)) {
            return Optional.of("'" + value + "'");
        }
        return Optional.of('"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
    }

    /**
     * Why a value cannot be written, or empty when it can: the rule is stated in words, for the
     * {@code InvalidSpec} message.
     */
    public static Optional<String> unquotable(String value) {
        if (value.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
            return Optional.of("must not contain line breaks or NUL");
        }
        if (value.indexOf('\'') >= 0 && value.chars().anyMatch(c -> c == '"' || c == '$' || c == '`' || c == '\\')) {
            return Optional.of("a value containing ' may not also contain \", $, ` or \\ (no .env quoting carries it "
                    + "through python-dotenv, Docker Compose and sh alike)");
        }
        if (PYTHON_DOTENV_VARIABLE.matcher(value).find()) {
            return Optional.of("must not contain a ${NAME} reference (python-dotenv expands it inside any quotes)");
        }
        if (!fitsSingleQuotes(value) && value.chars().anyMatch(c -> c == '$' || c == '`')) {
            return Optional.of("a value with a doubled or trailing backslash may not also contain $ or ` (no .env "
                    + "quoting carries it through python-dotenv, Docker Compose and sh alike)");
        }
        return Optional.empty();
    }

    /**
     * The value a {@code NAME=} line's right-hand side holds, as python-dotenv reads it for the forms
     * {@link #quote} writes: single quotes literal, double quotes with {@code \\} and {@code \"}
     * escaped; unquoted text (what older scripts wrote) up to an inline {@code  #} comment, stripped.
     */
    public static String unquote(String raw) {
        String text = raw.strip();
        if (!text.isEmpty() && (text.charAt(0) == '\'' || text.charAt(0) == '"')) {
            char quote = text.charAt(0);
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == quote) {
                    break; // what follows the closing quote is a comment
                }
                if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '\\' || text.charAt(i + 1) == quote)) {
                    c = text.charAt(++i);
                }
                out.append(c);
            }
            return out.toString();
        }
        int comment = text.indexOf(" #");
        return (comment >= 0 ? text.substring(0, comment) : text).strip();
    }

    private static boolean fitsSingleQuotes(String value) {
        return value.indexOf('\'') < 0 && !value.contains("\\\\") && !value.endsWith("\\");
    }

    /**
     * A whole file: comment lines (each prefixed with {@code # }), then one {@code NAME=value} line per
     * entry in the map's order. Values must be quotable; comments must not contain line breaks.
     */
    public static String render(Iterable<String> comments, Map<String, String> variables) {
        StringBuilder out = new StringBuilder();
        for (String comment : comments) {
            if (comment.chars().anyMatch(c -> c == '\n' || c == '\r')) {
                throw new IllegalArgumentException("comment with a line break");
            }
            out.append("# ").append(comment).append('\n');
        }
        variables.forEach((name, value) -> out.append(name).append('=')
                .append(quote(value).orElseThrow(() -> new IllegalArgumentException("unquotable value for " + name)))
                .append('\n'));
        return out.toString();
    }
}
