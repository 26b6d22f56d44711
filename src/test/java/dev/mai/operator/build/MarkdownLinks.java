package dev.mai.operator.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks the relative links of Markdown files the way GitHub resolves them: the target file or folder
 * exists inside the repository, relative to the linking file, and a {@code #anchor} names a heading of
 * the target Markdown file under GitHub's slug rules. Links to http(s) and mailto are not followed;
 * links inside fenced code blocks and inline code are not links. An absolute path, another scheme, or
 * a path that climbs above the repository's root is a problem by itself: it does not work on GitHub.
 * HTML comments are not rendered: a link or heading inside one is none, so a heading hidden in a
 * comment is no anchor, and neither is an anchor on a folder (GitHub does not check it).
 */
public final class MarkdownLinks {

    /** The target of an inline link or image: {@code ](target)} or {@code ](<target> "title")}. */
    private static final Pattern INLINE = Pattern.compile("\\]\\(\\s*(<[^>\\n]*>|[^)\\s]+)(?:\\s+(?:\"[^\"]*\"|'[^']*'))?\\s*\\)");
    /** A reference definition: {@code [label]: target}. */
    private static final Pattern REFERENCE = Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*(<[^>]*>|\\S+)");
    private static final Pattern HREF = Pattern.compile("<a\\s[^>]*\\bhref\\s*=\\s*[\"']([^\"']*)[\"']", Pattern.CASE_INSENSITIVE);
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s[^>]*\\b(?:name|id)\\s*=\\s*[\"']([^\"']+)[\"']", Pattern.CASE_INSENSITIVE);
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
    private static final Pattern ATX_HEADING = Pattern.compile("^ {0,3}#{1,6}(?:[ \\t]+(.*?))?(?:[ \\t]+#+)?[ \\t]*$");
    private static final Pattern SETEXT_UNDERLINE = Pattern.compile("^ {0,3}(=+|-+)[ \\t]*$");
    /** A code span: a run of backticks not escaped, up to a run of the same length (CommonMark). */
    private static final Pattern CODE_SPAN = Pattern.compile("(?<![\\\\`])(`+)(?!`)(.+?)(?<!`)\\1(?!`)");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    private static final Pattern WINDOWS_PATH = Pattern.compile("^[A-Za-z]:[\\\\/]");

    private final Path root;
    private final Map<Path, Set<String>> anchors = new HashMap<>();

    private MarkdownLinks(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * Every broken link of the given Markdown files, one line each: {@code file:line: link: why}, the
     * file relative to {@code root}. Empty when every link resolves.
     */
    /** The documents a user reads: README.md and every {@code docs/**}{@code /*.md}, in a fixed order. */
    public static List<Path> userDocFiles() {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.walk(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    static List<String> problems(Path root, List<Path> markdownFiles) {
        MarkdownLinks check = new MarkdownLinks(root);
        List<String> problems = new ArrayList<>();
        for (Path file : markdownFiles) {
            Path absolute = check.root.resolve(file).normalize();
            List<String> lines = proseLines(read(absolute));
            for (int i = 0; i < lines.size(); i++) {
                for (String link : links(lines.get(i))) {
                    String why = check.whyBroken(absolute, link);
                    if (why != null) {
                        problems.add(check.root.relativize(absolute) + ":" + (i + 1) + ": " + link + ": " + why);
                    }
                }
            }
        }
        return problems;
    }

    /** GitHub's anchor for each heading of a Markdown text, in order, duplicates numbered -1, -2, ... */
    public static List<String> headingSlugs(String markdown) {
        Map<String, Integer> occurrences = new HashMap<>();
        List<String> slugs = new ArrayList<>();
        for (String heading : headings(markdown)) {
            String base = slug(heading);
            String result = base;
            while (occurrences.containsKey(result)) {
                int next = occurrences.merge(base, 1, Integer::sum);
                result = base + "-" + next;
            }
            occurrences.put(result, 0);
            slugs.add(result);
        }
        return slugs;
    }

    /** GitHub's slug of one heading's text: lowercase, only letters, digits, spaces, '-' and '_', spaces to '-'. */
    static String slug(String headingText) {
        return rendered(headingText).toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{M}\\p{N} _-]", "")
                .replace(' ', '-');
    }

    private String whyBroken(Path from, String rawLink) {
        String link = rawLink.startsWith("<") && rawLink.endsWith(">") ? rawLink.substring(1, rawLink.length() - 1) : rawLink;
        String lower = link.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("mailto:")) {
            return null;
        }
        if (link.startsWith("/") || link.startsWith("\\") || WINDOWS_PATH.matcher(link).find() || lower.startsWith("file:")) {
            return "an absolute path; links must be relative to the linking file";
        }
        if (SCHEME.matcher(link).find()) {
            return "a scheme other than http(s) or mailto";
        }
        int hash = link.indexOf('#');
        String pathPart = hash < 0 ? link : link.substring(0, hash);
        String anchor = hash < 0 ? null : link.substring(hash + 1);
        int query = pathPart.indexOf('?');
        if (query >= 0) {
            pathPart = pathPart.substring(0, query);
        }
        Path target = pathPart.isEmpty() ? from : from.getParent().resolve(decode(pathPart)).normalize();
        if (!target.startsWith(root)) {
            return "leaves the repository";
        }
        if (!Files.exists(target)) {
            return "no such file or folder: " + root.relativize(target);
        }
        if (anchor != null && Files.isDirectory(target)) {
            return "an anchor on a folder; link to the Markdown file that has the heading";
        }
        if (anchor == null || !isMarkdown(target)) {
            return null;
        }
        if (!anchorsOf(target).contains(decode(anchor))) {
            return "no heading with the anchor #" + anchor + " in " + root.relativize(target);
        }
        return null;
    }

    private Set<String> anchorsOf(Path markdownFile) {
        return anchors.computeIfAbsent(markdownFile, file -> {
            String text = read(file);
            Set<String> found = new HashSet<>(headingSlugs(text));
            for (String line : proseLines(text)) {
                Matcher html = HTML_ANCHOR.matcher(line);
                while (html.find()) {
                    found.add(html.group(1));
                }
            }
            return found;
        });
    }

    private static boolean isMarkdown(Path file) {
        return Files.isRegularFile(file) && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".md");
    }

    /** The targets of the links on one line of prose. */
    private static List<String> links(String line) {
        List<String> found = new ArrayList<>();
        for (Pattern pattern : List.of(INLINE, REFERENCE, HREF)) {
            Matcher matcher = pattern.matcher(line);
            while (matcher.find()) {
                found.add(matcher.group(1));
            }
        }
        return found;
    }

    /** The text's lines, with fenced code blocks and HTML comments blanked and inline code spans removed; line numbers kept. */
    private static List<String> proseLines(String text) {
        return visibleLines(text).stream().map(line -> CODE_SPAN.matcher(line).replaceAll("")).toList();
    }

    /**
     * The text's lines as a reader sees their Markdown: every line of a fenced code block (fences
     * included) is blank, and so is everything between {@code <!--} and {@code -->} outside code
     * (GitHub renders neither as prose, tables or headings; a fence inside a comment opens nothing);
     * line numbers are kept.
     */
    static List<String> visibleLines(String text) {
        List<String> visible = new ArrayList<>();
        String fence = null;
        boolean comment = false;
        for (String line : text.split("\\r?\\n", -1)) {
            Matcher opening = FENCE.matcher(line);
            if (fence != null) {
                fence = closes(line.strip(), fence) ? null : fence;
                visible.add("");
            } else if (!comment && opening.find()) {
                fence = opening.group(1);
                visible.add("");
            } else {
                StringBuilder shown = new StringBuilder();
                comment = uncommented(line, comment, shown);
                visible.add(shown.toString());
            }
        }
        return visible;
    }

    /** Appends the part of {@code line} outside HTML comments to {@code shown}; whether a comment is still open after it. */
    private static boolean uncommented(String line, boolean inComment, StringBuilder shown) {
        boolean comment = inComment;
        int at = 0;
        while (true) {
            int next = comment ? line.indexOf("-->", at) : commentStart(line, at);
            if (next < 0) {
                if (!comment) {
                    shown.append(line, at, line.length());
                }
                return comment;
            }
            if (!comment) {
                shown.append(line, at, next);
            }
            at = next + (comment ? 3 : 4);
            comment = !comment;
        }
    }

    /** Where an HTML comment starts on {@code line} from {@code from}, outside code spans; -1 if none. */
    private static int commentStart(String line, int from) {
        for (int at = line.indexOf("<!--", from); at >= 0; at = line.indexOf("<!--", at + 1)) {
            Matcher code = CODE_SPAN.matcher(line);
            boolean inCode = false;
            while (code.find()) {
                inCode |= code.start() <= at && at < code.end();
            }
            if (!inCode) {
                return at;
            }
        }
        return -1;
    }

    /** A closing fence: the opening's character, at least as many, and nothing else. */
    private static boolean closes(String line, String fence) {
        return line.startsWith(fence) && line.chars().allMatch(c -> c == fence.charAt(0));
    }

    /** The text of each ATX and setext heading outside code fences and HTML comments, in order. */
    private static List<String> headings(String markdown) {
        List<String> lines = visibleLines(markdown);
        List<String> headings = new ArrayList<>();
        String previous = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher atx = ATX_HEADING.matcher(line);
            if (atx.matches()) {
                headings.add(atx.group(1) == null ? "" : atx.group(1).strip());
                previous = null;
            } else if (previous != null && !previous.isBlank() && !previous.startsWith("    ")
                    && SETEXT_UNDERLINE.matcher(line).matches()) {
                headings.add(previous.strip());
                previous = null;
            } else {
                previous = line;
            }
        }
        return headings;
    }

    /** A heading's text as GitHub renders it: code spans keep their content, links keep their text, tags go. */
    private static String rendered(String heading) {
        return CODE_SPAN.matcher(heading).replaceAll(match -> Matcher.quoteReplacement(match.group(2).strip()))
                .replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
                .replaceAll("<[^>]+>", "");
    }

    private static String decode(String part) {
        return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
