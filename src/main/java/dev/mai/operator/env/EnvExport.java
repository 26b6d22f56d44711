package dev.mai.operator.env;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.Names;
import dev.mai.operator.core.SpecValidator;
import dev.mai.operator.core.SpecValidator.Violation;
import dev.mai.operator.env.EnvKey.Refusal;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@code mai-env export}: hands a Docker Compose client's key to the operator. From a {@code .env}
 * mai-env keeps, it makes a Secret {@code <name>-adopt} holding the key and a MaiClient with the
 * file's settings that adopts that key ({@code spec.adoptKeyFrom}, with the file's hash), and marks
 * the file as moved, so that no later mai-env run changes the key the operator now keeps. Nothing
 * is sent to OpenRouter or to a cluster: the person applies the two files.
 */
public final class EnvExport {

    /** A namespace name: a DNS label. */
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final String ADOPT_SUFFIX = "-adopt";
    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private EnvExport() {
    }

    /** What {@code mai-env export} writes: the Secret holding the key, and the MaiClient that adopts it from there. */
    public record Manifests(Secret secret, MaiClient client) {
    }

    /**
     * The two objects {@code mai-env export --namespace namespace --name name} writes for the
     * {@code .env} at {@code env} (read only: the file is not marked, nothing is written). Throws
     * {@link IllegalArgumentException} (its message names the rule, never the key) when the file holds
     * no key mai-env finished writing, or the names are not valid.
     */
    public static Manifests manifests(Path env, String namespace, String name) throws IOException {
        try {
            return manifests(EnvFile.read(EnvFile.resolve(env)), namespace, name, Optional.empty());
        } catch (Refusal r) {
            throw new IllegalArgumentException(r.getMessage());
        }
    }

    /** The two objects for {@code file}; refused (nothing written) for names or a file that cannot give them. */
    static Manifests manifests(EnvFile file, String namespace, String name, Optional<BigDecimal> maxSpendingLimit) throws Refusal {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new Refusal(MaiEnvCommand.INVALID, "--namespace: must be a namespace name (a DNS label: at most 63 lower-case "
                    + "letters, digits and '-', starting and ending with a letter or digit)");
        }
        if (name == null || name.length() > 63 || !SpecValidator.DNS_SUBDOMAIN.matcher(name).matches()) {
            throw new Refusal(MaiEnvCommand.INVALID, "--name: must be a MaiClient name (lower-case letters, digits, '-' and "
                    + "'.', at most 63 characters, starting and ending with a letter or digit)");
        }
        Optional<ApiKey> key = file.key();
        Optional<String> hash = file.keyHash().filter(KeyInfo::isHash);
        if (file.id().isEmpty() || key.isEmpty() || hash.isEmpty() || file.createStarted().isPresent()
                || file.adoptStarted().isPresent()) {
            throw new Refusal(MaiEnvCommand.NOT_EXPORTABLE, file.path() + " holds no key mai-env finished writing (no mai-env "
                    + "block, no " + Environment.API_KEY + " or " + Environment.KEY_HASH + " in it, or a create or adoption "
                    + "under way), and only mai-env's own key is handed to the operator. Run mai-env on it first (it adopts "
                    + "a key the old script wrote), then export; this run changed nothing.");
        }
        Secret secret = new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(name + ADOPT_SUFFIX).withNamespace(namespace).build())
                .withType("Opaque")
                // data, not stringData: base64 is what every API server stores and returns, and the key is no line of text here
                .addToData(AdoptKeyFrom.DEFAULT_KEY, Base64.getEncoder().encodeToString(key.get().reveal().getBytes(StandardCharsets.UTF_8)))
                .build();
        MaiClientSpec spec = new MaiClientSpec();
        spec.setOrganizationName(file.value(Environment.ORGANIZATION_NAME).orElse(null));
        spec.setSpendingLimit(file.value(Environment.SPENDING_LIMIT).map(IntOrString::new).orElse(null));
        spec.setLimitReset(file.limitReset().filter(r -> !"never".equals(r)).orElse(null));
        spec.setExternalUser(file.value(Environment.EXTERNAL_USER).orElse(null));
        AdoptKeyFrom from = new AdoptKeyFrom();
        from.setName(name + ADOPT_SUFFIX);
        from.setHash(hash.get());
        spec.setAdoptKeyFrom(from);
        MaiClient client = new MaiClient();
        client.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        client.setSpec(spec);
        List<Violation> wrong = new SpecValidator(maxSpendingLimit).validate(client);
        if (!wrong.isEmpty()) {
            throw new Refusal(MaiEnvCommand.NOT_EXPORTABLE, "The MaiClient made from " + file.path() + " would be refused: "
                    + wrong.get(0) + ". Run mai-env on the file to mend its settings, then export; this run changed nothing.");
        }
        return new Manifests(secret, client);
    }

    /**
     * Marks {@code file} as moved to {@code namespace/name}, then writes the two manifests into
     * {@code outDir} (mode 0600: the Secret's holds the key) and says what to do next. A file moved
     * already may be exported again to the same MaiClient (the manifests lost, say): its mark is renewed;
     * to another MaiClient it is refused until the person deletes the mark.
     */
    static void export(EnvFile file, String namespace, String name, Path outDir, Instant now, Optional<BigDecimal> maxSpendingLimit,
            Consumer<String> say) throws IOException, Refusal {
        if (file.movedTo().isPresent()) {
            EnvKey.checkPlace(file, false, false);
        } else {
            EnvKey.check(file, false, false);
        }
        Manifests manifests = manifests(file, namespace, name, maxSpendingLimit);
        refuseAnotherTarget(file, namespace + "/" + name);
        // marked first: whatever happens next, no mai-env run changes the key the MaiClient is to adopt
        String reset = file.limitReset().filter(r -> !"never".equals(r)).orElse(null);
        file.write(file.render(new EnvFile.Block(file.id().get(), EnvFile.locationOf(file.path()), reset, null, null,
                namespace + "/" + name + " at " + now, null)));
        Path dir = outDir.toAbsolutePath();
        Path secretFile = dir.resolve(name + ADOPT_SUFFIX + "-secret.yaml");
        Path clientFile = dir.resolve(name + "-maiclient.yaml");
        try {
            Files.createDirectories(dir);
            EnvFile.writeOwnerOnly(secretFile, YAML.asYaml(manifests.secret()));
            EnvFile.writeOwnerOnly(clientFile, YAML.asYaml(manifests.client()));
        } catch (IOException e) {
            throw new Refusal(MaiEnvCommand.FILE, "Cannot write the manifests into " + dir + " (" + e.getMessage() + "). "
                    + file.path() + " is marked as moved already; run the export again once the directory can be written.");
        }
        say.accept("Marked " + file.path() + " as moved to MaiClient " + namespace + "/" + name + ": mai-env now refuses to "
                + "create, rotate or change its key. Wrote " + secretFile + " (the key, mode 600) and " + clientFile + ".");
        nextSteps(manifests.client(), secretFile, clientFile).forEach(say);
    }

    /**
     * Refuses an export to {@code target} of a file marked as moved to another MaiClient: the key would be
     * handed to two MaiClients, and the file would name only the last, while the first may hold it already.
     */
    private static void refuseAnotherTarget(EnvFile file, String target) throws Refusal {
        Optional<String> movedTo = file.movedTo();
        // the line is "<namespace>/<name> at <time>"; neither name holds a space
        Optional<String> former = movedTo.map(m -> m.split(" ", 2)[0]);
        if (former.isPresent() && !former.get().equals(target)) {
            throw new Refusal(MaiEnvCommand.INVALID, "--namespace/--name: " + file.path() + " was exported to MaiClient "
                    + former.get() + " already (its line \"" + EnvFile.MOVED_TO.strip() + "\" says " + movedTo.get()
                    + "); exporting it to " + target + " as well would hand the same key to a second MaiClient. This run "
                    + "changed nothing. Export again to " + former.get() + " (the same MaiClient may be exported again), or, "
                    + "if that move was given up (the MaiClient was never applied, or was deleted before it adopted the key), "
                    + "delete that line, then export to " + target + ".");
        }
    }

    private static List<String> nextSteps(MaiClient client, Path secretFile, Path clientFile) {
        String namespace = client.getMetadata().getNamespace();
        String name = client.getMetadata().getName();
        return List.of("Next:",
                "1. The operator must use a management key of the same OpenRouter account as mai-env did: it finds the key "
                        + "among that account's keys.",
                "2. The operator's administrator must open namespace " + namespace + " to adoption (the setting "
                        + "MAI_ADOPTION_NAMESPACES, a label selector the namespace must match) and, since the key carries "
                        + "mai-env's mark, allow keys to move from mai-env (MAI_ADOPTION_FROM=mai-env).",
                "3. kubectl apply -f " + secretFile + " -f " + clientFile,
                "4. kubectl wait --for=condition=Ready maiclient/" + name + " -n " + namespace + " --timeout=5m",
                "5. Stop the Docker Compose client: the MaiClient's Secret (" + Names.secretName(client) + ") holds the same key now, and the "
                        + "operator keeps it.",
                "6. kubectl delete secret " + name + ADOPT_SUFFIX + " -n " + namespace + ", and delete " + secretFile
                        + " (both hold the key).");
    }
}
