package dev.mai.operator.cluster;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.SpecValidator;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.InvalidSpecs;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The parity check between the CRD's schema (OpenAPI and CEL, enforced by a real API server) and
 * {@link SpecValidator}: each case of {@link InvalidSpecs} is created on the server, and what the
 * server says is compared with what the validator says.
 *
 * <ul>
 *   <li>A case the validator refuses must be refused by the server (422, or 400 for a strict
 *       decoding error), and the server must name the validator's field, its nearest enclosing list
 *       (a list-level CEL rule reports the list) or a field inside it; it must name no field the
 *       validator does not.</li>
 *   <li>A case only the operator can judge (listed in {@code operatorOnly} with the reason) must be
 *       accepted by the server: a rule added to the CRD later turns it into a mismatch, so the list
 *       cannot silently keep an entry the schema now covers.</li>
 * </ul>
 *
 * <p>Objects are created with the client's default field validation (none sent, so the server's
 * default: unknown fields are pruned with a warning): the weakest mode any client may use.
 * Accepted objects are deleted at once.
 */
final class ValidationParity {

    /** One disagreement: the case, and what happened. */
    record Mismatch(String description, String problem) {
        @Override
        public String toString() {
            return description + ": " + problem;
        }
    }

    /** What the server answered to one case: 0 when it accepted it. */
    record Answer(String description, int code, List<String> fields, String message) {
    }

    private final KubernetesClient client;
    private final String apiVersion;
    private final String namespace;
    private final SpecValidator validator = new SpecValidator(Optional.empty());
    final List<Answer> answers = new ArrayList<>();

    /** Creates MaiClients of {@code apiVersion} (mai.dev/v1alpha1, or a broken copy's group) in {@code namespace}. */
    ValidationParity(KubernetesClient client, String apiVersion, String namespace) {
        this.client = client;
        this.apiVersion = apiVersion;
        this.namespace = namespace;
    }

    /** Every mismatch over the whole table; empty when the server and the validator agree. */
    List<Mismatch> check(List<InvalidSpecs.Case> cases, Map<String, String> operatorOnly) {
        List<Mismatch> out = new ArrayList<>();
        Set<String> descriptions = cases.stream().map(InvalidSpecs.Case::description).collect(Collectors.toSet());
        operatorOnly.keySet().stream().filter(d -> !descriptions.contains(d)).sorted()
                .forEach(d -> out.add(new Mismatch(d, "listed as operator-only but not a case of InvalidSpecs")));
        int i = 0;
        for (InvalidSpecs.Case c : cases) {
            check(c, "parity-" + i++, operatorOnly.containsKey(c.description())).ifPresent(out::add);
        }
        return out;
    }

    private Optional<Mismatch> check(InvalidSpecs.Case c, String name, boolean operatorOnly) {
        MaiClient mc = Clients.maiClient(namespace, name, "ABC Company Sp. z o.o.", "1000.0");
        c.breakIt().accept(mc.getSpec());
        List<String> validatorFields = validator.validate(mc).stream().map(SpecValidator.Violation::field).distinct().toList();
        if (!validatorFields.contains(c.field())) {
            return Optional.of(new Mismatch(c.description(), "the table names " + c.field() + " but SpecValidator names "
                    + validatorFields));
        }
        GenericKubernetesResource resource = Serialization.jsonMapper().convertValue(mc, GenericKubernetesResource.class);
        resource.setApiVersion(apiVersion);
        Answer answer = create(c.description(), resource);
        answers.add(answer);
        if (answer.code() == 0) {
            return operatorOnly ? Optional.empty() : Optional.of(new Mismatch(c.description(),
                    "accepted by the API server, refused by SpecValidator at " + validatorFields));
        }
        if (operatorOnly) {
            return Optional.of(new Mismatch(c.description(), "listed as operator-only, but the API server refuses it ("
                    + answer.code() + " at " + answer.fields() + "): the CRD covers it now, remove it from the list"));
        }
        if (answer.code() != 422 && answer.code() != 400) {
            return Optional.of(new Mismatch(c.description(), "refused with " + answer.code() + ", not 422 or 400: " + answer.message()));
        }
        if (answer.fields().stream().noneMatch(f -> names(f, c.field()))) {
            return Optional.of(new Mismatch(c.description(), "the API server names " + answer.fields() + ", SpecValidator "
                    + c.field() + " (" + answer.message() + ")"));
        }
        List<String> extra = answer.fields().stream().filter(f -> validatorFields.stream().noneMatch(v -> names(f, v))).toList();
        if (!extra.isEmpty()) {
            return Optional.of(new Mismatch(c.description(), "the API server also names " + extra + ", which SpecValidator "
                    + "does not (" + validatorFields + "): " + answer.message()));
        }
        return Optional.empty();
    }

    /**
     * Whether the server's field {@code server} names the validator's field {@code field}: the same
     * path, the nearest list enclosing it (spec.app.env for spec.app.env[0].name: a list-level CEL
     * rule reports the list), or a field inside it.
     */
    static boolean names(String server, String field) {
        if (server.equals(field) || server.startsWith(field + ".") || server.startsWith(field + "[")) {
            return true;
        }
        int bracket = field.lastIndexOf('[');
        return bracket > 0 && server.equals(field.substring(0, bracket));
    }

    /**
     * Not the note a server adds when its OpenAPI checks fail ("some validation rules were not
     * checked because the object was invalid", at field {@code <nil>}): it names no field.
     */
    static boolean namesAField(StatusCause cause) {
        return !(cause.getMessage() != null && cause.getMessage().contains("validation rules were not checked"));
    }

    private Answer create(String description, GenericKubernetesResource resource) {
        try {
            client.genericKubernetesResources(apiVersion, "MaiClient").inNamespace(namespace).resource(resource).create();
        } catch (KubernetesClientException e) {
            Status status = e.getStatus();
            List<String> fields = status == null || status.getDetails() == null || status.getDetails().getCauses() == null
                    ? List.of()
                    : status.getDetails().getCauses().stream().filter(ValidationParity::namesAField)
                            .map(StatusCause::getField).distinct().toList();
            return new Answer(description, e.getCode(), fields, status == null ? e.getMessage() : status.getMessage());
        }
        client.genericKubernetesResources(apiVersion, "MaiClient").inNamespace(namespace)
                .withName(resource.getMetadata().getName()).delete();
        return new Answer(description, 0, List.of(), "");
    }
}
