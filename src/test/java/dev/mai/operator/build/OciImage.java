package dev.mai.operator.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * An OCI image layout tarball read the way a container runtime reads it: {@code index.json}, its one
 * manifest, the config, Docker's {@code manifest.json} when present, and the layers stacked into one file
 * tree (whiteouts applied), in which paths resolve through the image's own symlinks. Every blob's
 * content is checked against its digest; what does not hold together is in {@link #structureProblems}.
 */
final class OciImage {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** index.json, manifests and configs are small; layers are streamed. */
    private static final long SMALL = 4L << 20;
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";

    /** What a tar entry is. */
    enum Kind { FILE, DIR, SYMLINK, HARDLINK, OTHER }

    /** One entry of a layer: its path (relative, no leading slash), type, mode, owner and link target. */
    record Node(int layer, String path, Kind kind, int mode, long uid, long gid, String link, long size) {
    }

    /** A path resolved through symlinks: where it ends and what is there. */
    record Resolved(String path, Node node) {
    }

    final JsonNode index;
    final JsonNode manifest;
    final JsonNode config;
    /** Docker's manifest.json (docker load, crane push), or null. */
    final JsonNode dockerManifest;
    final List<String> structureProblems = new ArrayList<>();
    /** Every entry of every layer, including what a later layer deletes: it still ships. */
    final List<Node> layerEntries = new ArrayList<>();
    /** The stacked file tree, by path. */
    final NavigableMap<String, Node> files = new TreeMap<>();

    private OciImage(JsonNode index, JsonNode manifest, JsonNode config, JsonNode dockerManifest) {
        this.index = index;
        this.manifest = manifest;
        this.config = config;
        this.dockerManifest = dockerManifest;
    }

    static OciImage read(Path tarball) throws IOException {
        Map<String, byte[]> small = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tarball)))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                String name = normalize(e.getName());
                if (!e.isFile()) {
                    continue;
                }
                MessageDigest sha = sha256();
                byte[] bytes = null;
                if (e.getSize() <= SMALL) {
                    bytes = in.readAllBytes();
                    sha.update(bytes);
                    small.put(name, bytes);
                } else {
                    in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), sha));
                }
                if (name.startsWith("blobs/sha256/") && !name.equals("blobs/sha256/" + HexFormat.of().formatHex(sha.digest()))) {
                    problems.add("blob " + name + " does not match its digest");
                }
            }
        }
        JsonNode index = json(small, "index.json", problems);
        if (!small.containsKey("oci-layout")) {
            problems.add("no oci-layout file: not an OCI image layout");
        }
        JsonNode manifests = index.path("manifests");
        if (manifests.size() != 1) {
            problems.add("index.json lists " + manifests.size() + " manifests, expected exactly one image");
        }
        JsonNode manifest = json(small, blob(manifests.path(0).path("digest").asText()), problems);
        JsonNode config = json(small, blob(manifest.path("config").path("digest").asText()), problems);
        JsonNode docker = small.containsKey("manifest.json") ? json(small, "manifest.json", problems) : null;
        OciImage image = new OciImage(index, manifest, config, docker);
        image.structureProblems.addAll(problems);
        JsonNode layers = manifest.path("layers");
        for (int i = 0; i < layers.size(); i++) {
            image.stack(tarball, i, layers.get(i));
        }
        return image;
    }

    private void stack(Path tarball, int layer, JsonNode descriptor) throws IOException {
        String name = blob(descriptor.path("digest").asText());
        try (TarArchiveInputStream outer = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tarball)))) {
            for (TarArchiveEntry e = outer.getNextEntry(); e != null; e = outer.getNextEntry()) {
                if (normalize(e.getName()).equals(name)) {
                    InputStream content = descriptor.path("mediaType").asText().endsWith("+gzip")
                            ? new GzipCompressorInputStream(outer) : outer;
                    try {
                        apply(layer, readLayer(layer, new TarArchiveInputStream(content)));
                    } catch (IOException unreadable) {
                        structureProblems.add("layer " + layer + " (" + name + ") cannot be read: " + unreadable.getMessage());
                    }
                    return;
                }
            }
        }
        structureProblems.add("layer " + layer + " (" + name + ") is not in the tarball");
    }

    private static List<Node> readLayer(int layer, TarArchiveInputStream in) throws IOException {
        List<Node> nodes = new ArrayList<>();
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
            String path = normalize(e.getName());
            if (path.isEmpty()) {
                continue;
            }
            Kind kind = e.isSymbolicLink() ? Kind.SYMLINK : e.isLink() ? Kind.HARDLINK
                    : e.isDirectory() ? Kind.DIR : e.isFile() ? Kind.FILE : Kind.OTHER;
            String link = kind == Kind.HARDLINK ? normalize(e.getLinkName()) : e.getLinkName();
            nodes.add(new Node(layer, path, kind, e.getMode(), e.getLongUserId(), e.getLongGroupId(), link, e.getSize()));
        }
        return nodes;
    }

    /** Whiteouts of a layer delete from the layers below it; then its entries are added. */
    private void apply(int layer, List<Node> nodes) {
        for (Node n : nodes) {
            String parent = parent(n.path());
            String name = n.path().substring(parent.isEmpty() ? 0 : parent.length() + 1);
            if (name.equals(OPAQUE)) {
                files.keySet().removeIf(p -> p.startsWith(parent.isEmpty() ? "" : parent + "/") && files.get(p).layer() < layer);
            } else if (name.startsWith(WHITEOUT)) {
                String gone = (parent.isEmpty() ? "" : parent + "/") + name.substring(WHITEOUT.length());
                files.keySet().removeIf(p -> p.equals(gone) || p.startsWith(gone + "/"));
            }
        }
        for (Node n : nodes) {
            layerEntries.add(n);
            String name = n.path().substring(n.path().lastIndexOf('/') + 1);
            if (!name.startsWith(WHITEOUT)) {
                files.put(n.path(), n);
            }
        }
    }

    /** Follows symlinks in every component of an absolute path, as the kernel does in the container. */
    Resolved resolve(String absolute) {
        Deque<String> todo = new ArrayDeque<>(Arrays.asList(absolute.split("/")));
        List<String> done = new ArrayList<>();
        int hops = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            done.add(c);
            String path = String.join("/", done);
            Node n = files.get(path);
            if (n == null) {
                // a layer may hold a file without entries for its parent directories
                String child = files.ceilingKey(path + "/");
                if (!todo.isEmpty() && child != null && child.startsWith(path + "/")) {
                    continue;
                }
                return null;
            }
            if (n.kind() == Kind.SYMLINK) {
                if (++hops > 40) {
                    return null;
                }
                done.remove(done.size() - 1);
                if (n.link().startsWith("/")) {
                    done.clear();
                }
                List<String> target = Arrays.asList(n.link().split("/"));
                for (int i = target.size() - 1; i >= 0; i--) {
                    todo.addFirst(target.get(i));
                }
            }
        }
        String path = String.join("/", done);
        Node node = files.get(path);
        if (node != null && node.kind() == Kind.HARDLINK) {
            node = files.get(node.link());
        }
        return node == null && !path.isEmpty() ? null : new Resolved("/" + path, node);
    }

    static String normalize(String name) {
        String n = name;
        while (n.startsWith("./") || n.startsWith("/")) {
            n = n.substring(n.startsWith("/") ? 1 : 2);
        }
        while (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        return n.equals(".") ? "" : n;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    static String blob(String digest) {
        return "blobs/" + digest.replaceFirst(":", "/");
    }

    private static JsonNode json(Map<String, byte[]> small, String name, List<String> problems) throws IOException {
        byte[] bytes = small.get(name);
        if (bytes == null) {
            problems.add(name + " is not in the tarball");
            return JSON.createObjectNode();
        }
        return JSON.readTree(bytes);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
