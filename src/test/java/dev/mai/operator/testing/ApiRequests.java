package dev.mai.operator.testing;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the operator itself asks of the Kubernetes API, as RBAC sees it: (verb, group, resource,
 * subresource, scope) for every request whose user agent is the operator's
 * ({@code mai-operator/<version> (<pod>)}), told apart from the tests' own client. Each tier writes
 * what it saw to {@code target/operator-requests/<tier>.txt}; {@code RbacIT} checks the union
 * against deploy/operator/rbac.yaml. Names, bodies and query values are never kept.
 */
public final class ApiRequests {

    /** Where the tiers write what they recorded. */
    public static final Path DIR = Path.of("target/operator-requests");
    /** The user agent prefix of the operator's own Kubernetes client (see dev.mai.operator.ha.UserAgent). */
    public static final String OPERATOR_AGENT = "mai-operator/";

    /**
     * Scopes: a cluster-scoped resource, a namespaced one across all namespaces, in the operator's own
     * namespace, in another; a non-resource URL (discovery, /version).
     */
    public static final String CLUSTER = "cluster", ALL_NAMESPACES = "all-namespaces", OWN_NAMESPACE = "own-namespace",
            NAMESPACE = "namespace", NON_RESOURCE = "non-resource";

    private static final Set<String> CLUSTER_SCOPED = Set.of("namespaces", "nodes", "customresourcedefinitions",
            "selfsubjectrulesreviews", "selfsubjectaccessreviews", "clusterroles", "clusterrolebindings", "persistentvolumes");

    /**
     * One request as an RBAC rule would match it. {@code group} is "" for the core group;
     * {@code subresource} "" for none; {@code name} is kept only in the operator's own namespace
     * (where rules name their objects) and is "" elsewhere. A non-resource request has its path as
     * {@code resource}.
     */
    public record ApiRequest(String verb, String group, String resource, String subresource, String scope, String name)
            implements Comparable<ApiRequest> {

        /** The same request without the object's name: for counting kinds of requests. */
        public ApiRequest withoutName() {
            return name.isEmpty() ? this : new ApiRequest(verb, group, resource, subresource, scope, "");
        }

        /** A write: what changes the cluster. */
        public boolean isWrite() {
            return Set.of("create", "update", "patch", "delete", "deletecollection").contains(verb);
        }

        /** {@code resource} or {@code resource/subresource}, as RBAC rules name it. */
        public String rbacResource() {
            return subresource.isEmpty() ? resource : resource + "/" + subresource;
        }

        String line() {
            return String.join(" ", verb, group.isEmpty() ? "core" : group, rbacResource(), scope, name.isEmpty() ? "-" : name);
        }

        static ApiRequest fromLine(String line) {
            String[] f = line.trim().split(" ");
            String[] res = NON_RESOURCE.equals(f[3]) ? new String[] {f[2]} : f[2].split("/", 2);
            return new ApiRequest(f[0], "core".equals(f[1]) ? "" : f[1], res[0], res.length > 1 ? res[1] : "", f[3],
                    "-".equals(f[4]) ? "" : f[4]);
        }

        @Override
        public int compareTo(ApiRequest o) {
            return line().compareTo(o.line());
        }

        @Override
        public String toString() {
            return line();
        }
    }

    private static final Set<ApiRequest> RECORDED = ConcurrentHashMap.newKeySet();

    private ApiRequests() {
    }

    /**
     * Parses a request the way the API server's request-info resolver does.
     */
    public static ApiRequest parse(String method, String pathAndQuery, String operatorNamespace) {
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
        List<String> seg = new ArrayList<>(List.of(path.replaceAll("^/+|/+$", "").split("/")));
        String group;
        if (seg.size() >= 3 && "api".equals(seg.get(0))) {
            group = "";
            seg = seg.subList(2, seg.size());
        } else if (seg.size() >= 4 && "apis".equals(seg.get(0))) {
            group = seg.get(1);
            seg = seg.subList(3, seg.size());
        } else {
            return new ApiRequest("GET".equals(method) ? "get" : method.toLowerCase(), "", path, "", NON_RESOURCE, "");
        }
        String namespace = null;
        if (seg.size() >= 3 && "namespaces".equals(seg.get(0))) {
            namespace = seg.get(1);
            seg = seg.subList(2, seg.size());
        }
        String resource = seg.get(0);
        boolean named = seg.size() >= 2;
        String subresource = seg.size() >= 3 ? seg.get(2) : "";
        boolean watch = Stream.of(query.split("&")).anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
        String verb = switch (method) {
            case "GET" -> named ? "get" : watch ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method.toLowerCase();
        };
        String scope = CLUSTER_SCOPED.contains(resource) ? CLUSTER
                : namespace == null ? ALL_NAMESPACES
                : namespace.equals(operatorNamespace) ? OWN_NAMESPACE : NAMESPACE;
        String name = OWN_NAMESPACE.equals(scope) && named ? seg.get(1) : "";
        if (OWN_NAMESPACE.equals(scope) && !named && "GET".equals(method)) {
            // an informer on one object: list/watch with fieldSelector=metadata.name=<name>
            name = Stream.of(query.split("&")).filter(p -> p.startsWith("fieldSelector=metadata.name%3D") || p.startsWith("fieldSelector=metadata.name="))
                    .map(p -> p.replaceFirst("fieldSelector=metadata.name(%3D|=)", "")).findFirst().orElse("");
        }
        return new ApiRequest(verb, group, resource, subresource, scope, name);
    }

    /** Records the request when the operator made it. */
    public static void record(String method, String path, String userAgent, String operatorNamespace) {
        if (userAgent != null && userAgent.startsWith(OPERATOR_AGENT)) {
            RECORDED.add(parse(method, path, operatorNamespace));
        }
    }

    /** Takes every request the mock server queued so far, recording the operator's. */
    public static List<RecordedRequest> drain(KubernetesMockServer mock, String operatorNamespace) throws InterruptedException {
        List<RecordedRequest> out = new ArrayList<>();
        RecordedRequest r;
        while ((r = mock.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
            record(r.getMethod(), r.getPath(), r.getHeader("User-Agent"), operatorNamespace);
            out.add(r);
        }
        return out;
    }

    /** Everything recorded in this JVM so far. */
    public static Set<ApiRequest> recorded() {
        return Set.copyOf(RECORDED);
    }

    /**
     * Adds what was recorded to {@code target/operator-requests/<tier>.txt}. The first write of a
     * JVM replaces what an earlier build left; later ones merge, because each Quarkus test
     * application has its own class loader and so its own copy of this class.
     */
    public static void write(String tier) {
        synchronized (System.class) { // one lock for every class loader of the JVM
            Path file = DIR.resolve(tier + ".txt");
            // not under "mai.": the operator's config mapping refuses unknown properties of its prefix
            String marker = "operator-requests-written." + tier;
            try {
                Files.createDirectories(DIR);
                Set<ApiRequest> all = new TreeSet<>(RECORDED);
                if (System.getProperty(marker) != null && Files.exists(file)) {
                    all.addAll(read(tier));
                }
                System.setProperty(marker, "written");
                Files.write(file, all.stream().map(ApiRequest::line).toList());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** What a tier wrote. */
    public static Set<ApiRequest> read(String tier) throws IOException {
        Path file = DIR.resolve(tier + ".txt");
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: the " + tier + " tier has not run in this build (mvn verify runs it)");
        }
        Set<ApiRequest> out = new TreeSet<>();
        Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(ApiRequest::fromLine).forEach(out::add);
        return out;
    }
}
