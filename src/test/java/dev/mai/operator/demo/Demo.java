package dev.mai.operator.demo;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ClientConditions;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import dev.mai.operator.testing.Rollouts;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code make demo}: the operator's main job on an embedded default. Starts an in-process
 * Kubernetes API (fabric8's CRUD mock server) and the OpenRouter simulator, runs the packaged
 * operator against them as its own process, applies {@code deploy/examples/}, waits until every
 * MaiClient is Ready, and prints what a person would look at: a {@code kubectl get maiclients}
 * style table and each Secret's {@code .env} with the key masked. Exits 0 only when all are Ready
 * and no key appeared in the operator's output.
 */
public final class Demo {

    private static final Path WORK = Path.of("target/demo");
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        int exit;
        try {
            exit = run(Path.of(args.length > 0 ? args[0] : "deploy/examples"));
        } catch (IOException | IllegalStateException e) {
            System.err.println("demo failed: " + e.getMessage());
            exit = 1;
        }
        System.exit(exit);
    }

    static int run(Path examples) throws Exception {
        Files.createDirectories(WORK);
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator().latency(50);
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"))) {
            Map<String, String> env = OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator");
            System.out.println("Embedded Kubernetes API at " + cluster.url() + ", OpenRouter simulator at " + openRouter.baseUrl());

            KubernetesClient client = cluster.client();
            List<MaiClient> applied;
            boolean allReady;
            try (OperatorProcess operator = OperatorProcess.start(env, WORK.resolve("operator.log"))) {
                System.out.println("Operator started (log: " + operator.log() + ")");
                applied = apply(client, examples);
                allReady = awaitReady(client, applied, operator);
            }
            List<MaiClient> current = applied.stream().map(mc -> client.resource(mc).get()).toList();
            printTable(current);
            for (MaiClient mc : current) {
                printDotEnv(client, mc);
            }
            List<String> leaks = LeakScan.inFile(WORK.resolve("operator.log"), openRouter.issuedSecrets());
            if (!leaks.isEmpty()) {
                System.out.println("FAIL: " + leaks);
                return 1;
            }
            System.out.printf("%nOpenRouter saw %d requests (%d key creations); %d live keys for %d MaiClients.%n",
                    openRouter.requests().size(), openRouter.count("POST /keys"), openRouter.liveKeys().size(), current.size());
            if (!allReady) {
                System.out.println("FAIL: not every MaiClient became Ready within " + PATIENCE.toSeconds() + " s; see "
                        + WORK.resolve("operator.log"));
                return 1;
            }
            System.out.println("All " + current.size() + " MaiClients are Ready.");
            return 0;
        }
    }

    /** Applies every YAML document under {@code examples}: namespaces first, then MaiClients. */
    private static List<MaiClient> apply(KubernetesClient client, Path examples) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(examples)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    objects.addAll(client.load(in).items());
                }
            }
        }
        List<MaiClient> clients = new ArrayList<>();
        for (HasMetadata object : objects) {
            HasMetadata created = client.resource(object).create();
            System.out.println("applied " + created.getKind() + " " + Optional.ofNullable(created.getMetadata().getNamespace())
                    .map(ns -> ns + "/").orElse("") + created.getMetadata().getName());
            if ("MaiClient".equals(created.getKind())) {
                clients.add(client.resources(MaiClient.class).inNamespace(created.getMetadata().getNamespace())
                        .withName(created.getMetadata().getName()).require());
            }
        }
        if (clients.isEmpty()) {
            throw new IllegalStateException("no MaiClient in " + examples);
        }
        return clients;
    }

    private static boolean awaitReady(KubernetesClient client, List<MaiClient> clients, OperatorProcess operator)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (Instant.now().isBefore(deadline)) {
            if (!operator.isAlive()) {
                System.out.println("The operator process exited; see " + operator.log());
                return false;
            }
            if (clients.stream().map(mc -> client.resource(mc).get()).allMatch(mc -> mc != null && Clients.isReady(mc))) {
                return true;
            }
            markDeploymentsAvailable(client);
            Thread.sleep(200);
        }
        return false;
    }

    /**
     * The embedded API has no Deployment controller or kubelet: the demo stands in for them and
     * reports each operator-managed Deployment as rolled out, as a cluster would once its pods run.
     */
    private static void markDeploymentsAvailable(KubernetesClient client) {
        for (var d : client.apps().deployments().inAnyNamespace().withLabel("app.kubernetes.io/managed-by", "mai-operator")
                .list().getItems()) {
            int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            var status = d.getStatus();
            if (status != null && d.getMetadata().getGeneration().equals(status.getObservedGeneration())
                    && Integer.valueOf(replicas).equals(status.getAvailableReplicas())) {
                continue;
            }
            Rollouts.markRolledOut(client, d.getMetadata().getNamespace(), d.getMetadata().getName());
            System.out.printf("(demo) Deployment %s/%s reported available, as a cluster's kubelet would%n",
                    d.getMetadata().getNamespace(), d.getMetadata().getName());
        }
    }



    private static void printTable(List<MaiClient> clients) {
        List<List<String>> rows = new ArrayList<>();
        // the columns kubectl get maiclients -A prints (the CRD's additionalPrinterColumns)
        rows.add(List.of("NAMESPACE", "NAME", "ORGANIZATION", "LIMIT", "USED", "REMAINING", "RESETS", "READY", "REASON", "AGE"));
        for (MaiClient mc : clients) {
            var spec = mc.getSpec();
            String limit = spec.getSpendingLimit().getIntVal() != null ? spec.getSpendingLimit().getIntVal().toString()
                    : spec.getSpendingLimit().getStrVal();
            Optional<Condition> ready = ClientConditions.condition(mc, "Ready");
            long age = Duration.between(OffsetDateTime.parse(mc.getMetadata().getCreationTimestamp()).toInstant(), Instant.now()).toSeconds();
            var status = Optional.ofNullable(mc.getStatus());
            rows.add(List.of(mc.getMetadata().getNamespace(), mc.getMetadata().getName(), spec.getOrganizationName(), limit,
                    status.map(s -> s.getUsageInPeriod()).orElse(""), status.map(s -> s.getLimitRemaining()).orElse(""),
                    status.map(s -> s.getNextLimitResetAt()).orElse(""),
                    ready.map(Condition::getStatus).orElse(""), ready.map(Condition::getReason).orElse(""), age + "s"));
        }
        int[] width = new int[rows.get(0).size()];
        rows.forEach(r -> {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], r.get(i).codePointCount(0, r.get(i).length()));
            }
        });
        System.out.println();
        for (List<String> r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                line.append(r.get(i)).append(" ".repeat(width[i] - r.get(i).codePointCount(0, r.get(i).length()) + 3));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    private static void printDotEnv(KubernetesClient client, MaiClient mc) {
        if (mc.getStatus() == null || mc.getStatus().getSecretName() == null) {
            return;
        }
        Secret secret = client.secrets().inNamespace(mc.getMetadata().getNamespace()).withName(mc.getStatus().getSecretName()).get();
        if (secret == null) {
            return;
        }
        String key = decode(secret.getData().get("OPENROUTER_API_KEY"));
        String env = decode(secret.getData().get(".env")).replace(key, mc.getStatus().getKeyLabel() + " (masked)");
        System.out.printf("%n--- Secret %s/%s, .env ---%n%s", mc.getMetadata().getNamespace(), secret.getMetadata().getName(), env);
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
