package dev.mai.operator.reconciler;

import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.openrouter.ApiKey;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * The operator-wide management key: the file named by MAI_PROVISIONING_KEY_FILE (re-read when it
 * changes, so a rotated Kubernetes Secret mount takes effect without a restart), else the value of
 * MAI_PROVISIONING_KEY.
 */
@ApplicationScoped
public class ManagementKeys {

    private final MaiConfig config;
    private volatile Cached cached;

    private record Cached(FileTime modified, long size, Optional<ApiKey> key) {
    }

    public ManagementKeys(MaiConfig config) {
        this.config = config;
    }

    /** The operator-wide key, or empty when none is configured (or the file is empty or missing). */
    public Optional<ApiKey> operatorWide() {
        Optional<String> file = config.provisioningKeyFile().filter(f -> !f.isBlank());
        if (file.isPresent()) {
            return fromFile(Path.of(file.get()));
        }
        return config.provisioningKey().filter(k -> !k.isBlank()).map(ApiKey::of);
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
