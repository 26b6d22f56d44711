package dev.mai.operator.core;

import dev.mai.operator.openrouter.ApiKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * The operator-wide management key, as both front ends read it: from the file MAI_PROVISIONING_KEY_FILE
 * names (re-read only when its time or size changed, so a rotated Kubernetes Secret mount takes effect
 * without a restart), else the value of MAI_PROVISIONING_KEY.
 */
public final class ManagementKeyFile {

    private final Optional<String> file;
    private final Optional<String> value;
    private volatile Cached cached;

    private record Cached(FileTime modified, long size, Optional<ApiKey> key) {
    }

    /** {@code file}: MAI_PROVISIONING_KEY_FILE; {@code value}: MAI_PROVISIONING_KEY. */
    public ManagementKeyFile(Optional<String> file, Optional<String> value) {
        this.file = file;
        this.value = value;
    }

    /** The operator-wide key, or empty when none is configured (or the file is empty or missing). */
    public Optional<ApiKey> get() {
        Optional<String> named = file.filter(f -> !f.isBlank());
        if (named.isPresent()) {
            return fromFile(Path.of(named.get()));
        }
        return value.filter(k -> !k.isBlank()).map(ApiKey::of);
    }

    private Optional<ApiKey> fromFile(Path path) {
        try {
            FileTime modified = Files.getLastModifiedTime(path);
            long size = Files.size(path);
            Cached c = cached;
            if (c != null && c.modified().equals(modified) && c.size() == size) {
                return c.key();
            }
            String text = Files.readString(path, StandardCharsets.UTF_8).strip();
            Optional<ApiKey> key = text.isEmpty() ? Optional.empty() : Optional.of(ApiKey.of(text));
            cached = new Cached(modified, size, key);
            return key;
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read MAI_PROVISIONING_KEY_FILE " + path, e);
        }
    }
}
