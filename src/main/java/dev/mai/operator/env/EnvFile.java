package dev.mai.operator.env;

import dev.mai.operator.core.DotEnv;
import dev.mai.operator.core.Environment;
import dev.mai.operator.openrouter.ApiKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code .env} file as the mai-env command sees it: its own block, delimited by marker comments,
 * and every other line, kept exactly as written. The block holds the operator's {@code .env} content
 * (the six variables and the comment header) and bookkeeping comments: the id that this file's keys
 * carry in their names, where the file was written (host and absolute path: a copy of the file in
 * another folder carries the same id, and is told apart by this), the limit reset asked for,
 * while a key creation has not finished, when it started, while an adoption has not finished, the
 * hash of the key being adopted, and, once the key was handed to a MaiClient, which one.
 *
 * <p>Variables of the block's names found outside it (a file the old script wrote) are read as
 * remembered values and dropped, so each name is assigned once.
 */
final class EnvFile {

    static final String BEGIN = "# >>> mai-env";
    static final String END = "# <<< mai-env";
    static final String ID = "# mai-env-id: ";
    static final String LIMIT_RESET = "# mai-env-limit-reset: ";
    static final String CREATE_STARTED = "# mai-env-create-started: ";
    static final String LOCATION = "# mai-env-location: ";
    /** The hash of a key this file is adopting, written before the PATCH that renames it (crash safety). */
    static final String ADOPT_STARTED = "# mai-env-adopt-started: ";
    /** The MaiClient this file's key was handed to ({@code mai-env export}): from then on no run acts for the file. */
    static final String MOVED_TO = "# mai-env-moved-to: ";
    /** What an id looks like: a UUID, the form the key-name suffix carries. */
    static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** A {@code NAME=value} line, optionally with {@code export}, as python-dotenv and sh read them. */
    private static final Pattern ASSIGNMENT = Pattern.compile("\\s*(?:export\\s+)?([A-Za-z_][A-Za-z0-9_.]*)\\s*=(.*)");
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    /**
     * The block as it is to be written. {@code body} is the {@code .env} content; null keeps what the
     * file holds now (its block's variables, and those of the block's names found outside it), so that
     * a key is never taken out of the file before its successor is in. {@code adoptStarted}: the hash
     * of a key being adopted, or null; {@code movedTo}: the MaiClient the key was handed to, or null.
     */
    record Block(String id, String location, String limitReset, Instant createStarted, String adoptStarted, String movedTo,
            String body) {
    }

    private final Path path;
    private final String content;
    private final boolean exists;
    private final StringBuilder kept = new StringBuilder();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final StringBuilder body = new StringBuilder();
    private final StringBuilder outsideLines = new StringBuilder();
    private final Set<String> notes = new LinkedHashSet<>();
    /** Where in the kept lines the block goes: where the first line of ours was; -1: at the end. */
    private int blockAt = -1;
    private int keptVariables;
    private String id;
    private String location;
    private String limitReset;
    private Instant createStarted;
    private String adoptStarted;
    private String movedTo;

    private EnvFile(Path path, String content, boolean exists) {
        this.path = path;
        this.content = content;
        this.exists = exists;
    }

    /**
     * The file {@code path} stands for: absolute, a symbolic link followed to the file it names. A
     * link is refused to a run as root (a link in a folder others may write could name any file on
     * the system, and root would rewrite it) and to anyone when it names a file outside the link's
     * own directory.
     */
    static Path resolve(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        if (!Files.isSymbolicLink(absolute)) {
            return absolute;
        }
        if (runByRoot()) {
            throw new Refused(absolute + " is a symbolic link (to " + Files.readSymbolicLink(absolute) + "), and mai-env "
                    + "run as root never follows one: it would rewrite whatever file the link names, and a link in a folder "
                    + "others may write can name any file on the system. This run changed nothing. Run mai-env as the user "
                    + "who owns the file, or give --out the file itself");
        }
        Path target = absolute.toRealPath();
        if (!target.getParent().equals(absolute.getParent().toRealPath())) {
            throw new Refused(absolute + " is a symbolic link to " + target + ", outside its own directory, and mai-env "
                    + "follows a link only to a file beside it. This run changed nothing. To write that file, give --out "
                    + target + " (or replace the link with the file)");
        }
        return target;
    }

    /**
     * Whether this process runs as root (real or effective user id 0, as {@code /proc/self/status}
     * tells; elsewhere, the user name).
     */
    static boolean runByRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring("Uid:".length()).strip().split("\\s+");
                    return ids[0].equals("0") || ids.length > 1 && ids[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the name is what is left
        }
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * A file mai-env will not use as it is (a broken block, a link it does not follow): the message says
     * why and what to do, and nothing was changed.
     */
    static class Refused extends IOException {
        Refused(String message) {
            super(message, null);
        }
    }

    /** The lock file next to a {@code .env} that keeps two runs on the same file apart. */
    static Path lockFile(Path resolved) {
        return resolved.resolveSibling(resolved.getFileName() + ".mai-env.lock");
    }

    /**
     * Opens (creating it when missing) the lock file of {@code target} without following a symbolic
     * link: a run as root must not create, truncate or lock whatever file a link in a shared folder
     * names. Refuses anything but a regular file (a FIFO would block the open forever).
     */
    static FileChannel openLock(Path target) throws IOException {
        Path lock = lockFile(target);
        if (Files.isSymbolicLink(lock) || Files.exists(lock, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(lock, LinkOption.NOFOLLOW_LINKS)) {
            throw new LockRefused(lock);
        }
        try {
            return FileChannel.open(lock, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    ownerOnly(target.getParent()));
        } catch (FileSystemException e) {
            if (Files.isSymbolicLink(lock)) {
                throw new LockRefused(lock); // replaced by a link between the check and the open
            }
            throw e;
        }
    }

    /** The lock file is a symbolic link or not a regular file: the run stops without opening it. */
    static final class LockRefused extends Refused {
        LockRefused(Path lock) {
            super(lock + " is a symbolic link or not a regular file; mai-env opens its lock file only as a regular "
                    + "file and never follows a link there (a run as root would write wherever it points). Remove "
                    + lock + " and run again");
        }
    }

    /**
     * Gives the lock file the owner and group of {@code target} where they differ (a run as root),
     * so that the next run as the file's owner can open it. Best effort: a run that may not change
     * an owner leaves it.
     */
    static void shareOwnership(Path lock, Path target) {
        try {
            PosixFileAttributes file = Files.readAttributes(target, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            keepOwnership(lock, file);
        } catch (IOException | UnsupportedOperationException e) {
            // no file yet, no POSIX owners, or not allowed: the lock stays as it is
        }
    }

    /**
     * Where {@code target} is, as its block records it: this host's name and the absolute path, with
     * the directory's symbolic links resolved (so {@code ./.env} and {@code .env} are one place).
     * Characters that would break the comment line are written as {@code %XX}.
     */
    static String locationOf(Path target) {
        Path where = target.toAbsolutePath().normalize();
        try {
            where = where.getParent().toRealPath().resolve(where.getFileName());
        } catch (IOException e) {
            // no directory yet: the file does not exist, so there is no recorded place to compare with
        }
        StringBuilder out = new StringBuilder(host()).append(':');
        where.toString().codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f || c == '%') {
                out.append(String.format("%%%02X", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /**
     * This machine's name as the kernel has it ({@code /proc/sys/kernel/hostname}), else as Java
     * finds it. Not the HOSTNAME variable, which {@code sudo} drops: the name must be the same for
     * every run on one machine.
     */
    static String host() {
        try {
            String kernel = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).strip();
            if (!kernel.isEmpty()) {
                return kernel;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux: ask Java
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }

    /**
     * Whether the file at {@code location} (when it is on this host) still holds a mai-env block with
     * {@code id}: then a file carrying that id elsewhere is a copy, not the original moved.
     */
    static boolean stillHolds(String location, String id) {
        String prefix = host() + ":";
        if (!location.startsWith(prefix)) {
            return false; // another machine's file: this run cannot look
        }
        StringBuilder path = new StringBuilder();
        String encoded = location.substring(prefix.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length() && encoded.substring(i + 1, i + 3).matches("[0-9A-F]{2}")) {
                path.append((char) Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                path.append(c);
            }
        }
        try {
            return Files.readString(Path.of(path.toString()), StandardCharsets.UTF_8)
                    .lines().anyMatch(l -> l.strip().equals((ID + id).strip()));
        } catch (IOException | RuntimeException e) {
            return false; // gone (or unreadable, which the person who said --moved knows better about)
        }
    }

    /** Reads the file {@link #resolve} gave (a missing file reads as empty). */
    static EnvFile read(Path target) throws IOException {
        removeStaleTemporaries(target);
        String text;
        try {
            // the path is resolved already: a link found here now was put in since, and is not followed
            try (var in = Files.newInputStream(target, LinkOption.NOFOLLOW_LINKS)) {
                // strict, as Files.readString: bytes that are not UTF-8 stop the run rather than being rewritten
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(in.readAllBytes())).toString();
            }
        } catch (NoSuchFileException e) {
            return new EnvFile(target, "", false);
        }
        EnvFile file = new EnvFile(target, text, true);
        file.parse();
        return file;
    }

    private void parse() throws IOException {
        Map<String, String> outside = new LinkedHashMap<>();
        List<String> lines = List.of(content.split("(?<=\n)"));
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (isBegin(line)) {
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).strip().startsWith(END)) {
                    end++;
                }
                if (end == lines.size() || id != null) {
                    throw new Refused(path + " was left as it is: its mai-env block " + (id != null ? "appears twice"
                            : "has no end line \"" + END + "\"") + ", and mai-env does not guess which lines are its own. Mend "
                            + "the file (one block, from \"" + BEGIN + "\" to \"" + END + "\") and run again");
                }
                placeBlock();
                lines.subList(i + 1, end).forEach(this::blockLine);
                i = end;
                continue;
            }
            Matcher m = ASSIGNMENT.matcher(chomp(line));
            if (!m.matches()) {
                kept.append(line);
                continue;
            }
            // a quoted value may go on over the next lines; one never closed is that line alone (as python-dotenv reads it)
            int last = i;
            StringBuilder value = new StringBuilder(m.group(2));
            while (unclosed(value.toString()) && last + 1 < lines.size() && !isBegin(lines.get(last + 1))) {
                value.append('\n').append(chomp(lines.get(++last)));
            }
            if (unclosed(value.toString())) {
                last = i;
                value = new StringBuilder(m.group(2));
            }
            String raw = String.join("", lines.subList(i, last + 1));
            i = last;
            if (Environment.VARIABLES.contains(m.group(1))) {
                placeBlock();
                outside.put(m.group(1), DotEnv.unquote(value.toString()));
                outsideLines.append(raw).append(raw.endsWith("\n") ? "" : "\n");
            } else {
                kept.append(raw);
                keptVariables++;
            }
        }
        outside.forEach(values::putIfAbsent);
    }

    private static boolean isBegin(String line) {
        return line.strip().startsWith(BEGIN);
    }

    /** The block takes the place of the first line of ours, so that references to its variables keep their order. */
    private void placeBlock() {
        if (blockAt < 0) {
            if (kept.length() > 0 && kept.charAt(kept.length() - 1) != '\n') {
                kept.append('\n');
            }
            blockAt = kept.length();
        }
    }

    private void blockLine(String line) {
        String bare = chomp(line).strip();
        if (bare.startsWith(ID)) {
            String value = bare.substring(ID.length()).strip();
            id = UUID.matcher(value).matches() ? value : null;
        } else if (bare.startsWith(LOCATION)) {
            location = bare.substring(LOCATION.length()).strip();
        } else if (bare.startsWith(LIMIT_RESET)) {
            limitReset = bare.substring(LIMIT_RESET.length()).strip();
        } else if (bare.startsWith(ADOPT_STARTED)) {
            adoptStarted = bare.substring(ADOPT_STARTED.length()).strip();
        } else if (bare.startsWith(MOVED_TO)) {
            movedTo = bare.substring(MOVED_TO.length()).strip();
        } else if (bare.startsWith(CREATE_STARTED)) {
            try {
                createStarted = Instant.parse(bare.substring(CREATE_STARTED.length()).strip());
            } catch (DateTimeParseException e) {
                createStarted = Instant.EPOCH; // unreadable: still an unfinished create, and an old one
            }
        } else {
            Matcher m = ASSIGNMENT.matcher(bare);
            if (m.matches() && Environment.VARIABLES.contains(m.group(1))) {
                values.put(m.group(1), DotEnv.unquote(m.group(2)));
            }
            body.append(chomp(line)).append('\n');
        }
    }

    /** True when a value opens a quote it does not close on this line (python-dotenv reads on). */
    private static boolean unclosed(String value) {
        String v = value.stripLeading();
        if (v.isEmpty() || v.charAt(0) != '\'' && v.charAt(0) != '"') {
            return false;
        }
        char quote = v.charAt(0);
        for (int i = 1; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return false;
            }
        }
        return true;
    }

    private static String chomp(String line) {
        return line.endsWith("\n") ? line.substring(0, line.length() - (line.endsWith("\r\n") ? 2 : 1)) : line;
    }

    Path path() {
        return path;
    }

    boolean exists() {
        return exists;
    }

    /** The file as it was read. */
    String content() {
        return content;
    }

    /** A variable of the block's names, as the file holds it (inside the block, else outside it). */
    Optional<String> value(String name) {
        return Optional.ofNullable(values.get(name)).filter(v -> !v.isBlank());
    }

    Optional<ApiKey> key() {
        return value(Environment.API_KEY).map(ApiKey::of);
    }

    Optional<String> keyHash() {
        return value(Environment.KEY_HASH);
    }

    Optional<String> id() {
        return Optional.ofNullable(id);
    }

    /** Where the file was when a former run wrote it ({@link #locationOf}); empty in files older than this line. */
    Optional<String> location() {
        return Optional.ofNullable(location).filter(l -> !l.isEmpty());
    }

    /** The limit reset a former run asked for: daily, weekly, monthly or never. */
    Optional<String> limitReset() {
        return Optional.ofNullable(limitReset);
    }

    /** When a key creation began that this file does not show the end of. */
    Optional<Instant> createStarted() {
        return Optional.ofNullable(createStarted);
    }

    /**
     * The hash of the key an adoption that has not finished was taking over (as written: the caller
     * checks it is a hash before it goes anywhere).
     */
    Optional<String> adoptStarted() {
        return Optional.ofNullable(adoptStarted).filter(h -> !h.isEmpty());
    }

    /** The MaiClient (and when) this file's key was handed to by {@code mai-env export}, as the block says it. */
    Optional<String> movedTo() {
        return Optional.ofNullable(movedTo).filter(m -> !m.isEmpty());
    }

    /** How many variables outside the block the file holds (they are kept). */
    int keptVariables() {
        return keptVariables;
    }

    /** The whole file with {@code block} in place of the old one: the other lines first, as they were. */
    String render(Block block) {
        int at = blockAt < 0 ? kept.length() : blockAt;
        StringBuilder out = new StringBuilder(kept.substring(0, at));
        if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
            out.append('\n');
        }
        out.append(BEGIN).append(": the lines up to the end marker are rewritten by every run; all others are kept\n");
        // keeping what the file holds: lines found outside the block first, so that the block's own values win
        out.append(block.body() != null ? block.body() : outsideLines.toString() + body);
        out.append(ID).append(block.id()).append('\n');
        out.append(LOCATION).append(block.location()).append('\n');
        out.append(LIMIT_RESET).append(Optional.ofNullable(block.limitReset()).orElse("never")).append('\n');
        if (block.createStarted() != null) {
            out.append(CREATE_STARTED).append(block.createStarted()).append('\n');
        }
        if (block.adoptStarted() != null) {
            out.append(ADOPT_STARTED).append(block.adoptStarted()).append('\n');
        }
        if (block.movedTo() != null) {
            out.append(MOVED_TO).append(block.movedTo()).append('\n');
        }
        out.append(END).append('\n');
        out.append(kept.substring(at));
        return out.toString();
    }

    /**
     * Replaces the file with {@code text} atomically: a temporary file in the same directory, created
     * readable and writable by its owner only before anything is written to it, synced, then renamed
     * over the file. Readers see the old file or the new one, never a part; the key never sits in a
     * file others may read.
     */
    void write(String text) throws IOException {
        Path dir = path.getParent();
        PosixFileAttributes before = ownership();
        Path temporary = Files.createTempFile(dir, temporaryPrefix(path), ".tmp", ownerOnly(dir));
        try {
            writeSynced(temporary, text);
            // after sudo mai-env, Docker Compose run as the file's owner must still read it: the new file keeps owner and group
            if (before != null) {
                for (String lost : keepOwnership(temporary, before)) {
                    notes.add("Could not keep " + lost + " of " + path + " (only root may give a file away): it now "
                            + "belongs to the user who ran mai-env. Check that Docker Compose's user can still read it.");
                }
            }
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Writes a file other than the {@code .env} (the manifests of {@code mai-env export}) as {@link #write}
     * does: mode 0600 before anything is in it, synced, renamed over {@code target} (a symbolic link
     * there is replaced, never followed).
     */
    static void writeOwnerOnly(Path target, String text) throws IOException {
        Path dir = target.getParent();
        Path temporary = Files.createTempFile(dir, temporaryPrefix(target), ".tmp", ownerOnly(dir));
        try {
            writeSynced(temporary, text);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static void writeSynced(Path file, String text) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
    }

    private static String temporaryPrefix(Path target) {
        return "." + target.getFileName() + ".mai-env-";
    }

    /** Removes what a run killed between creating a temporary file and renaming it left (it may hold a key). */
    private static void removeStaleTemporaries(Path target) throws IOException {
        String prefix = temporaryPrefix(target);
        try (var siblings = Files.newDirectoryStream(target.getParent(), p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp");
        })) {
            for (Path stale : siblings) {
                Files.deleteIfExists(stale);
            }
        } catch (NoSuchFileException e) {
            // no directory: reading finds no file, writing reports it
        }
    }

    /** The owner and group of the file as it is now; null when there is none, or no POSIX owners. */
    private PosixFileAttributes ownership() throws IOException {
        try {
            return Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Gives {@code file} the owner and group of {@code like} where they differ; returns what could not be set. */
    private static List<String> keepOwnership(Path file, PosixFileAttributes like) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributes now = view.readAttributes();
        List<String> lost = new ArrayList<>();
        if (!now.group().equals(like.group())) {
            try {
                view.setGroup(like.group());
            } catch (FileSystemException e) {
                lost.add("the group " + like.group().getName());
            }
        }
        if (!now.owner().equals(like.owner())) {
            try {
                view.setOwner(like.owner());
            } catch (FileSystemException e) {
                lost.add("the owner " + like.owner().getName());
            }
        }
        return lost;
    }

    /** What writing could not do as asked (an owner not kept), for the run to tell; never a key. */
    Set<String> notes() {
        return notes;
    }

    /** Puts the file back as it was read: the same content, or no file when there was none. */
    void restore() throws IOException {
        if (exists) {
            write(content);
        } else {
            Files.deleteIfExists(path);
        }
    }

    /** Makes the rename durable (best effort: not every file system lets a directory be opened). */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // the rename is done; only its durability across a power cut is left to the file system
        }
    }

    /** Whether the file is readable or writable by anyone but its owner (POSIX file systems only). */
    boolean openToOthers() throws IOException {
        try {
            PosixFileAttributes now = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return now.isRegularFile() && !OWNER_ONLY.containsAll(now.permissions());
        } catch (UnsupportedOperationException notPosix) {
            return false;
        }
    }

    /** Narrows the file to its owner (0600). */
    void restrictToOwner() throws IOException {
        try {
            Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(OWNER_ONLY);
        } catch (UnsupportedOperationException notPosix) {
            // no POSIX permissions to set
        }
    }

    /** Mode 0600 from the start, where the file system has POSIX permissions. */
    static FileAttribute<?>[] ownerOnly(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
    }
}
