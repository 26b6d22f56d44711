package dev.mai.operator.core;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A container image reference ({@code [registry/]path[:tag][@digest]}) as the container runtime
 * reads it, so that an allow-list compares what will actually be pulled: no registry means Docker
 * Hub ({@code nginx} is {@code docker.io/library/nginx}, {@code acme/x} is {@code docker.io/acme/x}),
 * {@code index.docker.io} is {@code docker.io}, and the registry name is case-insensitive.
 *
 * @param registry the registry host (with its port, if any), lower-case
 * @param path     the repository path on that registry, without tag or digest
 */
public record ImageReference(String registry, String path) {

    public static final String DOCKER_HUB = "docker.io";
    /** One path segment: lower-case letters and digits, separated by '.', '_', '__' or dashes. */
    private static final Pattern PATH_SEGMENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern REGISTRY = Pattern.compile(
            "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");

    /** {@code registry/path}: the repository an image is pulled from. */
    public String repository() {
        return registry + "/" + path;
    }

    /** The reference of an image, or empty when it is not a valid image reference. */
    public static Optional<ImageReference> parse(String image) {
        if (image == null || image.isEmpty()) {
            return Optional.empty();
        }
        String name = image;
        int at = name.indexOf('@');
        if (at >= 0) {
            if (!DIGEST.matcher(name.substring(at + 1)).matches()) {
                return Optional.empty();
            }
            name = name.substring(0, at);
        }
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            if (!TAG.matcher(name.substring(colon + 1)).matches()) {
                return Optional.empty();
            }
            name = name.substring(0, colon);
        }
        return repository(name, true);
    }

    /**
     * A repository name without tag or digest ({@code ghcr.io/acme/mai}, {@code nginx}), or empty.
     * Also reads registry-only names such as {@code ghcr.io} (a first segment with a '.' or ':', or
     * {@code localhost}, is a registry), with an empty path. With {@code official}, a single Docker Hub
     * segment is an official image ({@code nginx} is {@code library/nginx}); without, it stays as it is
     * (the allow-list entry {@code acme/} means {@code docker.io/acme/...}).
     */
    static Optional<ImageReference> repository(String name, boolean official) {
        if (name.isEmpty() || name.length() > 255) {
            return Optional.empty();
        }
        int slash = name.indexOf('/');
        String first = slash < 0 ? name : name.substring(0, slash);
        String registry;
        String path;
        if (isRegistry(first)) {
            if (!REGISTRY.matcher(first).matches()) {
                return Optional.empty();
            }
            registry = first.toLowerCase(Locale.ROOT);
            path = slash < 0 ? "" : name.substring(slash + 1);
        } else {
            registry = DOCKER_HUB;
            path = name;
        }
        if (registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (!path.isEmpty()) {
            for (String segment : path.split("/", -1)) {
                if (!PATH_SEGMENT.matcher(segment).matches()) {
                    return Optional.empty();
                }
            }
            if (official && registry.equals(DOCKER_HUB) && !path.contains("/")) {
                path = "library/" + path; // Docker Hub's official images
            }
        } else if (slash >= 0) {
            return Optional.empty();
        }
        return Optional.of(new ImageReference(registry, path));
    }

    /** Docker's rule: the first segment names a registry if it has a '.' or a ':' or is localhost. */
    private static boolean isRegistry(String segment) {
        return segment.contains(".") || segment.contains(":") || segment.equals("localhost");
    }
}
