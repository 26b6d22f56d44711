package dev.mai.operator.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the operator's configuration lets a MaiClient's application do: which images it may run
 * ({@code MAI_APP_ALLOWED_IMAGES}) and on which nodes ({@code MAI_APP_ALLOWED_NODE_SELECTOR_KEYS},
 * {@code MAI_APP_ALLOWED_TOLERATION_KEYS}). Whoever may edit a MaiClient with spec.app runs a pod;
 * these limits are the cluster administrator's, not the tenant's.
 *
 * <p>Image entries are registry/path prefixes matched on whole path segments, after both sides are
 * read as the runtime reads them ({@link ImageReference}): {@code ghcr.io/acme/} admits
 * {@code ghcr.io/acme/x} (any tag or digest) but not {@code ghcr.io/acme-evil/x} nor
 * {@code ghcr.io/acme} itself; {@code ghcr.io/acme} (no trailing slash) admits that repository and
 * everything under it; {@code ghcr.io} admits that whole registry; {@code acme/} is Docker Hub's
 * {@code docker.io/acme/}, and {@code nginx} is {@code docker.io/library/nginx}. An entry carries no tag or
 * digest (it is refused at start).
 */
public final class AppPolicy {

    /** In a key list: any key. */
    public static final String ANY = "*";

    /** No image limit, no node selector keys, no tolerations: the defaults. */
    public static final AppPolicy DEFAULT = new AppPolicy(Optional.empty(), Set.of(), Set.of());

    private final Optional<List<ImagePrefix>> images;
    private final Set<String> nodeSelectorKeys;
    private final Set<String> tolerationKeys;

    private AppPolicy(Optional<List<ImagePrefix>> images, Set<String> nodeSelectorKeys, Set<String> tolerationKeys) {
        this.images = images;
        this.nodeSelectorKeys = nodeSelectorKeys;
        this.tolerationKeys = tolerationKeys;
    }


    public static AppPolicy of(Optional<List<String>> images, List<String> nodeSelectorKeys, List<String> tolerationKeys) {
        return new AppPolicy(images.map(AppPolicy::prefixes), keys(nodeSelectorKeys), keys(tolerationKeys));
    }

    private static Set<String> keys(List<String> keys) {
        Set<String> out = new LinkedHashSet<>();
        keys.stream().map(String::strip).filter(k -> !k.isEmpty()).forEach(out::add);
        return Set.copyOf(out);
    }

    private static List<ImagePrefix> prefixes(List<String> entries) {
        List<ImagePrefix> out = new ArrayList<>();
        for (String raw : entries) {
            String entry = raw.strip();
            if (!entry.isEmpty()) {
                out.add(ImagePrefix.parse(entry));
            }
        }
        return List.copyOf(out);
    }

    /** Why the image may not run here, or empty when it may. */
    public Optional<String> refuseImage(String image) {
        if (images.isEmpty()) {
            return Optional.empty();
        }
        String allowed = "this operator runs only images under " + String.join(", ", images.get().stream().map(ImagePrefix::text).toList())
                + " (MAI_APP_ALLOWED_IMAGES; prefixes match whole path segments)";
        Optional<ImageReference> reference = ImageReference.parse(image);
        if (reference.isEmpty()) {
            return Optional.of("must be an image reference ([registry/]path[:tag][@digest], lower-case path): " + allowed);
        }
        return images.get().stream().anyMatch(p -> p.admits(reference.get())) ? Optional.empty() : Optional.of("is not allowed: " + allowed);
    }

    public boolean nodeSelectorKeyAllowed(String key) {
        return nodeSelectorKeys.contains(ANY) || nodeSelectorKeys.contains(key);
    }

    /** A toleration without a key tolerates every taint: allowed only with {@code *}. */
    public boolean tolerationKeyAllowed(String key) {
        return tolerationKeys.contains(ANY) || key != null && !key.isEmpty() && tolerationKeys.contains(key);
    }

    public String nodeSelectorKeys() {
        return describe(nodeSelectorKeys);
    }

    public String tolerationKeys() {
        return describe(tolerationKeys);
    }

    private static String describe(Set<String> keys) {
        return keys.isEmpty() ? "none" : String.join(", ", keys.stream().sorted().toList());
    }

    /**
     * One allow-list entry. {@code below}: the entry ended in '/', so only repositories under it
     * match; otherwise the repository itself matches too. An empty path stands for a whole registry.
     */
    public record ImagePrefix(String text, ImageReference prefix, boolean below) {

        public static ImagePrefix parse(String entry) {
            boolean below = entry.endsWith("/");
            String name = below ? entry.substring(0, entry.length() - 1) : entry;
            boolean registryOnly = !name.contains("/") && (name.contains(".") || name.contains(":") || name.equals("localhost"));
            if (!registryOnly && (name.contains("@") || name.lastIndexOf(':') > name.lastIndexOf('/'))) {
                throw new IllegalArgumentException("MAI_APP_ALLOWED_IMAGES: entry '" + entry + "' has a tag or digest; "
                        + "entries are registry/path prefixes such as ghcr.io/acme/");
            }
            return new ImagePrefix(entry, ImageReference.repository(name, !below).orElseThrow(() -> new IllegalArgumentException(
                    "MAI_APP_ALLOWED_IMAGES: entry '" + entry + "' is not a registry/path prefix such as ghcr.io/acme/")), below);
        }

        boolean admits(ImageReference image) {
            if (!prefix.registry().equals(image.registry())) {
                return false;
            }
            if (prefix.path().isEmpty()) {
                return true;
            }
            return image.path().startsWith(prefix.path() + "/") || !below && image.path().equals(prefix.path());
        }
    }
}
