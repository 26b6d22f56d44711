package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * docs/api.md's reference is what the committed CRD renders ({@link ApiReference}, {@code make api-docs}),
 * so the page cannot drift from what {@code kubectl explain} shows; and every field of the CRD's spec
 * and status has a row in it, found by a walk of the schema of its own.
 */
class ApiReferenceTest {

    private static final Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");
    private static final Path PAGE = Path.of("docs/api.md");

    @Test
    void thePageHoldsWhatTheCrdRenders() throws IOException {
        Optional<String> drift = ApiReference.drift(Files.readString(CRD), Files.readString(PAGE));

        drift.ifPresent(Assertions::fail);
    }

    @Test
    void aDescriptionChangedInACopyOfTheCrdFailsTheComparisonAtItsLine() throws IOException {
        String crd = Files.readString(CRD);
        String description = "description: \"Deployment or StatefulSet.\"";
        assertThat(crd.split(description, -1)).as("the description to change, once in the CRD").hasSize(2);
        String changed = crd.replace(description, "description: \"Deployment, StatefulSet or DaemonSet.\"");

        String page = Files.readString(PAGE);
        List<String> lines = page.lines().toList();
        int line = 1 + lines.indexOf(lines.stream().filter(l -> l.startsWith("| `spec.rolloutTargets[].kind` |")).findFirst().orElseThrow());

        Optional<String> drift = ApiReference.drift(changed, page);

        assertThat(drift).hasValueSatisfying(message -> assertThat(message)
                .contains("run make api-docs")
                .contains("line " + line + " of the page differs")
                .contains("rendered from the CRD: | `spec.rolloutTargets[].kind` | `string` | yes | Deployment, StatefulSet or DaemonSet.")
                .contains("in the page:           | `spec.rolloutTargets[].kind` | `string` | yes | Deployment or StatefulSet."));
    }

    @Test
    void everyFieldOfSpecAndStatusHasARow() throws IOException {
        List<String> paths = fieldPaths();
        String page = Files.readString(PAGE);

        assertThat(paths).as("fields walked").hasSizeGreaterThan(100)
                .contains("spec.app.storage.size", "spec.rolloutTargets[].kind", "spec.app.env[].valueFrom.fieldRef.fieldPath",
                        "status.conditions[].reason");
        assertThat(missingRows(paths, page)).as("CRD fields without a row in docs/api.md").isEmpty();
    }

    @Test
    void aFieldWithoutARowIsFound() throws IOException {
        String page = Files.readString(PAGE);
        String row = "| `spec.app.storage.size` |";
        assertThat(page).contains(row);

        String without = page.lines().filter(l -> !l.startsWith(row)).reduce("", (a, l) -> a + l + "\n");

        assertThat(missingRows(fieldPaths(), without)).containsExactly("spec.app.storage.size");
    }

    // --- the renderer on synthetic schemas ----------------------------------------------------------------

    @Test
    void pipesAndLineBreaksInACellAreEscapedAndMarkdownInADescriptionIsShownAsWritten() {
        String rendered = ApiReference.render(crd("""
                kind:
                  description: "One | two\\nthree, a `tick`, $HOME and <name>-env; *not* _emphasis_, snake_case kept."
                  pattern: "^(a|b)$"
                  type: string
                """));

        assertThat(rendered).contains("| `spec.kind` | `string` | no | One \\| two<br>three, a \\`tick\\`, \\$HOME and \\<name>-env; "
                + "\\*not\\* \\_emphasis\\_, snake_case kept. | pattern `^(a\\|b)$` |");
    }

    @Test
    void aLinkAnImageAnEntityOrABlockStartInADescriptionIsShownAsWrittenNotRendered() {
        String rendered = ApiReference.render(crd("""
                kind:
                  description: "See [the fix](https://evil.example/x) ![](https://tracker.example/p.png) &lt;b&gt; [prefix/]name"
                  type: string
                """).replace("openAPIV3Schema:\n", "openAPIV3Schema:\n        description: \"# Heading\"\n"));

        assertThat(rendered).contains("| `spec.kind` | `string` | no | See \\[the fix](https://evil.example/x) !\\[](https://tracker.example/p.png) "
                + "\\&lt;b\\&gt; \\[prefix/]name |");
        assertThat(rendered).contains("\n\\# Heading\n").doesNotContain("\n# Heading");
        assertThat(List.of("# a", "> a", "- a", "+ a", "---", "===", "12. a", "3) a", "  # a", "-a", "1.5 a", "a # b"))
                .map(ApiReference::prose)
                .containsExactly("\\# a", "\\> a", "\\- a", "\\+ a", "\\---", "\\===", "12\\. a", "3\\) a", "\\# a", "-a", "1.5 a", "a # b");
    }

    @Test
    void validationFactsAreShownWithTheirNumbersAndCelRulesByMessage() {
        String rendered = ApiReference.render(crd("""
                replicas:
                  description: "How many."
                  type: integer
                  minimum: 0.0
                  maximum: 100.0
                  default: 1
                  x-kubernetes-validations:
                  - rule: "self != 7"
                    message: "not seven"
                    fieldPath: ".replicas"
                  - rule: "self != 8"
                names:
                  description: "Some names."
                  type: array
                  maxItems: 3
                  items:
                    type: string
                    enum: ["a", "b"]
                """));

        assertThat(rendered).contains("| `spec.replicas` | `integer` | no | How many. | minimum 0<br>maximum 100<br>default `1`"
                + "<br>CEL: not seven (reported at `.replicas`)<br>CEL: `self != 8` |");
        assertThat(rendered).contains("| `spec.names` | `[]string` | no | Some names. | items at most 3<br>each item: one of `\"a\"`, `\"b\"` |");
    }

    @Test
    void aSchemaKeywordTheRendererDoesNotKnowFailsInsteadOfBeingLeftOut() {
        assertThatThrownBy(() -> ApiReference.render(crd("""
                kind:
                  description: "Either."
                  oneOf:
                  - type: string
                  - type: integer
                """))).hasMessageContaining("spec.kind").hasMessageContaining("oneOf");
    }

    @Test
    void theGeneratedPartIsReplacedAndTheHandWrittenTextAroundItKept() {
        String page = "# Head\n\nprose\n\n" + ApiReference.BEGIN + "\nold\n" + ApiReference.END + "\n\ntail\n";

        String spliced = ApiReference.splice(page, ApiReference.BEGIN + "\nnew\n" + ApiReference.END + "\n");

        assertThat(spliced).isEqualTo("# Head\n\nprose\n\n" + ApiReference.BEGIN + "\nnew\n" + ApiReference.END + "\n\ntail\n");
        assertThatThrownBy(() -> ApiReference.section("# Head\n")).hasMessageContaining(ApiReference.BEGIN);
    }

    /** A one-version CRD whose spec has the properties in {@code properties} (YAML, indented from column 0). */
    private static String crd(String properties) {
        return """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                spec:
                  group: example.dev
                  names: {kind: Thing, plural: things, singular: thing}
                  scope: Namespaced
                  versions:
                  - name: v1
                    served: true
                    storage: true
                    schema:
                      openAPIV3Schema:
                        type: object
                        properties:
                          spec:
                            type: object
                            properties:
                """ + properties.indent(18);
    }

    /** Every field path under spec and status, walked over fabric8's model of the committed CRD. */
    private static List<String> fieldPaths() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
        JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        List<String> out = new ArrayList<>();
        walk("spec", root.getProperties().get("spec"), out);
        walk("status", root.getProperties().get("status"), out);
        return out;
    }

    private static void walk(String path, JSONSchemaProps schema, List<String> out) {
        if (schema.getProperties() != null) {
            schema.getProperties().forEach((name, child) -> {
                out.add(path + "." + name);
                walk(path + "." + name, child, out);
            });
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            walk(path + "[]", schema.getItems().getSchema(), out);
        }
        if (schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
            walk(path + ".*", schema.getAdditionalProperties().getSchema(), out);
        }
    }

    private static List<String> missingRows(List<String> paths, String page) {
        return paths.stream().filter(p -> !page.contains("\n| `" + p + "` |")).toList();
    }
}
