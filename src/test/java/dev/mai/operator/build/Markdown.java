package dev.mai.operator.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Markdown text as the documentation tests read it: its headings, sections and table rows, as
 * GitHub renders them: fenced code blocks and HTML comments are blank lines ({@link
 * MarkdownLinks#visibleLines}), a table needs a delimiter row of as many cells as its header, and a
 * row's cells beyond the header's are not shown, so not read. {@code first} is the line number of its first line in {@code name}, so a row
 * of a section is reported where an editor finds it.
 */
record Markdown(String name, List<String> lines, int first) {

    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern DELIMITER_ROW = Pattern.compile("^\\|?\\s*:?-+:?\\s*(\\|\\s*:?-+:?\\s*)*\\|?$");
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");

    /** One row of a table's body: where it is ({@code file:line}) and its cells, stripped. */
    record Row(String where, List<String> cells) {

        String cell(int index) {
            return index < cells.size() ? cells.get(index) : "";
        }
    }

    /** README.md and every {@code docs/**}{@code /*.md}: the documents a user reads. */
    static List<Markdown> userDocs() {
        return MarkdownLinks.userDocFiles().stream().map(Markdown::read).toList();
    }

    static Markdown read(Path file) {
        try {
            return new Markdown(file.toString(), MarkdownLinks.visibleLines(Files.readString(file)), 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Markdown of(String name, String text) {
        return new Markdown(name, MarkdownLinks.visibleLines(text), 1);
    }

    /**
     * The text under the heading titled {@code title}, up to the next heading of any level (its own
     * text, its subsections left out); fails when no heading has that title.
     */
    Markdown section(String title) {
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            Matcher h = HEADING.matcher(lines.get(i));
            if (!h.matches()) {
                continue;
            }
            if (start >= 0) {
                return new Markdown(name, lines.subList(start, i), first + start);
            }
            if (h.group(2).equals(title)) {
                start = i + 1;
            }
        }
        if (start < 0) {
            throw new AssertionError(name + " has no heading \"" + title + "\"");
        }
        return new Markdown(name, lines.subList(start, lines.size()), first + start);
    }

    /**
     * The body rows of every table (a run of lines starting with {@code |} whose second line is a
     * delimiter row with as many cells as the first), each cut to the header's number of cells.
     */
    List<Row> tableRows() {
        return tables().stream().flatMap(List::stream).toList();
    }

    /** Each table's body rows, in the order of the text; a table without body rows is left out. */
    List<List<Row>> tables() {
        List<List<Row>> tables = new ArrayList<>();
        List<Row> table = new ArrayList<>();
        int tableLine = -1;
        int width = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith("|")) {
                tableLine = -1;
                if (!table.isEmpty()) {
                    tables.add(table);
                    table = new ArrayList<>();
                }
                continue;
            }
            tableLine++;
            if (tableLine == 0) {
                width = cells(line).size();
            }
            if (tableLine == 1 && (!DELIMITER_ROW.matcher(line).matches() || cells(line).size() != width)) {
                tableLine = -1_000_000; // no delimiter row of the header's width: not a table, up to the next non-table line
            }
            if (tableLine >= 2) {
                List<String> cells = cells(line);
                table.add(new Row(name + ":" + (first + i), cells.subList(0, Math.min(width, cells.size()))));
            }
        }
        if (!table.isEmpty()) {
            tables.add(table);
        }
        return tables;
    }

    /**
     * Where a run of lines starting with {@code |} is no table on GitHub, {@code file:line} of its first
     * line each: its second line is not a delimiter row ({@code |---|---|}) of as many cells as its first.
     * Such a run shows as text full of pipes, and no test reads its rows.
     */
    List<String> notTables() {
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            boolean starts = line.startsWith("|") && (i == 0 || !lines.get(i - 1).strip().startsWith("|"));
            if (starts) {
                String next = i + 1 < lines.size() ? lines.get(i + 1).strip() : "";
                if (!DELIMITER_ROW.matcher(next).matches() || cells(next).size() != cells(line).size()
                        || DELIMITER_ROW.matcher(line).matches()) {
                    found.add(name + ":" + (first + i));
                }
            }
        }
        return found;
    }

    /** The contents of the code spans ({@code `...`}) of a cell. */
    static List<String> codeSpans(String cell) {
        List<String> spans = new ArrayList<>();
        Matcher m = CODE_SPAN.matcher(cell);
        while (m.find()) {
            spans.add(m.group(1));
        }
        return spans;
    }

    /** The cells of a table line: split at {@code |} outside code spans and not escaped. */
    static List<String> cells(String line) {
        String row = line.strip();
        row = row.startsWith("|") ? row.substring(1) : row;
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean code = false;
        for (int i = 0; i < row.length(); i++) {
            char c = row.charAt(i);
            if (c == '`') {
                code = !code;
            }
            if (c == '|' && !code && (i == 0 || row.charAt(i - 1) != '\\')) {
                cells.add(cell.toString().strip());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        if (!cell.toString().isBlank()) {
            cells.add(cell.toString().strip());
        }
        return cells;
    }
}
