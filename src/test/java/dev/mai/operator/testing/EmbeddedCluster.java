package dev.mai.operator.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectRulesReviewStatusBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An in-process Kubernetes API: fabric8's CRUD mock server on loopback over HTTP, with the
 * committed MaiClient CRD installed and a kubeconfig file that points a separate operator process
 * at it. No admission, no schema validation, no garbage collection (the real-cluster tier has them).
 *
 * <p>Like a real API server it answers SelfSubjectRulesReviews (JOSDK's leader election checks its
 * Lease access with one) from the operator's RBAC in {@code deploy/operator/rbac.yaml}, the Role
 * counting in the operator's namespace. Every request the operator makes is recorded for
 * {@code RbacIT} ({@link ApiRequests}, tier {@value #TIER}).
 */
public final class EmbeddedCluster implements AutoCloseable {

    /** The name under which the operator's requests to embedded clusters are recorded. */
    public static final String TIER = "processes";
    /** The operator's RBAC, as deploy/ installs it. */
    public static final Path RBAC = Path.of("deploy/operator/rbac.yaml");

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private volatile String operatorNamespace;
    private volatile boolean keepEvents = true;
    /** What each operator process (by user agent) asked, as RBAC sees it. */
    private final Map<String, Set<ApiRequests.ApiRequest>> byAgent = new ConcurrentHashMap<>();
    /** How many of each the operator (any process) asked: what make bench counts. */
    private final Map<ApiRequests.ApiRequest, LongAdder> counts = new ConcurrentHashMap<>();

    public EmbeddedCluster(Path crd) throws IOException {
        // the mock server logs every request at INFO through java.util.logging
        Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), expectations,
                new Recording(new DryRun(new KubernetesMixedDispatcher(expectations), expectations)), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        try (InputStream in = Files.newInputStream(crd)) {
            client.resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class)).create();
        }
    }

    /** A client of the embedded API for the harness itself. */
    public KubernetesClient client() {
        return client;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Writes a kubeconfig whose current context is this API, with {@code namespace} as default namespace. */
    public Path writeKubeconfig(Path file, String namespace) throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: embedded
                  cluster: {server: "%s"}
                users:
                - name: demo
                  user: {token: embedded-api-needs-no-credentials}
                contexts:
                - name: embedded
                  context: {cluster: embedded, user: demo, namespace: %s}
                current-context: embedded
                """.formatted(url(), namespace);
        operatorNamespace = namespace;
        Files.createDirectories(file.getParent());
        Files.writeString(file, yaml);
        return file;
    }

    /** What the operator process named {@code identity} (its HOSTNAME) asked of this API server so far. */
    public Set<ApiRequests.ApiRequest> requestsOf(String identity) {
        return byAgent.entrySet().stream().filter(e -> e.getKey().endsWith("(" + identity + ")"))
                .flatMap(e -> e.getValue().stream()).collect(Collectors.toSet());
    }

    /**
     * Accepts Events without storing them (make bench): fabric8's mock keeps every object of every
     * kind in one store and scans it on each request, so two Events per MaiClient would slow every
     * other request down; the operator never reads Events back. Events are still counted.
     */
    public EmbeddedCluster withoutEventStorage() {
        keepEvents = false;
        return this;
    }

    /** How many requests of each kind (names left out) the operator made so far. */
    public Map<ApiRequests.ApiRequest, Long> operatorRequestCounts() {
        Map<ApiRequests.ApiRequest, Long> out = new HashMap<>();
        counts.forEach((r, n) -> out.put(r, n.sum()));
        return out;
    }

    /**
     * Drops the requests the mock web server queued for takeRequest (it keeps every one, bodies
     * included): a long run (make bench) would otherwise hold them all.
     */
    public void discardQueuedRequests() throws InterruptedException {
        while (server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS) != null) {
            // counted above already
        }
    }

    /**
     * Every place a secret of {@code openRouter}, or a key typed into a Secret here, shows in what the
     * run captured: the operators' {@code logs} (and the {@code /q/metrics} text each kept beside its
     * log), every request body this API server received (Secret data excepted; events and status
     * writes included) and every request body the simulator received. Takes the queued requests.
     */
    public List<String> leaks(OpenRouterSimulator openRouter, List<Path> logs) throws IOException, InterruptedException {
        LeakScan.Capture capture = new LeakScan.Capture();
        RecordedRequest request;
        while ((request = server.takeRequest(10, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
            capture.apiRequest(request.getMethod(), request.getPath(), request.getUtf8Body());
        }
        for (Path log : logs) {
            capture.add(log.toString(), Files.readString(log));
            Path metrics = OperatorProcess.metricsOf(log);
            if (Files.exists(metrics)) {
                capture.add(metrics.toString(), Files.readString(metrics));
            }
        }
        capture.simulator(openRouter);
        return capture.leaks(openRouter.issuedSecrets());
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
        ApiRequests.write(TIER);
    }

    /** Records the operator's requests and answers SelfSubjectRulesReviews; everything else is CRUD. */
    private final class Recording extends Dispatcher {

        private final Dispatcher crud;

        Recording(Dispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String agent = request.getHeader("User-Agent");
            ApiRequests.record(request.getMethod(), request.getPath(), agent, operatorNamespace);
            if (agent != null && agent.startsWith(ApiRequests.OPERATOR_AGENT)) {
                ApiRequests.ApiRequest parsed = ApiRequests.parse(request.getMethod(), request.getPath(), operatorNamespace);
                byAgent.computeIfAbsent(agent, a -> ConcurrentHashMap.newKeySet()).add(parsed);
                if (!request.getPath().contains("dryRun=All")) {
                    // a dry run (the Secret asked about before a key is made) stores nothing: not a write to count
                    counts.computeIfAbsent(parsed.withoutName(), r -> new LongAdder()).increment();
                }
            }
            if ("POST".equals(request.getMethod()) && request.getPath().startsWith("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")) {
                return rulesReview(request);
            }
            if (!keepEvents && "POST".equals(request.getMethod()) && request.getPath().matches("/api/v1/namespaces/[^/]+/events")) {
                return new MockResponse().setResponseCode(201).setBody(request.getUtf8Body());
            }
            return crud.dispatch(request);
        }

        @Override
        public void shutdown() {
            crud.shutdown();
        }

        private MockResponse rulesReview(RecordedRequest request) {
            var json = client.getKubernetesSerialization();
            SelfSubjectRulesReview review = json.unmarshal(request.getUtf8Body(), SelfSubjectRulesReview.class);
            List<ResourceRule> rules = new ArrayList<>();
            try (InputStream in = Files.newInputStream(RBAC)) {
                for (HasMetadata item : client.load(in).items()) {
                    List<PolicyRule> granted = item instanceof ClusterRole role ? role.getRules()
                            : item instanceof Role role && review.getSpec().getNamespace().equals(operatorNamespace) ? role.getRules()
                            : List.of();
                    granted.forEach(r -> rules.add(new ResourceRuleBuilder().withApiGroups(r.getApiGroups())
                            .withResources(r.getResources()).withVerbs(r.getVerbs()).withResourceNames(r.getResourceNames()).build()));
                }
            } catch (IOException e) {
                return new MockResponse().setResponseCode(500).setBody(e.toString());
            }
            review.setStatus(new SubjectRulesReviewStatusBuilder().withResourceRules(rules).withIncomplete(false).build());
            return new MockResponse().setResponseCode(201).setBody(json.asJson(review));
        }
    }
}
