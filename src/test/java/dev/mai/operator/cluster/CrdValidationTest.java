package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.build.MarkdownLinks;
import dev.mai.operator.testing.InvalidSpecs;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CRD of {@code crds/} on a real kube-apiserver ({@link RealApiServer}, v1.36.3 as built by
 * build/control-plane.sh): installed as a user installs it, its OpenAPI and CEL rules refuse what
 * {@code SpecValidator} refuses, naming the same field ({@link ValidationParity}); the cases only the
 * operator can judge are listed below with the reason; every valid example of README.md, of every
 * docs/**{@literal /}*.md and of deploy/examples/ is accepted unchanged. A copy with one CEL rule
 * removed makes the parity check fail (the test of the test).
 */
class CrdValidationTest {

    static final Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");
    static final String API_VERSION = "mai.dev/v1alpha1";
    static final String BROKEN_GROUP = "broken.mai.dev";

    /**
     * Invalid specs the API server accepts on purpose: only the operator can judge them. Each is
     * asserted to be accepted, so an entry the CRD comes to cover fails the check until removed.
     */
    static final Map<String, String> OPERATOR_ONLY = Map.of(
            "nodeSelector key the operator does not allow",
            "the allowed keys are the operator's configuration (MAI_APP_ALLOWED_NODE_SELECTOR_KEYS, none by default), "
                    + "not the CRD's: one CRD serves operators configured differently",
            "toleration the operator does not allow",
            "the allowed taint keys are the operator's configuration (MAI_APP_ALLOWED_TOLERATION_KEYS, none by default)",
            // Gaps this tier found. A CEL rule for each was tried on v1.36.3 and the server refused the CRD:
            // "estimated rule cost exceeds budget" (env names 56x, label keys 1.5x, label values more than 100x),
            // because env[].name, the label map and its keys and values have no maxLength/maxProperties. Closing
            // them means bounding those sizes in the schema, an API change of its own.
            "env name with a space",
            "CEL over env[].name exceeds the API server's cost budget: EnvVar.name (fabric8's type) has no maxLength",
            "secret label with an invalid value",
            "CEL over the label values exceeds the cost budget: spec.secret.labels has no maxProperties, its values no maxLength",
            "secret label with an invalid key",
            "CEL over the label keys exceeds the cost budget: spec.secret.labels has no maxProperties, map keys no length bound");

    static RealApiServer.Started server;
    static KubernetesClient client;

    @BeforeAll
    static void installCrd() {
        long t0 = System.nanoTime();
        server = RealApiServer.get();
        client = server.client();
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(CRD.toFile()).item();
        install(crd);
        for (String ns : List.of("crd-parity", "crd-broken", "crd-examples")) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .createOr(NonDeletingOperation::update);
        }
        System.out.printf("CrdValidationTest: API server and CRD ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void close() {
        if (client != null) {
            client.close();
        }
    }

    /** As {@code kubectl apply} does: strict field validation (an unknown schema field is an error, not dropped). */
    static CustomResourceDefinition install(CustomResourceDefinition crd) {
        client.apiextensions().v1().customResourceDefinitions().resource(crd).fieldValidation(Validation.STRICT)
                .createOr(NonDeletingOperation::update);
        return client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream()
                        .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);
    }

    @Test
    void theServerIsTheTestedVersion() {
        assertThat(client.getKubernetesVersion().getGitVersion()).isEqualTo("v" + server.version());
    }

    @Test
    void theCrdKeepsEveryValidationRuleAndFieldPath() {
        CustomResourceDefinition local = client.apiextensions().v1().customResourceDefinitions().load(CRD.toFile()).item();
        CustomResourceDefinition stored = client.apiextensions().v1().customResourceDefinitions().withName("maiclients.mai.dev").get();
        // strict validation accepted the file; nothing of a rule (fieldPath included) was dropped on the way
        assertThat(rules(schema(stored))).containsExactlyInAnyOrderElementsOf(rules(schema(local)));
        assertThat(rules(schema(stored))).filteredOn(r -> r.getFieldPath() != null).hasSize(2);
        assertThat(stored.getStatus().getConditions()).noneMatch(c -> "NonStructuralSchema".equals(c.getType()));
    }

    @Test
    void theServerRefusesWhatSpecValidatorRefusesAtTheSameField() {
        ValidationParity parity = new ValidationParity(client, API_VERSION, "crd-parity");
        long t0 = System.nanoTime();
        List<ValidationParity.Mismatch> mismatches = parity.check(InvalidSpecs.all(), OPERATOR_ONLY);
        System.out.printf("CrdValidationTest: %d cases in %d ms%n", parity.answers.size(), (System.nanoTime() - t0) / 1_000_000);
        parity.answers.forEach(a -> System.out.printf("  %-55s %s %s%n", a.description(), a.code() == 0 ? "accepted" : a.code(), a.fields()));
        assertThat(mismatches).as("CRD and SpecValidator disagree").isEmpty();
        assertThat(parity.answers).hasSize(InvalidSpecs.all().size());
    }

    /**
     * The test of the test: a copy of the CRD (group broken.mai.dev, so both are installed at once)
     * without the spendingLimit CEL rule. The parity check must report every limit case that rule
     * alone refuses, and nothing else.
     */
    @Test
    void aCrdWithoutOneCelRuleFailsTheParityCheck() {
        CustomResourceDefinition broken = client.apiextensions().v1().customResourceDefinitions().load(CRD.toFile()).item();
        broken.getMetadata().setName("maiclients." + BROKEN_GROUP);
        broken.getSpec().setGroup(BROKEN_GROUP);
        JSONSchemaProps limit = schema(broken).getProperties().get("spec").getProperties().get("spendingLimit");
        assertThat(limit.getXKubernetesValidations()).hasSize(1);
        limit.setXKubernetesValidations(null);
        install(broken);

        List<ValidationParity.Mismatch> mismatches = new ValidationParity(client, BROKEN_GROUP + "/v1alpha1", "crd-broken")
                .check(InvalidSpecs.all(), OPERATOR_ONLY);

        Set<String> coveredByTheRule = InvalidSpecs.all().stream()
                .filter(c -> c.field().equals("spec.spendingLimit") && !c.description().equals("missing limit"))
                .map(InvalidSpecs.Case::description).collect(Collectors.toSet());
        assertThat(coveredByTheRule).hasSizeGreaterThanOrEqualTo(10);
        assertThat(mismatches).extracting(ValidationParity.Mismatch::description).containsExactlyInAnyOrderElementsOf(coveredByTheRule);
        assertThat(mismatches).allMatch(m -> m.problem().startsWith("accepted by the API server"));
        client.apiextensions().v1().customResourceDefinitions().withName("maiclients." + BROKEN_GROUP).delete();
    }

    @Test
    void everyValidExampleIsAcceptedUnchanged() throws IOException {
        Map<String, GenericKubernetesResource> examples = examples();
        assertThat(examples).as("MaiClients of README.md, docs/ and deploy/examples/").hasSizeGreaterThanOrEqualTo(5);
        // docs/' yaml blocks are read too, so a MaiClient a guide shows is checked (those of today are README.md's)
        assertThat(yamlDocuments().keySet()).as("yaml blocks read").anyMatch(where -> where.startsWith("docs/"));
        assertThat(maiClientsOutsideYamlBlocks()).as("MaiClients the guides show where this test does not read them "
                + "(a sh block's heredoc, say): put each in a yaml block of its own").isEmpty();
        List<String> refused = new ArrayList<>();
        examples.forEach((where, mc) -> {
            mc.getMetadata().setNamespace("crd-examples");
            var resource = client.genericKubernetesResources(API_VERSION, "MaiClient").inNamespace("crd-examples");
            try {
                GenericKubernetesResource stored = resource.resource(mc).fieldValidation(Validation.STRICT).create();
                // nothing pruned or rewritten: the server stored the spec as written
                assertThat(stored.getAdditionalProperties().get("spec")).as(where).isEqualTo(mc.getAdditionalProperties().get("spec"));
            } catch (RuntimeException e) {
                refused.add(where + ": " + e.getMessage());
            } finally {
                resource.withName(mc.getMetadata().getName()).delete();
            }
        });
        assertThat(refused).isEmpty();
    }

    /** Every MaiClient of {@link #yamlDocuments()}, by where it was found. */
    static Map<String, GenericKubernetesResource> examples() throws IOException {
        Map<String, GenericKubernetesResource> out = new LinkedHashMap<>();
        yamlDocuments().forEach((where, text) -> {
            String[] docs = text.split("(?m)^---\\s*$");
            for (int d = 0; d < docs.length; d++) {
                // a MaiClient, not a mention of the kind inside another object (Argo CD's ignoreDifferences, say):
                // "kind: MaiClient" at the document's own top level, however far the block is indented
                int indent = docs[d].lines().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                        .min().orElse(0);
                if (docs[d].lines().anyMatch(l -> l.length() > indent && l.substring(indent).equals("kind: MaiClient"))) {
                    out.put(where + " document " + (d + 1), Serialization.unmarshal(docs[d], GenericKubernetesResource.class));
                }
            }
        });
        return out;
    }

    /** A fenced block whose info string is yaml or yml (any case, either fence), indented or not: its text. */
    static final Pattern YAML_BLOCK = Pattern.compile("(?m)^[ \\t]*(`{3,}|~{3,})[ \\t]*(?i:ya?ml)\\b[^\\n]*\\n(.*?)^[ \\t]*\\1[ \\t]*$",
            Pattern.DOTALL);

    /** The guides: README.md and every docs/**{@literal /}*.md. */
    static List<Path> guides() {
        return MarkdownLinks.userDocFiles();
    }

    /** Each guide whose "kind: MaiClient" lines outnumber those of its yaml blocks, with both counts. */
    static List<String> maiClientsOutsideYamlBlocks() throws IOException {
        List<String> out = new ArrayList<>();
        for (Path guide : guides()) {
            String text = Files.readString(guide);
            long inBlocks = yamlBlocks(text).stream().mapToLong(CrdValidationTest::kindLines).sum();
            if (kindLines(text) != inBlocks) {
                out.add(guide + ": " + kindLines(text) + " lines \"kind: MaiClient\", " + inBlocks + " of them in yaml blocks");
            }
        }
        return out;
    }

    /** The text of each yaml block of a guide, in order. */
    static List<String> yamlBlocks(String guide) {
        List<String> blocks = new ArrayList<>();
        for (Matcher m = YAML_BLOCK.matcher(guide); m.find();) {
            blocks.add(m.group(2));
        }
        return blocks;
    }

    static long kindLines(String text) {
        return text.lines().filter(l -> l.strip().replace("- ", "").equals("kind: MaiClient")).count();
    }

    /** The yaml blocks of README.md and of every docs/**{@literal /}*.md, and deploy/examples/*.yaml, by where they are. */
    static Map<String, String> yamlDocuments() throws IOException {
        Map<String, String> documents = new LinkedHashMap<>();
        for (Path guide : guides()) {
            List<String> blocks = yamlBlocks(Files.readString(guide));
            for (int i = 1; i <= blocks.size(); i++) {
                documents.put(guide + " yaml block " + i, blocks.get(i - 1));
            }
        }
        try (Stream<Path> files = Files.list(Path.of("deploy/examples"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                documents.put(f.toString(), Files.readString(f));
            }
        }
        return documents;
    }

    static JSONSchemaProps schema(CustomResourceDefinition crd) {
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    /** Every x-kubernetes-validations rule of the schema, depth first. */
    static List<ValidationRule> rules(JSONSchemaProps schema) {
        List<ValidationRule> out = new ArrayList<>();
        if (schema == null) {
            return out;
        }
        if (schema.getXKubernetesValidations() != null) {
            out.addAll(schema.getXKubernetesValidations());
        }
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(p -> out.addAll(rules(p)));
        }
        if (schema.getItems() != null) {
            out.addAll(rules(schema.getItems().getSchema()));
        }
        if (schema.getAdditionalProperties() != null) {
            out.addAll(rules(schema.getAdditionalProperties().getSchema()));
        }
        return out;
    }
}
