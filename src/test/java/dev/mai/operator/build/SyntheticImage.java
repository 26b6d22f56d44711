package dev.mai.operator.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A small image tarball in the layout build/image.sh writes (OCI layout plus Docker's manifest.json), as
 * the operator's image would look with a tiny fake Java runtime: {@link #good()} passes
 * {@link ImageTarballCheck}; each test breaks one thing to prove the check sees it.
 */
final class SyntheticImage {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String VERSION = "1.2.3";
    static final String JAVA_HOME = "usr/lib/jvm/java-17-openjdk-amd64";

    /** One tar entry of a layer. */
    record Entry(String path, byte type, int mode, int uid, String link, byte[] content) {
        static Entry dir(String path) {
            return new Entry(path, TarConstants.LF_DIR, 0755, 0, null, new byte[0]);
        }

        static Entry file(String path, int mode, int uid, String content) {
            return new Entry(path, TarConstants.LF_NORMAL, mode, uid, null, content.getBytes(StandardCharsets.UTF_8));
        }

        static Entry symlink(String path, String target) {
            return new Entry(path, TarConstants.LF_SYMLINK, 0777, 0, target, new byte[0]);
        }
    }

    final List<List<Entry>> layers = new ArrayList<>();
    final ObjectNode config = JSON.createObjectNode();
    private final List<Consumer<ObjectNode>> indexEdits = new ArrayList<>();
    private boolean dockerManifest = true;
    private boolean corruptFirstLayer;

    static SyntheticImage good() {
        SyntheticImage image = new SyntheticImage();
        image.layers.add(new ArrayList<>(List.of(Entry.dir("usr"), Entry.dir("usr/bin"),
                Entry.symlink("usr/bin/java", "/etc/alternatives/java"),
                Entry.symlink("etc/alternatives/java", "/" + JAVA_HOME + "/bin/java"),
                Entry.file(JAVA_HOME + "/bin/java", 0755, 0, "ELF"),
                Entry.file(JAVA_HOME + "/lib/server/libjvm.so", 0644, 0, "ELF"),
                Entry.symlink(JAVA_HOME + "/lib/security/cacerts", "../../../../../../etc/ssl/certs/java/cacerts"),
                Entry.file("etc/ssl/certs/java/cacerts", 0644, 0, "keystore"),
                Entry.file("usr/share/doc/libc6/copyright", 0644, 0, "GPL"))));
        image.layers.add(new ArrayList<>(List.of(new Entry("deployments", TarConstants.LF_DIR, 0755, 0, null, new byte[0]),
                Entry.file("deployments/lib/main/io.quarkus.quarkus-core-3.33.2.jar", 0644, 0, "PK"))));
        image.layers.add(new ArrayList<>(List.of(Entry.file("deployments/quarkus-run.jar", 0644, 0, "PK"),
                Entry.file("deployments/app/mai-operator-1.2.3.jar", 0644, 0, "PK"))));
        image.config.put("architecture", "amd64").put("os", "linux");
        ObjectNode c = image.config.putObject("config");
        c.put("User", "185:185").put("WorkingDir", "/deployments");
        ArrayNode entrypoint = c.putArray("Entrypoint").add("/usr/bin/java");
        ImageTarballCheck.REQUIRED_FLAGS.forEach(entrypoint::add);
        entrypoint.add("-jar").add("/deployments/quarkus-run.jar");
        c.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").add("LANG=C.UTF-8");
        c.putObject("ExposedPorts").putObject("8080/tcp");
        c.putObject("Labels").put("org.opencontainers.image.version", VERSION).put("org.opencontainers.image.licenses", "Apache-2.0")
                .put("org.opencontainers.image.title", "mai-operator")
                .put("org.opencontainers.image.source", "https://github.com/mai-dev/mai-operator");
        return image;
    }

    SyntheticImage config(Consumer<ObjectNode> edit) {
        edit.accept((ObjectNode) config.get("config"));
        return this;
    }

    SyntheticImage configRoot(String field, String value) {
        config.put(field, value);
        return this;
    }

    SyntheticImage layer(int layer, Entry... entries) {
        while (layers.size() <= layer) {
            layers.add(new ArrayList<>());
        }
        layers.get(layer).addAll(List.of(entries));
        return this;
    }

    SyntheticImage remove(String path) {
        layers.forEach(l -> l.removeIf(e -> e.path().equals(path)));
        return this;
    }

    SyntheticImage index(Consumer<ObjectNode> edit) {
        indexEdits.add(edit);
        return this;
    }

    SyntheticImage withoutDockerManifest() {
        dockerManifest = false;
        return this;
    }

    SyntheticImage corruptFirstLayer() {
        corruptFirstLayer = true;
        return this;
    }

    Path write(Path dir) throws IOException {
        List<byte[]> blobs = new ArrayList<>();
        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        ArrayNode diffIds = ((ObjectNode) config).putObject("rootfs").put("type", "layers").putArray("diff_ids");
        ArrayNode layerDescriptors = JSON.createArrayNode();
        for (List<Entry> layer : layers) {
            byte[] tar = tar(layer);
            byte[] gz = gzip(tar);
            diffIds.add(digest(tar));
            layerDescriptors.addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
                    .put("size", gz.length).put("digest", digest(gz));
            blobs.add(gz);
        }
        byte[] configBytes = JSON.writeValueAsBytes(config);
        blobs.add(configBytes);
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("size", configBytes.length).put("digest", digest(configBytes));
        manifest.set("layers", layerDescriptors);
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        blobs.add(manifestBytes);
        ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", "application/vnd.oci.image.index.v1+json");
        ObjectNode descriptor = index.putArray("manifests").addObject().put("mediaType", "application/vnd.oci.image.manifest.v1+json")
                .put("size", manifestBytes.length).put("digest", digest(manifestBytes));
        descriptor.putObject("platform").put("os", "linux").put("architecture", "amd64");
        indexEdits.forEach(e -> e.accept(index));

        Path out = Files.createTempFile(dir, "image", ".oci.tar");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(out))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            put(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            put(tar, "index.json", JSON.writeValueAsBytes(index));
            if (dockerManifest) {
                ArrayNode docker = JSON.createArrayNode();
                ObjectNode entry = docker.addObject().put("Config", OciImage.blob(digest(configBytes)));
                entry.putArray("RepoTags").add("mai-operator:" + VERSION);
                ArrayNode layerPaths = entry.putArray("Layers");
                layerDescriptors.forEach(l -> layerPaths.add(OciImage.blob(l.path("digest").asText())));
                put(tar, "manifest.json", JSON.writeValueAsBytes(docker));
            }
            for (int i = 0; i < blobs.size(); i++) {
                byte[] content = blobs.get(i).clone();
                String name = OciImage.blob(digest(content));
                if (i == 0 && corruptFirstLayer) {
                    // gzip's OS byte: the layer still decompresses, only its digest no longer matches
                    content[9] ^= 1;
                }
                put(tar, name, content);
            }
        }
        return out;
    }

    private static byte[] tar(List<Entry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry entry = new TarArchiveEntry(e.path() + (e.type() == TarConstants.LF_DIR ? "/" : ""), e.type());
                entry.setMode(e.mode());
                entry.setIds(e.uid(), e.uid());
                if (e.link() != null) {
                    entry.setLinkName(e.link());
                }
                entry.setSize(e.type() == TarConstants.LF_NORMAL ? e.content().length : 0);
                tar.putArchiveEntry(entry);
                if (e.type() == TarConstants.LF_NORMAL) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(content);
        }
        return bytes.toByteArray();
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static String digest(byte[] content) {
        return "sha256:" + HexFormat.of().formatHex(OciImage.sha256().digest(content));
    }
}
