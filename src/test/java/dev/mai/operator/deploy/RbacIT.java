package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.testing.ApiRequests;
import dev.mai.operator.testing.ApiRequests.ApiRequest;
import dev.mai.operator.testing.EmbeddedCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's RBAC is exact (issue 6): every request the operator itself made to the API server
 * during this build — the in-process suite ({@code mvn test}) and the packaged operator as a process
 * (the other ITs, leader election included), told apart from the tests' own requests by the
 * operator's user agent — is granted by deploy/operator/rbac.yaml, and that file grants nothing
 * else except the commented admission-only permissions below.
 *
 * <p>Runs in its own failsafe execution after every other test (pom.xml), reading what they
 * recorded in target/operator-requests/.
 */
class RbacIT {

    /**
     * Permissions demanded of the operator although it never makes the request itself: "verb group
     * resource" to why.
     */
    static final Map<String, String> ADMISSION_ONLY = Map.of(
            // The OwnerReferencesPermissionEnforcement admission plugin: setting an owner reference with
            // blockOwnerDeletion=true (JOSDK's controller references on the Secret, Deployment, Service
            // and PVC) needs update on the owner's finalizers subresource. The mock server has no admission.
            "update mai.dev maiclients/finalizers", "owner references with blockOwnerDeletion",
            // JOSDK's leader election refuses to start unless a SelfSubjectRulesReview shows get, create
            // and update on leases; fabric8's LeaseLock then renews with patch, never update.
            "update coordination.k8s.io leases", "JOSDK's start-up check of its Lease rights");

    /**
     * Requests of the in-process tier that are test set-up, not operator behaviour: its profile
     * installs the CRD through the operator's client ({@code %test.quarkus.operator-sdk.crd.apply});
     * the packaged operator does not ({@code crd.apply=false}, {@code crd.validate=false}), which
     * {@link #thePackagedOperatorNeverTouchesTheCrd()} checks.
     */
    static final String TEST_SETUP_ONLY = "customresourcedefinitions";

    /** Non-resource URLs every authenticated user may GET (Kubernetes' default system:discovery and system:public-info-viewer roles). */
    static final List<String> DISCOVERY = List.of("/api", "/api/", "/apis", "/apis/", "/version", "/healthz", "/livez", "/readyz", "/openapi/");

    private static Set<ApiRequest> recorded;
    private static Set<ApiRequest> packaged;
    private static List<PolicyRule> clusterRules;
    private static List<PolicyRule> ownNamespaceRules;

    @BeforeAll
    static void load() throws IOException {
        recorded = new TreeSet<>();
        ApiRequests.read("in-process").stream().filter(r -> !r.resource().equals(TEST_SETUP_ONLY)).forEach(recorded::add);
        packaged = ApiRequests.read(EmbeddedCluster.TIER);
        recorded.addAll(packaged);
        clusterRules = new ArrayList<>();
        ownNamespaceRules = new ArrayList<>();
        List<HasMetadata> items = Serialization.unmarshal(Files.newInputStream(EmbeddedCluster.RBAC));
        for (HasMetadata item : items) {
            if (item instanceof ClusterRole role) {
                clusterRules.addAll(role.getRules());
            } else if (item instanceof Role role) {
                assertThat(role.getMetadata().getNamespace()).as("the Role is for the operator's own namespace").isEqualTo("mai-system");
                ownNamespaceRules.addAll(role.getRules());
            }
        }
        assertThat(clusterRules).as("a ClusterRole in " + EmbeddedCluster.RBAC).isNotEmpty();
    }

    @Test
    void theRecordingCoversBothTiers() {
        // a recorder that saw nothing would make the checks below pass vacuously
        assertThat(recorded).extracting(ApiRequest::rbacResource).contains("maiclients", "maiclients/status", "secrets", "events",
                "deployments", "leases", "configmaps", "selfsubjectrulesreviews");
        assertThat(recorded).extracting(ApiRequest::verb).contains("create", "update", "patch", "watch", "list", "get");
    }

    @Test
    void thePackagedOperatorNeverTouchesTheCrd() {
        assertThat(packaged).extracting(ApiRequest::resource).isNotEmpty().doesNotContain(TEST_SETUP_ONLY);
    }

    @Test
    void everyRequestTheOperatorMadeIsGranted() {
        List<String> denied = new ArrayList<>();
        for (ApiRequest request : recorded) {
            if (ApiRequests.NON_RESOURCE.equals(request.scope())) {
                if (DISCOVERY.stream().noneMatch(p -> p.endsWith("/") ? request.resource().startsWith(p) : request.resource().equals(p))) {
                    denied.add(request + " (non-resource URL outside discovery)");
                }
                continue;
            }
            boolean granted = clusterRules.stream().anyMatch(r -> grants(r, request))
                    || ApiRequests.OWN_NAMESPACE.equals(request.scope()) && ownNamespaceRules.stream().anyMatch(r -> grants(r, request));
            if (!granted) {
                denied.add(request.toString());
            }
        }
        assertThat(denied).as("requests the operator made that deploy/operator/rbac.yaml does not grant").isEmpty();
    }

    @Test
    void theRolesGrantNothingTheOperatorDoesNotUse() {
        List<String> unused = new ArrayList<>();
        unusedGrants(clusterRules, "ClusterRole", unused);
        unusedGrants(ownNamespaceRules, "Role", unused);
        assertThat(unused).as("permissions no recorded request used and not on the admission-only list").isEmpty();
    }

    private static void unusedGrants(List<PolicyRule> rules, String where, List<String> unused) {
        for (PolicyRule rule : rules) {
            assertThat(rule.getNonResourceURLs()).as("no nonResourceURLs: discovery is every user's").isNullOrEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        assertThat(List.of(group, resource, verb)).as("no wildcards in " + where).doesNotContain("*");
                        String grant = verb + " " + (group.isEmpty() ? "core" : group) + " " + resource;
                        if (ADMISSION_ONLY.containsKey(verb + " " + group + " " + resource)) {
                            continue;
                        }
                        List<String> names = rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
                                ? List.of("") : rule.getResourceNames();
                        for (String name : names) {
                            boolean used = recorded.stream().anyMatch(r -> r.verb().equals(verb) && r.group().equals(group)
                                    && r.rbacResource().equals(resource) && (name.isEmpty() || name.equals(r.name()))
                                    && ("Role".equals(where) ? ApiRequests.OWN_NAMESPACE.equals(r.scope()) : true));
                            if (!used) {
                                unused.add(where + ": " + grant + (name.isEmpty() ? "" : " " + name));
                            }
                        }
                    }
                }
            }
        }
    }

    private static boolean grants(PolicyRule rule, ApiRequest request) {
        boolean names = rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
                || !request.name().isEmpty() && rule.getResourceNames().contains(request.name());
        return rule.getApiGroups().contains(request.group()) && rule.getResources().contains(request.rbacResource())
                && rule.getVerbs().contains(request.verb()) && names;
    }
}
