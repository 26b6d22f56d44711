package dev.mai.operator.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Names;
import dev.mai.operator.testing.DotEnvReaders;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.MaiEnvProcess;
import dev.mai.operator.testing.MaiEnvProcess.Result;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OpenRouterSimulator.Key;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mai-env command as a Docker Compose user runs it: the packaged jar as its own process in a
 * directory, against the OpenRouter simulator over HTTP. Every run's output is scanned for every
 * secret the simulator issued.
 */
class MaiEnvIT {

    static final String ORG = "O'Brien & Sons Sp. z o.o.";
    static final List<String> VARIABLES = List.of("OPENROUTER_API_KEY", "OPENROUTER_HOST", "OPENROUTER_EXTERNAL_USER",
            "ORGANIZATION_NAME", "SPENDING_LIMIT", "OPENROUTER_KEY_HASH");

    static OpenRouterSimulator openRouter;
    static final List<Result> outputs = new ArrayList<>();
    /** Keys the tests typed (into a .env, an option, the environment): searched for like the issued ones. */
    static final Set<String> TYPED = new java.util.LinkedHashSet<>();

    @TempDir
    Path dir;
    String managementKey;
    Map<String, String> env;

    @BeforeAll
    static void simulator() {
        openRouter = new OpenRouterSimulator();
    }

    /** Remembers a key a test typed, for the leak scan. */
    static String typed(String key) {
        TYPED.add(key);
        return key;
    }

    @AfterAll
    static void noSecretInAnyOutput() {
        List<String> secrets = new ArrayList<>(openRouter.issuedSecrets());
        secrets.addAll(TYPED);
        List<String> leaks = new ArrayList<>();
        for (Result r : outputs) {
            leaks.addAll(LeakScan.find("mai-env output", r.output(), secrets));
        }
        for (String body : openRouter.requestBodies()) {
            leaks.addAll(LeakScan.find("OpenRouter simulator request body", body, secrets));
        }
        openRouter.close();
        assertThat(leaks).as("no run printed a key (runs with --show-key are checked on their own)").isEmpty();
    }

    @BeforeEach
    void account() throws IOException {
        managementKey = openRouter.newManagementKey();
        Path keyFile = dir.resolve("management.key");
        Files.writeString(keyFile, managementKey + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        env = new HashMap<>(Map.of("MAI_OPENROUTER_URL", openRouter.baseUrl(), "MAI_PROVISIONING_KEY_FILE", keyFile.toString()));
        openRouter.clearRequests();
    }

    @AfterEach
    void heal() {
        openRouter.heal();
    }

    @Test
    void firstRunCreatesOneKeyAndAnOwnerOnlyEnvThatPythonDotenvAndShReadBack() throws Exception {
        Result r;
        try (ServerSocket apiServer = new ServerSocket(0)) {
            // a Kubernetes API the command could find: it must not call it (the operator is not started)
            Path kubeconfig = Files.createTempFile("mai-env-kubeconfig", ".yaml");
            Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
                    + "    server: https://127.0.0.1:" + apiServer.getLocalPort() + "\ncontexts:\n- name: c\n  context:\n    cluster: k\n"
                    + "    user: u\nusers:\n- name: u\n  user:\n    token: t\n");
            env.put("KUBECONFIG", kubeconfig.toString());
            r = mai("--org", ORG, "--limit", "1000");
            apiServer.setSoTimeout(200);
            assertThatThrownBy(apiServer::accept).as("no connection to the Kubernetes API").isInstanceOf(SocketTimeoutException.class);
            Files.delete(kubeconfig);
        }

        assertThat(r.exit()).as(r.output()).isZero();
        Key key = onlyKey();
        assertThat(key.limit).isEqualByComparingTo("1000");
        assertThat(key.limitReset).isNull();
        assertThat(key.name).startsWith("mAI Client: O'Brien & Sons Sp. z o.o. (mai-env on ")
                .endsWith(" [mai:" + Names.ENV_INSTALLATION + ":" + id() + "]");
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.operation()).containsExactly("POST /keys");
        assertThat(openRouter.requests()).allSatisfy(q -> assertThat(q.userAgent()).startsWith("mai-env/"));

        Path file = dir.resolve(".env");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Map<String, String> expected = Map.of(
                "OPENROUTER_API_KEY", key.secret,
                "OPENROUTER_HOST", openRouter.baseUrl(),
                "OPENROUTER_EXTERNAL_USER", Names.defaultExternalUser(ORG),
                "ORGANIZATION_NAME", ORG,
                "SPENDING_LIMIT", "1000.00",
                "OPENROUTER_KEY_HASH", key.hash);
        expected.forEach((name, value) -> {
            assertThat(DotEnvReaders.pythonDotenv(file, name)).as("python-dotenv " + name).isEqualTo(value);
            assertThat(DotEnvReaders.posixShell(file, name)).as("sh " + name).isEqualTo(value);
        });
        assertThat(r.out()).contains("Created OpenRouter key " + key.label()).contains("Checked: the key authenticates");
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .as("no temporary file is left").containsExactlyInAnyOrder(".env", ".env.mai-env.lock", "management.key");
    }

    @Test
    void secondRunCreatesNothingAndLeavesTheFileAlone() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Path file = dir.resolve(".env");
        String before = Files.readString(file);
        FileTime modified = Files.getLastModifiedTime(file);
        openRouter.clearRequests();

        Result again = mai("--org", ORG, "--limit", "1000");
        Result bare = mai(); // the settings are remembered in the file

        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(bare.exit()).as(bare.output()).isZero();
        assertThat(openRouter.requests()).as("reads only").noneMatch(q -> q.isWrite());
        assertThat(openRouter.liveKeys().stream().filter(k -> k.managementKey.equals(managementKey))).hasSize(1);
        assertThat(Files.readString(file)).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(modified);
        assertThat(again.out()).contains("is valid and up to date").contains("is unchanged");
    }

    @Test
    void aLimitOrResetChangePatchesTheSameKey() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key key = onlyKey();
        openRouter.clearRequests();

        Result r = mai("--limit", "2500.50", "--reset", "monthly");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.method() + " " + q.path())
                .containsExactly("PATCH /keys/" + key.hash);
        assertThat(onlyKey().hash).isEqualTo(key.hash);
        assertThat(key.limit).isEqualByComparingTo("2500.50");
        assertThat(key.limitReset).isEqualTo("monthly");
        assertThat(read("SPENDING_LIMIT")).isEqualTo("2500.50");
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(key.secret);
        assertThat(r.out()).contains("Updated OpenRouter key " + key.label() + ": limit, limit_reset");

        openRouter.clearRequests();
        Result unchanged = mai("--org", ORG);
        assertThat(unchanged.exit()).as(unchanged.output()).isZero();
        assertThat(openRouter.requests()).as("the reset is remembered").noneMatch(q -> q.isWrite());

        Result never = mai("--reset", "never");
        assertThat(never.exit()).as(never.output()).isZero();
        assertThat(key.limitReset).isNull();
    }

    @Test
    void aKeyDeletedOnOpenRouterIsReplaced() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key old = onlyKey();
        String id = id();
        openRouter.deleteOutside(old.hash);
        openRouter.clearRequests();

        Result r = mai();

        assertThat(r.exit()).as(r.output()).isZero();
        Key replacement = onlyKey();
        assertThat(replacement.hash).isNotEqualTo(old.hash);
        assertThat(replacement.limit).isEqualByComparingTo("1000");
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(replacement.secret);
        assertThat(read("OPENROUTER_KEY_HASH")).isEqualTo(replacement.hash);
        assertThat(id()).as("the file keeps its id").isEqualTo(id);
        assertThat(openRouter.count("POST /keys")).isEqualTo(1);
        assertThat(r.out()).contains("was deleted on OpenRouter");
    }

    @Test
    void aKeyThatNoLongerAuthenticatesIsReplacedAndTheOldOneDeleted() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key old = onlyKey();
        Path file = dir.resolve(".env");
        // the key in the file changed by hand: it no longer matches the key OpenRouter has under that hash
        String edited = Files.readString(file).replace(old.secret, typed("sk-or-v1-" + "0".repeat(64)));
        Files.writeString(file, edited);
        openRouter.clearRequests();

        Result r = mai();

        assertThat(r.exit()).as(r.output()).isZero();
        Key replacement = onlyKey();
        assertThat(replacement.hash).isNotEqualTo(old.hash);
        assertThat(old.deleted).as("the old key is deleted").isTrue();
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.method() + " " + q.path())
                .containsExactly("POST /keys", "DELETE /keys/" + old.hash);
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(replacement.secret);
        assertThat(r.out()).contains("does not authenticate").contains("Deleted the old OpenRouter key " + old.label());
    }

    @Test
    void aDisabledKeyIsLeftOffUntilRotateIsAskedFor() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key old = onlyKey();
        openRouter.disableOutside(old.hash);
        openRouter.clearRequests();

        Result refused = mai();
        assertThat(refused.exit()).as(refused.output()).isEqualTo(MaiEnvCommand.KEY_DISABLED);
        assertThat(refused.err()).contains("is disabled on OpenRouter").contains("--rotate");
        assertThat(openRouter.requests()).noneMatch(q -> q.isWrite());
        assertThat(old.disabled).isTrue();

        Result rotated = mai("--rotate");
        assertThat(rotated.exit()).as(rotated.output()).isZero();
        assertThat(old.deleted).isTrue();
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(onlyKey().secret);
    }

    @Test
    void otherVariablesInAnExistingEnvSurviveAndTheOldScriptsValuesAreReplaced() throws Exception {
        Path file = dir.resolve(".env");
        String oldScriptKey = typed("sk-or-v1-" + "ab".repeat(32));
        Files.writeString(file, String.join("\n",
                "# settings of the compose project",
                "WEBUI_NAME=mAI",
                "export DATABASE_URL='postgres://db:5432/mai'",
                "MULTI=\"line one",
                "OPENROUTER_API_KEY=not a variable, a line of a quoted value\"",
                "OPENROUTER_API_KEY=" + oldScriptKey,
                "ORGANIZATION_NAME=Old Name Ltd",
                "SPENDING_LIMIT=50",
                "PORT=8080 # inline comment",
                ""));
        Map<String, String> others = new HashMap<>();
        for (String name : List.of("WEBUI_NAME", "DATABASE_URL", "MULTI", "PORT")) {
            others.put(name, DotEnvReaders.pythonDotenv(file, name));
        }
        assertThat(others.get("MULTI")).contains("line one\nOPENROUTER_API_KEY=");

        Result r = mai("--org", ORG, "--limit", "1000", "--replace");

        assertThat(r.exit()).as(r.output()).isZero();
        others.forEach((name, value) -> assertThat(DotEnvReaders.pythonDotenv(file, name)).as(name).isEqualTo(value));
        assertThat(read("ORGANIZATION_NAME")).isEqualTo(ORG);
        assertThat(read("SPENDING_LIMIT")).isEqualTo("1000.00");
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(onlyKey().secret);
        String text = Files.readString(file);
        assertThat(text).doesNotContain(oldScriptKey).doesNotContain("Old Name Ltd")
                .startsWith("# settings of the compose project\nWEBUI_NAME=mAI\n");
        assertThat(r.out()).contains("was not created by mai-env").contains("kept 4 other variables");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void aRunKilledAfterTheCreateLeavesNoExtraKeyOnceTheNextRunFinished() throws Exception {
        openRouter.createAnswerDelay(Duration.ofMinutes(1));
        MaiEnvProcess first = MaiEnvProcess.start(dir, env, List.of("--org", ORG, "--limit", "1000"));
        await().atMost(Duration.ofSeconds(60)).until(() -> !keys().isEmpty());
        outputs.add(first.kill());
        Key orphan = onlyKey();
        assertThat(Files.readString(dir.resolve(".env"))).as("the intent was written before the create")
                .contains(EnvFile.CREATE_STARTED).doesNotContain("OPENROUTER_API_KEY");
        assertThat(orphan.name).contains(id());
        openRouter.heal();

        Result next = mai("--org", ORG, "--limit", "1000");

        assertThat(next.exit()).as(next.output()).isZero();
        assertThat(orphan.deleted).as("the interrupted run's key is deleted").isTrue();
        Key kept = onlyKey();
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(kept.secret);
        assertThat(Files.readString(dir.resolve(".env"))).doesNotContain(EnvFile.CREATE_STARTED);
        assertThat(next.out()).contains("interrupted").contains("Deleted OpenRouter key " + orphan.label());
    }

    @Test
    void showKeyPrintsTheKeyOnceAndOnlyThen() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key key = onlyKey();

        Result shown = MaiEnvProcess.run(dir, env, "--show-key");

        assertThat(shown.exit()).as(shown.output()).isZero();
        assertThat(shown.out().split(Pattern.quote(key.secret), -1)).as("printed exactly once").hasSize(2);
        assertThat(shown.out()).contains("OPENROUTER_API_KEY=" + key.secret + "\n");
        assertThat(shown.err()).doesNotContain(key.secret);
    }

    @Test
    void invalidInputIsRefusedNamingTheOptionBeforeAnyCall() throws Exception {
        Result limit = mai("--org", ORG, "--limit", "1e3");
        Result org = mai("--org", "A\tB", "--limit", "10");
        Result reset = mai("--org", ORG, "--limit", "10", "--reset", "yearly");
        Result missing = mai("--no-input");

        assertThat(limit.exit()).isEqualTo(2);
        assertThat(limit.err()).contains("--limit: must be \"unlimited\" or a positive USD amount with at most 2 decimals");
        assertThat(org.exit()).isEqualTo(2);
        assertThat(org.err()).contains("--org: must not contain control or line-breaking characters");
        assertThat(reset.exit()).isEqualTo(2);
        assertThat(reset.err()).contains("--reset: must be daily, weekly, monthly or never");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--org is required");
        assertThat(List.of(limit, org, reset, missing)).allSatisfy(r -> assertThat(r.err()).doesNotContain("\tat "));
        assertThat(openRouter.requests()).isEmpty();
        assertThat(dir.resolve(".env")).doesNotExist();
    }

    @Test
    void aKeyOpenRouterDoesNotShowYetIsKeptNotDuplicated() throws Exception {
        openRouter.lookupDelay(Duration.ofMinutes(1)); // GET /keys/{hash} answers 404 for new keys
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key key = onlyKey();

        Result r = mai("--org", ORG, "--limit", "1000");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(onlyKey().hash).isEqualTo(key.hash);
        assertThat(r.out()).contains("does not show the key").contains("keeping it");
    }

    @Test
    void aKeyMarkedAsSomeoneElsesIsNeitherChangedNorDeleted() throws Exception {
        String operatorsName = Names.keyName(ORG, "tenant-abc/abc", "prod", "8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d", false);
        Key theirs = openRouter.createKey(managementKey, operatorsName);
        Files.writeString(dir.resolve(".env"), "OPENROUTER_API_KEY='" + theirs.secret + "'\nOPENROUTER_KEY_HASH='" + theirs.hash + "'\n");

        Result r = mai("--org", ORG, "--limit", "1000", "--replace"); // without it, adoption is refused (below)

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(theirs.deleted).isFalse();
        assertThat(theirs.name).isEqualTo(operatorsName);
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.operation()).containsExactly("POST /keys");
        assertThat(read("OPENROUTER_API_KEY")).isNotEqualTo(theirs.secret);
        assertThat(r.out()).contains("belongs to someone else");
    }

    @Test
    void aFileWhoseBlockIsBrokenIsLeftAloneAndAnUnclosedQuoteElsewhereDoesNotHideTheBlock() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Path file = dir.resolve(".env");
        String written = Files.readString(file);
        Files.writeString(file, "BROKEN='never closed\nREF=${OPENROUTER_API_KEY}\n" + written + "AFTER=1\n");
        openRouter.clearRequests();

        Result r = mai();

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(openRouter.requests()).noneMatch(q -> q.isWrite());
        assertThat(keys()).hasSize(1);
        assertThat(read("AFTER")).isEqualTo("1");

        String noEnd = Files.readString(file).replace(EnvFile.END + "\n", "");
        Files.writeString(file, noEnd);
        Result broken = mai();
        assertThat(broken.exit()).isEqualTo(MaiEnvCommand.FILE);
        assertThat(broken.err()).contains("has no end line").contains("was left as it is")
                .doesNotContain("Check that its directory exists");
        assertThat(Files.readString(file)).isEqualTo(noEnd);
        assertThat(keys()).hasSize(1);
    }

    @Test
    void aKeyGivenWhereItDoesNotBelongIsNeverEchoed() throws Exception {
        String key = typed("sk-or-v1-" + "7".repeat(64));
        Result argument = mai("--management-key", key);
        assertThat(argument.exit()).isEqualTo(2);
        assertThat(argument.output()).doesNotContain(key).contains("unknown option");

        Files.writeString(dir.resolve("management.key"), key.substring(0, 20) + "\u0001" + key.substring(20));
        Result mangled = mai("--org", ORG, "--limit", "1000");
        assertThat(mangled.exit()).isEqualTo(MaiEnvCommand.MANAGEMENT_KEY);
        assertThat(mangled.output()).doesNotContain(key.substring(20)).contains("characters no key has");
        assertThat(openRouter.requests()).isEmpty();
    }

    @Test
    void aSecondRunOnTheSameFileWaitsItsTurn() throws Exception {
        try (FileChannel lock = FileChannel.open(dir.resolve(".env.mai-env.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = lock.lock()) {
            Result r = mai("--org", ORG, "--limit", "1000");
            assertThat(r.exit()).isEqualTo(MaiEnvCommand.FILE);
            assertThat(r.err()).contains("Another mai-env run is using");
        }
        assertThat(openRouter.requests()).isEmpty();
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
    }

    @Test
    void theOldScriptsTroublesEachGetAnExitCodeAndSayWhatToDo() throws Exception {
        Map<String, String> wrongKey = new HashMap<>(env);
        wrongKey.remove("MAI_PROVISIONING_KEY_FILE");
        wrongKey.put("MAI_PROVISIONING_KEY", typed("sk-or-v1-" + "1".repeat(64)));
        Result rejected = MaiEnvProcess.run(dir, wrongKey, "--org", ORG, "--limit", "1000");
        outputs.add(rejected);
        assertThat(rejected.exit()).isEqualTo(MaiEnvCommand.MANAGEMENT_KEY);
        assertThat(rejected.err()).contains("OpenRouter rejected the management key").contains("HTTP 401")
                .contains("https://openrouter.ai/settings/management-keys");

        Map<String, String> noKey = new HashMap<>(env);
        noKey.remove("MAI_PROVISIONING_KEY_FILE");
        Result missing = MaiEnvProcess.run(dir, noKey, "--org", ORG, "--limit", "1000");
        outputs.add(missing);
        assertThat(missing.exit()).isEqualTo(MaiEnvCommand.MANAGEMENT_KEY);
        assertThat(missing.err()).contains("No management key").contains("MAI_PROVISIONING_KEY_FILE");

        openRouter.failNext(1, 402);
        Result poor = mai("--org", ORG, "--limit", "1000");
        assertThat(poor.exit()).isEqualTo(MaiEnvCommand.CREDITS);
        assertThat(poor.err()).contains("insufficient credits").contains("https://openrouter.ai/settings/credits");

        assertThat(dir.resolve(".env")).as("a refused create leaves no file behind").doesNotExist();

        Map<String, String> offline = new HashMap<>(env);
        try (ServerSocket closed = new ServerSocket(0)) {
            offline.put("MAI_OPENROUTER_URL", "http://127.0.0.1:" + closed.getLocalPort() + "/api/v1");
        }
        Result unreachable = MaiEnvProcess.run(dir, offline, "--org", ORG, "--limit", "1000");
        outputs.add(unreachable);
        assertThat(unreachable.exit()).isEqualTo(MaiEnvCommand.UNAVAILABLE);
        assertThat(unreachable.err()).contains("Cannot reach OpenRouter").contains("run again");
        assertThat(Files.readString(dir.resolve(".env"))).as("the outcome is unknown: the intent stays for the next run")
                .contains(EnvFile.CREATE_STARTED).doesNotContain("OPENROUTER_API_KEY");

        openRouter.failAll(503);
        Result down = mai("--org", ORG, "--limit", "1000");
        assertThat(down.exit()).isEqualTo(MaiEnvCommand.UNAVAILABLE);
        assertThat(down.err()).contains("OpenRouter is unavailable").contains("HTTP 503");
        openRouter.heal();

        assertThat(List.of(rejected, missing, poor, unreachable, down)).allSatisfy(r -> assertThat(r.output()).doesNotContain("\tat "));
        assertThat(keys()).as("nothing was created").isEmpty();

        Result fine = mai("--org", ORG, "--limit", "1000");
        assertThat(fine.exit()).as(fine.output()).isZero();
        assertThat(keys()).hasSize(1);
    }

    @Test
    void aScriptedTerminalSessionAnswersThePromptsAndGetsWhatTheFlagsGive() throws Exception {
        Path flags = Files.createDirectory(dir.resolve("flags"));
        assertThat(mai(flags, "--org", ORG, "--limit", "750.5").exit()).isZero();

        Path terminal = Files.createDirectory(dir.resolve("terminal"));
        Map<String, String> noKey = new HashMap<>(env);
        noKey.remove("MAI_PROVISIONING_KEY_FILE");
        Result session = Terminal.session(terminal, noKey, List.of(
                new Terminal.Answer("management key", managementKey),
                new Terminal.Answer("Organization name", ORG),
                new Terminal.Answer("Spending limit", "0"), // refused, asked again
                new Terminal.Answer("Spending limit", "750.5")));
        outputs.add(session);

        assertThat(session.exit()).as(session.out()).isZero();
        assertThat(session.out()).contains("--limit: must be greater than zero").contains("Created OpenRouter key");
        assertThat(session.out()).as("the management key is not echoed").doesNotContain(managementKey);

        Path piped = Files.createDirectory(dir.resolve("piped"));
        Result pipe = MaiEnvProcess.runWithInput(piped, noKey, managementKey + "\n" + ORG + "\n750.5\n");
        outputs.add(pipe);
        assertThat(pipe.exit()).as(pipe.output()).isZero();

        assertThat(keys()).hasSize(3).allSatisfy(k -> {
            assertThat(k.limit).isEqualByComparingTo(new BigDecimal("750.50"));
            assertThat(k.name).startsWith("mAI Client: " + ORG + " (mai-env on ");
        });
        for (String name : VARIABLES) {
            if (name.equals("OPENROUTER_API_KEY") || name.equals("OPENROUTER_KEY_HASH")) {
                continue;
            }
            String expected = DotEnvReaders.pythonDotenv(flags.resolve(".env"), name);
            assertThat(DotEnvReaders.pythonDotenv(terminal.resolve(".env"), name)).as("terminal " + name).isEqualTo(expected);
            assertThat(DotEnvReaders.pythonDotenv(piped.resolve(".env"), name)).as("piped " + name).isEqualTo(expected);
        }
        for (Path d : List.of(terminal, piped)) {
            String key = DotEnvReaders.pythonDotenv(d.resolve(".env"), "OPENROUTER_API_KEY");
            assertThat(keys()).anySatisfy(k -> assertThat(k.secret).isEqualTo(key));
        }
    }

    // ---- ownership: mai-env writes only to keys carrying its file's mark -----------------------

    @Test
    void aKeyTheEnvNamesWithoutThisFilesMarkKeepsNameLimitAndStateAndIsNotDeleted() throws Exception {
        Map<String, Key> foreign = new LinkedHashMap<>();
        foreign.put("unmarked", openRouter.createKey(managementKey, "Team key made by hand"));
        foreign.put("another file's", openRouter.createKey(managementKey,
                Names.keyName(ORG, "mai-env on elsewhere", Names.ENV_INSTALLATION, "0b6f3c2e-5d1a-4e8f-9a7b-3c2d1e0f4a5b", false)));
        foreign.put("another installation's", openRouter.createKey(managementKey,
                Names.keyName(ORG, "tenant-abc/abc", "staging", "8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d", false)));
        Map<Key, String> names = new HashMap<>();
        for (Key k : foreign.values()) {
            k.limit = new BigDecimal("5.00");
            k.limitReset = "daily";
            names.put(k, k.name);
        }

        for (Map.Entry<String, Key> e : foreign.entrySet()) {
            Key theirs = e.getValue();
            // the file's own key, with its hash line edited to name the foreign key
            Path own = Files.createDirectory(dir.resolve("own-" + theirs.hash.substring(0, 8)));
            assertThat(mai(own, "--org", ORG, "--limit", "1000").exit()).isZero();
            Path file = own.resolve(".env");
            String ownHash = DotEnvReaders.pythonDotenv(file, "OPENROUTER_KEY_HASH");
            Files.writeString(file, Files.readString(file).replace(ownHash, theirs.hash));
            // a file holding the foreign key itself and its hash (no mai-env block)
            Path bare = Files.createDirectory(dir.resolve("bare-" + theirs.hash.substring(0, 8)));
            Files.writeString(bare.resolve(".env"), "OPENROUTER_API_KEY='" + theirs.secret + "'\nOPENROUTER_KEY_HASH='" + theirs.hash + "'\n");
            openRouter.clearRequests();

            Result edited = mai(own, "--limit", "2000", "--reset", "monthly");
            Result copied = mai(bare, "--org", ORG, "--limit", "2000", "--replace");

            assertThat(theirs.name).as(e.getKey()).isEqualTo(names.get(theirs));
            assertThat(theirs.limit).as(e.getKey()).isEqualByComparingTo("5.00");
            assertThat(theirs.limitReset).as(e.getKey()).isEqualTo("daily");
            assertThat(theirs.disabled).as(e.getKey()).isFalse();
            assertThat(theirs.deleted).as(e.getKey()).isFalse();
            assertThat(openRouter.requests()).as(e.getKey() + ": no write names the foreign key")
                    .filteredOn(q -> q.isWrite()).noneMatch(q -> q.path().contains(theirs.hash));
            // an operator's key in a file of mai-env's is one a MaiClient adopted: the run stops (see the test of that)
            boolean operators = e.getKey().equals("another installation's");
            for (Result r : operators ? List.of(copied) : List.of(edited, copied)) {
                assertThat(r.exit()).as(e.getKey() + ": " + r.output()).isZero();
                assertThat(r.out()).as(e.getKey()).contains("is left as it is");
            }
            for (Result r : List.of(edited, copied)) {
                // nothing of a key that is not this file's is shown: not its label, name or limit
                assertThat(r.output()).as(e.getKey()).doesNotContain(theirs.label()).doesNotContain(theirs.name).doesNotContain("5.00");
            }
            String named = DotEnvReaders.pythonDotenv(own.resolve(".env"), "OPENROUTER_KEY_HASH");
            if (operators) {
                assertThat(edited.exit()).as(edited.output()).isEqualTo(MaiEnvCommand.MOVED);
                assertThat(named).as("the file is as it was").isEqualTo(theirs.hash);
            } else {
                assertThat(named).as(e.getKey()).isNotEqualTo(theirs.hash);
            }
            assertThat(DotEnvReaders.pythonDotenv(bare.resolve(".env"), "OPENROUTER_API_KEY")).isNotEqualTo(theirs.secret);
            assertThat(operators ? edited.err() : edited.out()).as(e.getKey()).contains(e.getKey().equals("unmarked")
                    ? "carries no mark" : operators ? "managed by a mai-operator installation" : "belongs to someone else");
        }
    }

    @Test
    void aHashThatIsNotSixtyFourLowercaseHexIsRefusedAndNeverSent() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key key = onlyKey();
        Path file = dir.resolve(".env");
        String written = Files.readString(file);

        for (String bad : List.of("../keys", "../keys/" + key.hash, key.hash.toUpperCase(Locale.ROOT), key.hash.substring(0, 12),
                key.hash + "0", "%2e%2e%2fkeys")) {
            String edited = written.replace(key.hash, bad);
            Files.writeString(file, edited);
            openRouter.clearRequests();

            Result r = mai("--limit", "2000");

            assertThat(r.exit()).as(bad + ": " + r.output()).isEqualTo(MaiEnvCommand.FILE);
            assertThat(r.err()).as(bad).contains("OPENROUTER_KEY_HASH in " + file.toRealPath())
                    .contains("must be 64 lowercase hex characters").doesNotContain(bad);
            assertThat(openRouter.requests()).as(bad + ": nothing sent").isEmpty();
            assertThat(Files.readString(file)).as(bad).isEqualTo(edited);
        }
        assertThat(key.limit).isEqualByComparingTo("1000");
        assertThat(key.deleted).isFalse();
    }

    @Test
    void aSymbolicLinkInPlaceOfTheLockFileIsNeverFollowed() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path absent = elsewhere.resolve("would-be-created");
        Path precious = elsewhere.resolve("precious");
        Files.writeString(precious, "precious\n");
        Files.setPosixFilePermissions(precious, PosixFilePermissions.fromString("rw-r--r--"));
        FileTime modified = Files.getLastModifiedTime(precious);
        Path lock = dir.resolve(".env.mai-env.lock");
        Path named = dir.toRealPath().resolve(".env.mai-env.lock");

        for (Path target : List.of(absent, precious)) {
            Files.deleteIfExists(lock);
            Files.createSymbolicLink(lock, target);

            Result r = mai("--org", ORG, "--limit", "1000");

            assertThat(r.exit()).as(r.output()).isEqualTo(MaiEnvCommand.FILE);
            assertThat(r.err()).contains(named + " is a symbolic link").contains("Remove " + named);
            assertThat(Files.isSymbolicLink(lock)).isTrue();
        }
        assertThat(absent).as("a dangling link's target is not created").doesNotExist();
        assertThat(Files.readString(precious)).isEqualTo("precious\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(precious))).isEqualTo("rw-r--r--");
        assertThat(Files.getLastModifiedTime(precious)).isEqualTo(modified);
        assertThat(openRouter.requests()).isEmpty();
        assertThat(dir.resolve(".env")).doesNotExist();
    }

    @Test
    void aRunAsRootKeepsTheOwnerAndGroupOfTheEnvItRewritesAndOfItsLock() throws Exception {
        // the test directory was made by this process: its owner tells whether the runs are root's
        Assumptions.assumeTrue((Integer) Files.getAttribute(dir, "unix:uid") == 0, "only root may give a file away");
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Path file = dir.resolve(".env");
        Path lock = dir.resolve(".env.mai-env.lock");
        Files.setAttribute(file, "unix:uid", 1000);
        Files.setAttribute(file, "unix:gid", 1001);
        assertThat(Files.getAttribute(lock, "unix:uid")).as("the first run, as root, made the lock").isEqualTo(0);

        Result r = mai("--limit", "2000");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(read("SPENDING_LIMIT")).as("the file was rewritten").isEqualTo("2000.00");
        assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(1000);
        assertThat(Files.getAttribute(file, "unix:gid")).isEqualTo(1001);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.getAttribute(lock, "unix:uid")).as("the file's owner can take the lock next time").isEqualTo(1000);
        assertThat(Files.getAttribute(lock, "unix:gid")).isEqualTo(1001);
    }

    @Test
    void aCopiedEnvIsDetectedBeforeAnythingIsDeletedAndGetsItsOwnKeyOnlyWhenAsked() throws Exception {
        Path original = Files.createDirectory(dir.resolve("project"));
        assertThat(mai(original, "--org", ORG, "--limit", "1000").exit()).isZero();
        Key key = onlyKey();
        String name = key.name;
        String text = Files.readString(original.resolve(".env"));
        Path copy = Files.createDirectory(dir.resolve("project-copy"));
        Files.copy(original.resolve(".env"), copy.resolve(".env"));
        // a copy taken while a create was under way would also have the next run collect keys
        Path midCreate = Files.createDirectory(dir.resolve("project-copy-2"));
        Files.writeString(midCreate.resolve(".env"), text.replace(EnvFile.END, EnvFile.CREATE_STARTED + Instant.now() + "\n" + EnvFile.END));
        openRouter.clearRequests();

        Result rotate = mai(copy, "--rotate");
        Result plain = mai(midCreate, "--limit", "5");

        for (Result r : List.of(rotate, plain)) {
            assertThat(r.exit()).as(r.output()).isEqualTo(MaiEnvCommand.COPIED);
            assertThat(r.err()).contains("is not where it was written").contains(original.toRealPath().resolve(".env").toString())
                    .contains("--new-id").contains("--moved");
        }
        assertThat(openRouter.requests()).as("detected before any request").isEmpty();
        assertThat(key.deleted).isFalse();
        assertThat(key.name).isEqualTo(name);
        assertThat(key.limit).isEqualByComparingTo("1000");
        assertThat(Files.readString(original.resolve(".env"))).isEqualTo(text);

        Result own = mai(copy, "--new-id", "--limit", "300");
        assertThat(own.exit()).as(own.output()).isZero();
        assertThat(own.out()).contains("gets a new id").contains("belongs to the file this one was copied from");
        assertThat(key.deleted).isFalse();
        assertThat(key.name).isEqualTo(name);
        assertThat(key.limit).isEqualByComparingTo("1000");
        assertThat(keys()).hasSize(2);
        assertThat(DotEnvReaders.pythonDotenv(copy.resolve(".env"), "OPENROUTER_API_KEY")).isNotEqualTo(key.secret);
        openRouter.clearRequests();
        assertThat(mai(original).exit()).isZero();
        assertThat(mai(copy).exit()).isZero();
        assertThat(openRouter.requests()).as("both files are at home now").noneMatch(q -> q.isWrite());

        // a moved folder: stopped until --moved is given; --moved is refused while the old place still holds the id
        Path moved = Files.move(original, dir.resolve("project-renamed"));
        Result unsaid = mai(moved);
        assertThat(unsaid.exit()).as(unsaid.output()).isEqualTo(MaiEnvCommand.COPIED);
        Result claimed = mai(moved, "--moved");
        assertThat(claimed.exit()).as(claimed.output()).isZero();
        Files.copy(moved.resolve(".env"), midCreate.resolve(".env"), StandardCopyOption.REPLACE_EXISTING);
        Result stillThere = mai(midCreate, "--moved");
        assertThat(stillThere.exit()).as(stillThere.output()).isEqualTo(MaiEnvCommand.COPIED);
        assertThat(stillThere.err()).contains("still holds this id").contains("--new-id");
        assertThat(key.deleted).isFalse();
        assertThat(DotEnvReaders.pythonDotenv(moved.resolve(".env"), "OPENROUTER_API_KEY")).isEqualTo(key.secret);
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).as("a move changes no key").isEmpty();
    }

    @Test
    void newIdOnTheFileWhereItWasWrittenIsRefusedAndItsKeyAndUnfinishedCreateStayItsOwn() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        Key key = onlyKey();
        Path file = dir.resolve(".env");
        // an unfinished create under the file's id: only this file's runs collect what it left
        String text = Files.readString(file).replace(EnvFile.END, EnvFile.CREATE_STARTED + Instant.now() + "\n" + EnvFile.END);
        Files.writeString(file, text);
        String id = id();
        openRouter.clearRequests();

        Result r = mai("--new-id", "--limit", "2000");

        assertThat(r.exit()).as(r.output()).isEqualTo(MaiEnvCommand.COPIED);
        assertThat(r.err()).contains("--new-id").contains("is where it was written").contains("--rotate");
        assertThat(openRouter.requests()).as("refused before any request").isEmpty();
        assertThat(Files.readString(file)).isEqualTo(text);
        assertThat(id()).isEqualTo(id);
        assertThat(key.deleted).isFalse();
        assertThat(key.limit).isEqualByComparingTo("1000");
        assertThat(keys()).hasSize(1);
    }

    @Test
    void aSymbolicLinkAsTheEnvIsNotFollowedOutOfItsDirectoryNorByRoot() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path precious = elsewhere.resolve("precious");
        Files.writeString(precious, "precious\n");
        Files.setPosixFilePermissions(precious, PosixFilePermissions.fromString("rw-r--r--"));
        FileTime modified = Files.getLastModifiedTime(precious);
        Path env = dir.resolve(".env");
        Files.createSymbolicLink(env, precious);

        Result out = mai("--org", ORG, "--limit", "1000");

        assertThat(out.exit()).as(out.output()).isEqualTo(MaiEnvCommand.FILE);
        assertThat(out.err()).contains(env.getFileName() + " is a symbolic link").contains("--out");
        assertThat(Files.readString(precious)).isEqualTo("precious\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(precious))).isEqualTo("rw-r--r--");
        assertThat(Files.getLastModifiedTime(precious)).isEqualTo(modified);
        assertThat(Files.list(elsewhere).map(p -> p.getFileName().toString())).as("no lock or temporary file there")
                .containsExactly("precious");
        assertThat(Files.isSymbolicLink(env)).isTrue();
        assertThat(openRouter.requests()).isEmpty();

        // a link to a file beside it: followed for its owner, never by root (the test directory's owner tells who runs)
        Path beside = dir.resolve(".env.production");
        Files.writeString(beside, "OTHER=1\n");
        Files.delete(env);
        Files.createSymbolicLink(env, beside.getFileName());
        Result near = mai("--org", ORG, "--limit", "1000");
        if ((Integer) Files.getAttribute(dir, "unix:uid") == 0) {
            assertThat(near.exit()).as(near.output()).isEqualTo(MaiEnvCommand.FILE);
            assertThat(near.err()).contains(env.getFileName() + " is a symbolic link").contains("root");
            assertThat(Files.readString(beside)).isEqualTo("OTHER=1\n");
            assertThat(openRouter.requests()).isEmpty();
        } else {
            assertThat(near.exit()).as(near.output()).isZero();
            assertThat(DotEnvReaders.pythonDotenv(beside, "OTHER")).isEqualTo("1");
            assertThat(DotEnvReaders.pythonDotenv(beside, "OPENROUTER_API_KEY")).isEqualTo(onlyKey().secret);
        }
        assertThat(Files.isSymbolicLink(env)).isTrue();
    }

    @Test
    void helpNamesEveryCauseOfExitSix() throws Exception {
        Result help = mai("--help");
        assertThat(help.exit()).isZero();
        String text = help.out().replaceAll("\\s+", " ");
        int at = text.indexOf("Exit codes:");
        String six = text.substring(text.indexOf(" 6 ", at), text.indexOf(" 7 ", text.indexOf(" 6 ", at)));
        assertThat(six).contains("another run").contains("lock file").contains("symbolic link").contains("OPENROUTER_KEY_HASH");
    }

    // ---- adoption: a key mai-env did not make is taken over, not replaced ----------------------

    @Test
    void anOldScriptsEnvIsAdoptedRenamedAndLimitedWithItsSpendKeptAndNoNewKey() throws Exception {
        Key old = oldScriptKey(managementKey);
        Path file = oldScriptEnv(dir, old.secret);

        Result r = mai("--org", ORG, "--limit", "250", "--reset", "monthly");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(onlyKey().hash).isEqualTo(old.hash);
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.method() + " " + q.path())
                .containsExactly("PATCH /keys/" + old.hash);
        assertThat(old.name).startsWith("mAI Client: " + ORG + " (mai-env on ").endsWith(" [mai:" + Names.ENV_INSTALLATION + ":" + id() + "]");
        assertThat(old.limit).isEqualByComparingTo("250");
        assertThat(old.limitReset).isEqualTo("monthly");
        assertThat(old.usage).isEqualByComparingTo("30");
        assertThat(old.usageInPeriod).as("adoption keeps the month's spend").isEqualByComparingTo("30");
        assertThat(old.disabled).isFalse();
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(old.secret);
        assertThat(read("OPENROUTER_KEY_HASH")).isEqualTo(old.hash);
        assertThat(read("SPENDING_LIMIT")).isEqualTo("250.00");
        assertThat(read("WEBUI_NAME")).as("the file's other lines are kept").isEqualTo("mAI");
        assertThat(Files.readString(file)).contains(EnvFile.BEGIN).doesNotContain(EnvFile.ADOPT_STARTED).doesNotContain("Old Name Ltd");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(r.out()).contains("Adopted OpenRouter key " + old.label()).contains("(no new key)").contains("spend kept (30.00 USD");

        openRouter.clearRequests();
        Result again = mai();
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(openRouter.requests()).as("the adopted key is the file's own now").noneMatch(q -> q.isWrite());
        assertThat(again.out()).contains("is valid and up to date");
    }

    @Test
    void replaceGivesAnOldScriptsEnvANewKeyAndLeavesTheOldOneAsItWas() throws Exception {
        Key old = oldScriptKey(managementKey);
        String name = old.name;
        oldScriptEnv(dir, old.secret);

        Result r = mai("--org", ORG, "--limit", "250", "--replace");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.operation()).containsExactly("POST /keys");
        assertThat(keys()).hasSize(2);
        assertThat(old.name).isEqualTo(name);
        assertThat(old.limit).isEqualByComparingTo("100");
        assertThat(old.deleted).isFalse();
        assertThat(read("OPENROUTER_API_KEY")).isNotEqualTo(old.secret);
        assertThat(r.out()).contains("was not created by mai-env").contains("The old key is left on OpenRouter");
    }

    @Test
    void aKeyThatCannotBeAdoptedIsRefusedWithItsRuleAndNothingWritten() throws Exception {
        Key disabled = oldScriptKey(managementKey);
        openRouter.disableOutside(disabled.hash);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("does not authenticate", typed("sk-or-v1-" + "ab".repeat(32)));
        cases.put("a management key", managementKey);
        cases.put("disabled", disabled.secret);
        cases.put("an operator's", openRouter.createKey(managementKey,
                Names.keyName(ORG, "tenant-abc/abc", "prod", "8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d", false)).secret);
        cases.put("a retained operator's", openRouter.createKey(managementKey,
                Names.keyName(ORG, "tenant-abc/old", "prod", "2c9d7e1f-4b3a-4c5d-8e6f-7a8b9c0d1e2f", true)).secret);
        cases.put("another file's", openRouter.createKey(managementKey,
                Names.keyName(ORG, "mai-env on elsewhere", Names.ENV_INSTALLATION, "0b6f3c2e-5d1a-4e8f-9a7b-3c2d1e0f4a5b", false)).secret);
        cases.put("not a key", typed("sk-or-v1-NOT-A-KEY"));
        // a marked key is refused in mai-env's own words: the operator's (a MaiClient's settings) make no sense here
        Map<String, String> rules = Map.of("does not authenticate", "OpenRouter does not accept",
                "a management key", "holds a management key", "disabled", "OpenRouter does not accept",
                "an operator's", "which a mai-operator installation manages",
                "a retained operator's", "kept after its MaiClient was deleted",
                "another file's", "which another .env file keeps with mai-env", "not a key", "shape");
        List<Key> before = keys();
        Map<Key, String> names = new HashMap<>();
        before.forEach(k -> names.put(k, k.name));
        openRouter.clearRequests();

        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path where = Files.createDirectory(dir.resolve(c.getKey().replaceAll("[^a-z]", "-")));
            Path file = oldScriptEnv(where, c.getValue());
            String text = Files.readString(file);

            Result r = mai(where, "--org", ORG, "--limit", "250");

            assertThat(r.exit()).as(c.getKey() + ": " + r.output()).isEqualTo(MaiEnvCommand.ADOPTION_REFUSED);
            assertThat(r.err()).as(c.getKey()).contains("OPENROUTER_API_KEY in " + file.toRealPath()).contains(rules.get(c.getKey()))
                    .contains("Nothing was changed").contains("--replace").doesNotContain(c.getValue())
                    .doesNotContain("a MaiClient cannot").doesNotContain("operator's settings");
            assertThat(Files.readString(file)).as(c.getKey() + ": the file is as it was").isEqualTo(text);
        }
        assertThat(openRouter.requests()).as("no write to OpenRouter").noneMatch(q -> q.isWrite());
        assertThat(keys()).containsExactlyInAnyOrderElementsOf(before);
        names.forEach((k, name) -> assertThat(k.name).isEqualTo(name));
        assertThat(disabled.disabled).isTrue();
    }

    @Test
    void twoKeysThatLookAlikeAreRefusedUntilAdoptHashPicksOneOfThem() throws Exception {
        // the same label (first and last 3 hex) and the same figures: only a person can tell which the file holds
        String mine = typed("sk-or-v1-abc" + "1".repeat(58) + "def");
        String twin = typed("sk-or-v1-abc" + "2".repeat(58) + "def");
        Key a = openRouter.restore(mine, "a1".repeat(32), managementKey, Instant.now().minusSeconds(7200), "client (old script)",
                new BigDecimal("100"), "monthly", false, new BigDecimal("30"), new BigDecimal("30"));
        Key b = openRouter.restore(twin, "b2".repeat(32), managementKey, Instant.now().minusSeconds(3600), "client (old script)",
                new BigDecimal("100"), "monthly", false, new BigDecimal("30"), new BigDecimal("30"));
        Key other = oldScriptKey(managementKey);
        Path file = oldScriptEnv(dir, mine);
        String text = Files.readString(file);
        openRouter.clearRequests();

        Result ambiguous = mai("--org", ORG, "--limit", "250");
        Result wrong = mai("--org", ORG, "--limit", "250", "--adopt-hash", other.hash);
        Result notAHash = mai("--org", ORG, "--limit", "250", "--adopt-hash", "A1".repeat(32));

        assertThat(ambiguous.exit()).as(ambiguous.output()).isEqualTo(MaiEnvCommand.ADOPTION_REFUSED);
        assertThat(ambiguous.err()).contains("--adopt-hash is needed").contains(a.hash).contains(b.hash).doesNotContain(other.hash);
        assertThat(wrong.exit()).as(wrong.output()).isEqualTo(MaiEnvCommand.ADOPTION_REFUSED);
        assertThat(wrong.err()).contains("--adopt-hash names no key that can be adopted");
        assertThat(notAHash.exit()).as(notAHash.output()).isEqualTo(MaiEnvCommand.INVALID);
        assertThat(openRouter.requests()).noneMatch(q -> q.isWrite());
        assertThat(Files.readString(file)).isEqualTo(text);

        Result picked = mai("--org", ORG, "--limit", "250", "--adopt-hash", a.hash);

        assertThat(picked.exit()).as(picked.output()).isZero();
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.method() + " " + q.path())
                .containsExactly("PATCH /keys/" + a.hash);
        assertThat(a.name).endsWith("[mai:" + Names.ENV_INSTALLATION + ":" + id() + "]");
        assertThat(b.name).isEqualTo("client (old script)");
        assertThat(read("OPENROUTER_KEY_HASH")).isEqualTo(a.hash);
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(mine);
    }

    @Test
    void anAdoptionCutShortAroundItsPatchIsFinishedByTheNextRunWithOneKey() throws Exception {
        for (boolean applied : List.of(true, false)) {
            Path where = Files.createDirectory(dir.resolve("applied-" + applied));
            Key old = oldScriptKey(managementKey);
            Path file = oldScriptEnv(where, old.secret);
            openRouter.losePatchResponses(1, applied);

            Result cut = mai(where, "--org", ORG, "--limit", "250", "--reset", "monthly");

            assertThat(cut.exit()).as(cut.output()).isEqualTo(MaiEnvCommand.UNAVAILABLE);
            assertThat(Files.readString(file)).as("the intent was written before the PATCH")
                    .contains(EnvFile.ADOPT_STARTED + old.hash).contains(old.secret);
            assertThat(old.name.contains("[mai:" + Names.ENV_INSTALLATION + ":")).as("renamed: " + applied).isEqualTo(applied);
            openRouter.heal();
            openRouter.clearRequests();

            Result next = mai(where, "--org", ORG, "--limit", "250", "--reset", "monthly");

            assertThat(next.exit()).as(next.output()).isZero();
            assertThat(openRouter.count("POST /keys")).isZero();
            String id = id(where);
            assertThat(keys().stream().filter(k -> k.name.contains(id))).as("exactly one key for the file").containsExactly(old);
            assertThat(old.name).endsWith(":" + id + "]");
            assertThat(old.limit).isEqualByComparingTo("250");
            assertThat(old.usageInPeriod).isEqualByComparingTo("30");
            assertThat(DotEnvReaders.pythonDotenv(file, "OPENROUTER_API_KEY")).isEqualTo(old.secret);
            assertThat(DotEnvReaders.pythonDotenv(file, "OPENROUTER_KEY_HASH")).isEqualTo(old.hash);
            assertThat(Files.readString(file)).doesNotContain(EnvFile.ADOPT_STARTED);
            if (applied) {
                assertThat(next.out()).contains("interrupted while adopting");
                assertThat(openRouter.requests()).as("name and limit were set by the cut run").noneMatch(q -> q.isWrite());
            } else {
                assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.operation())
                        .containsExactly("PATCH /keys/{hash}");
            }
        }
    }

    @Test
    void aKeyAnOperatorAdoptedStopsPlainRunsWithExitTenAndReplaceOrRotateGiveTheFileANewKeyOnPurpose() throws Exception {
        for (String asked : List.of("--replace", "--rotate")) {
            boolean retained = asked.equals("--rotate"); // a key the operator kept after its MaiClient was deleted counts too
            Path where = Files.createDirectory(dir.resolve("taken" + asked));
            assertThat(mai(where, "--org", ORG, "--limit", "1000", "--reset", "monthly").exit()).isZero();
            Path file = where.resolve(".env");
            Key key = openRouter.key(DotEnvReaders.pythonDotenv(file, "OPENROUTER_KEY_HASH")).orElseThrow();
            // what a MaiClient with spec.adoptKeyFrom, fed by kubectl create secret --from-env-file=.env, made of the key
            String operators = Names.keyName("Org", "ns/abc", "some-install", UUID.randomUUID().toString(), retained);
            key.name = operators;
            String text = Files.readString(file);
            openRouter.clearRequests();

            Result plain = mai(where);
            Result limited = mai(where, "--limit", "2000");

            for (Result r : List.of(plain, limited)) {
                assertThat(r.exit()).as(asked + ": " + r.output()).isEqualTo(MaiEnvCommand.MOVED);
                assertThat(r.err()).contains("is managed by a mai-operator installation").contains("moved to Kubernetes")
                        .contains("--replace").contains("changed nothing").doesNotContain(operators);
            }
            assertThat(openRouter.requests()).as(asked + ": no write, no second key").noneMatch(q -> q.isWrite());
            assertThat(Files.readString(file)).isEqualTo(text);

            Result fresh = mai(where, asked);

            assertThat(fresh.exit()).as(fresh.output()).isZero();
            assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.operation()).containsExactly("POST /keys");
            assertThat(key.name).as("the operator's key is left as it is").isEqualTo(operators);
            assertThat(key.limit).isEqualByComparingTo("1000");
            assertThat(key.deleted).isFalse();
            assertThat(DotEnvReaders.pythonDotenv(file, "OPENROUTER_API_KEY")).isNotEqualTo(key.secret);
            assertThat(fresh.out()).contains("is left as it is").contains("Created OpenRouter key");
        }
        openRouter.clearRequests();
        Result own = mai(dir.resolve("taken--replace"), "--replace");
        assertThat(own.exit()).as("--replace on mai-env's own key: " + own.output()).isEqualTo(MaiEnvCommand.INVALID);
        assertThat(own.err()).contains("--replace:").contains("--rotate");
        assertThat(openRouter.requests()).noneMatch(q -> q.isWrite());
    }

    @Test
    void adoptionWithoutResetKeepsTheResetTheKeyHasAndLaterRunsAndExportKeepItToo() throws Exception {
        Key old = openRouter.createKey(managementKey, "client-abc (old script)");
        old.limit = new BigDecimal("1000");
        old.limitReset = "monthly";
        old.usage = new BigDecimal("400");
        old.usageInPeriod = new BigDecimal("123.45");
        Path file = Files.writeString(dir.resolve(".env"), String.join("\n", "OPENROUTER_API_KEY=" + old.secret,
                "ORGANIZATION_NAME=\"" + ORG + "\"", "SPENDING_LIMIT=1000", ""));

        Result r = mai("--no-input");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.method() + " " + q.path())
                .containsExactly("PATCH /keys/" + old.hash);
        assertThat(old.limitReset).as("a monthly budget stays monthly").isEqualTo("monthly");
        assertThat(old.limit).isEqualByComparingTo("1000");
        assertThat(old.usageInPeriod).isEqualByComparingTo("123.45");
        assertThat(old.name).endsWith("[mai:" + Names.ENV_INSTALLATION + ":" + id() + "]");
        assertThat(r.out()).contains("limit 1000.00, resets monthly (the key's own reset, kept; --reset changes it)")
                .contains("spend kept (123.45 USD in this period)");
        assertThat(Files.readString(file)).contains(EnvFile.LIMIT_RESET + "monthly\n");

        openRouter.clearRequests();
        Result again = mai("--no-input");
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(openRouter.requests()).as("the file remembers the reset").noneMatch(q -> q.isWrite());
        Result exported = mai("export", "--namespace", "tenant-abc", "--name", "abc", "--out-dir", "k8s");
        assertThat(exported.exit()).as(exported.output()).isZero();
        MaiClient client = Serialization.unmarshal(Files.readString(dir.resolve("k8s/abc-maiclient.yaml")), MaiClient.class);
        assertThat(client.getSpec().getLimitReset()).isEqualTo("monthly");
        assertThat(old.limitReset).isEqualTo("monthly");
    }

    @Test
    void aLimitAtOrBelowWhatTheKeySpentInItsPeriodIsRefusedWithNothingWrittenAndAHigherOneAdopts() throws Exception {
        Key old = oldScriptKey(managementKey); // 30 of 100 USD spent this month
        String name = old.name;
        Path file = oldScriptEnv(dir, old.secret);
        String text = Files.readString(file);
        openRouter.clearRequests();

        Result below = mai("--org", ORG, "--limit", "20", "--reset", "monthly");
        Result equal = mai("--org", ORG, "--limit", "30"); // the key's monthly reset is kept: the month's spend counts

        for (Result r : List.of(below, equal)) {
            assertThat(r.exit()).as(r.output()).isEqualTo(MaiEnvCommand.ADOPTION_REFUSED);
            assertThat(r.err()).contains("already spent this month").contains(": 30.00 USD").contains("--limit above 30.00")
                    .contains("nothing was changed");
        }
        assertThat(openRouter.requests()).as("no PATCH").noneMatch(q -> q.isWrite());
        assertThat(Files.readString(file)).isEqualTo(text);
        assertThat(old.name).isEqualTo(name);
        assertThat(old.limit).isEqualByComparingTo("100");
        assertThat(old.disabled).as("the Compose client keeps working").isFalse();

        Result higher = mai("--org", ORG, "--limit", "50");

        assertThat(higher.exit()).as(higher.output()).isZero();
        assertThat(openRouter.requests()).filteredOn(q -> q.isWrite()).extracting(q -> q.method() + " " + q.path())
                .containsExactly("PATCH /keys/" + old.hash);
        assertThat(old.limit).isEqualByComparingTo("50");
        assertThat(old.limitReset).isEqualTo("monthly");
        assertThat(old.usageInPeriod).isEqualByComparingTo("30");
        assertThat(old.disabled).isFalse();
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(old.secret);
    }

    // ---- export: the client moves to Kubernetes with its key -----------------------------------

    @Test
    void exportWritesTheSecretAndTheMaiClientOwnerOnlyAndLaterRunsChangeNothing() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000", "--reset", "monthly").exit()).isZero();
        Key key = onlyKey();
        openRouter.clearRequests();

        Result r = mai("export", "--namespace", "tenant-abc", "--name", "abc", "--out-dir", "k8s");

        assertThat(r.exit()).as(r.output()).isZero();
        Path secretFile = dir.resolve("k8s/abc-adopt-secret.yaml");
        Path clientFile = dir.resolve("k8s/abc-maiclient.yaml");
        for (Path f : List.of(secretFile, clientFile)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
        }
        Secret secret = Serialization.unmarshal(Files.readString(secretFile), Secret.class);
        assertThat(secret.getMetadata().getName()).isEqualTo("abc-adopt");
        assertThat(secret.getMetadata().getNamespace()).isEqualTo("tenant-abc");
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("OPENROUTER_API_KEY")), StandardCharsets.UTF_8))
                .isEqualTo(key.secret);
        MaiClient client = Serialization.unmarshal(Files.readString(clientFile), MaiClient.class);
        assertThat(client.getApiVersion()).isEqualTo("mai.dev/v1alpha1");
        assertThat(client.getMetadata().getName()).isEqualTo("abc");
        assertThat(client.getMetadata().getNamespace()).isEqualTo("tenant-abc");
        assertThat(client.getSpec().getOrganizationName()).isEqualTo(ORG);
        assertThat(client.getSpec().getSpendingLimit().getStrVal()).isEqualTo("1000.00");
        assertThat(client.getSpec().getLimitReset()).isEqualTo("monthly");
        assertThat(client.getSpec().getExternalUser()).isEqualTo(Names.defaultExternalUser(ORG));
        assertThat(client.getSpec().getAdoptKeyFrom().getName()).isEqualTo("abc-adopt");
        assertThat(client.getSpec().getAdoptKeyFrom().getHash()).isEqualTo(key.hash);
        assertThat(r.output()).doesNotContain(key.secret);
        assertThat(r.out()).contains("MAI_ADOPTION_NAMESPACES").contains("MAI_ADOPTION_FROM=mai-env")
                .contains("kubectl apply -f " + secretFile.toRealPath()).contains("kubectl delete secret abc-adopt -n tenant-abc");
        assertThat(openRouter.requests()).as("export sends nothing").isEmpty();
        Path file = dir.resolve(".env");
        String exported = Files.readString(file);
        assertThat(exported).contains(EnvFile.MOVED_TO + "tenant-abc/abc at ");
        assertThat(read("OPENROUTER_API_KEY")).isEqualTo(key.secret);

        for (String[] args : List.of(new String[0], new String[] {"--rotate"}, new String[] {"--limit", "5"},
                new String[] {"--replace"})) {
            Result later = mai(args);
            assertThat(later.exit()).as(String.join(" ", args) + ": " + later.output()).isEqualTo(MaiEnvCommand.MOVED);
            assertThat(later.err()).contains("was moved to Kubernetes").contains("tenant-abc/abc").contains("changed nothing");
        }
        assertThat(openRouter.requests()).as("no request at all, let alone a write").isEmpty();
        assertThat(Files.readString(file)).isEqualTo(exported);
        assertThat(key.name).endsWith(":" + id() + "]");
        assertThat(key.limit).isEqualByComparingTo("1000");
    }

    @Test
    void exportRefusesAFileWithoutMaiEnvsOwnKeyAndInvalidNames() throws Exception {
        Key old = oldScriptKey(managementKey);
        Path file = oldScriptEnv(dir, old.secret);
        String text = Files.readString(file);

        Result notOwn = mai("export", "--namespace", "tenant-abc", "--name", "abc");
        Result missing = mai("export", "--namespace", "tenant-abc");
        Result badName = mai("export", "--namespace", "tenant-abc", "--name", "ABC");

        assertThat(notOwn.exit()).as(notOwn.output()).isEqualTo(MaiEnvCommand.NOT_EXPORTABLE);
        assertThat(notOwn.err()).contains("Run mai-env on it first");
        assertThat(missing.exit()).as(missing.output()).isEqualTo(MaiEnvCommand.INVALID);
        assertThat(missing.err()).contains("missing --name");
        assertThat(badName.exit()).as(badName.output()).isEqualTo(MaiEnvCommand.INVALID);
        assertThat(badName.err()).contains("--name:");
        assertThat(Files.readString(file)).isEqualTo(text);
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".yaml"));
        assertThat(openRouter.requests()).isEmpty();
    }

    @Test
    void exportToAnotherMaiClientIsRefusedUntilTheMovedLineIsDeletedAndTheSameOneMayBeExportedAgain() throws Exception {
        assertThat(mai("--org", ORG, "--limit", "1000").exit()).isZero();
        assertThat(mai("export", "--namespace", "tenant-abc", "--name", "abc", "--out-dir", "k8s").exit()).isZero();
        Path file = dir.resolve(".env");
        String exported = Files.readString(file);
        openRouter.clearRequests();

        Result otherNamespace = mai("export", "--namespace", "tenant-xyz", "--name", "abc", "--out-dir", "k8s-xyz");
        Result otherName = mai("export", "--namespace", "tenant-abc", "--name", "xyz", "--out-dir", "k8s");

        for (Result r : List.of(otherNamespace, otherName)) {
            assertThat(r.exit()).as(r.output()).isEqualTo(MaiEnvCommand.INVALID);
            assertThat(r.err()).contains("was exported to MaiClient tenant-abc/abc already").contains("delete that line")
                    .contains("changed nothing");
        }
        assertThat(Files.readString(file)).isEqualTo(exported);
        assertThat(dir.resolve("k8s-xyz")).doesNotExist();
        assertThat(dir.resolve("k8s/xyz-maiclient.yaml")).doesNotExist();

        Result same = mai("export", "--namespace", "tenant-abc", "--name", "abc", "--out-dir", "k8s");
        assertThat(same.exit()).as(same.output()).isZero();
        assertThat(Files.readString(file)).contains(EnvFile.MOVED_TO + "tenant-abc/abc at ");

        Files.writeString(file, Files.readString(file).replaceAll("(?m)^" + Pattern.quote(EnvFile.MOVED_TO) + ".*\n", ""));
        Result given = mai("export", "--namespace", "tenant-xyz", "--name", "abc", "--out-dir", "k8s-xyz");
        assertThat(given.exit()).as("a move given up: " + given.output()).isZero();
        assertThat(Files.readString(file)).contains(EnvFile.MOVED_TO + "tenant-xyz/abc at ").doesNotContain("tenant-abc/abc");
        assertThat(openRouter.requests()).as("export sends nothing").isEmpty();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private Result mai(String... args) throws IOException, InterruptedException {
        return mai(dir, args);
    }

    private Result mai(Path where, String... args) throws IOException, InterruptedException {
        Result r = MaiEnvProcess.run(where, env, args);
        outputs.add(r);
        return r;
    }

    private List<Key> keys() {
        return openRouter.liveKeys().stream().filter(k -> k.managementKey.equals(managementKey)).toList();
    }

    private Key onlyKey() {
        List<Key> live = keys();
        assertThat(live).as("exactly one live key on the account").hasSize(1);
        return live.get(0);
    }

    private String read(String name) {
        return DotEnvReaders.pythonDotenv(dir.resolve(".env"), name);
    }

    /** The id the file's keys carry. */
    private String id() throws IOException {
        return id(dir);
    }

    private static String id(Path where) throws IOException {
        Matcher m = Pattern.compile("^" + Pattern.quote(EnvFile.ID) + "(\\S+)$", Pattern.MULTILINE)
                .matcher(Files.readString(where.resolve(".env"), StandardCharsets.UTF_8));
        assertThat(m.find()).as("the file records its id").isTrue();
        return m.group(1);
    }

    /** A key the old script made, outside mai-env: 30 of its 100 USD spent this month. */
    private static Key oldScriptKey(String managementKey) {
        Key key = openRouter.createKey(managementKey, "client-abc (old script)");
        key.limit = new BigDecimal("100");
        key.limitReset = "monthly";
        openRouter.spend(key.hash, new BigDecimal("30"));
        return key;
    }

    /** A .env as the old script wrote it (no mai-env block, no hash), with a variable of the Compose project's. */
    private static Path oldScriptEnv(Path where, String key) throws IOException {
        return Files.writeString(where.resolve(".env"), String.join("\n", "WEBUI_NAME=mAI", "OPENROUTER_API_KEY=" + key,
                "OPENROUTER_HOST=https://openrouter.ai/api/v1", "ORGANIZATION_NAME=Old Name Ltd", "SPENDING_LIMIT=100", ""));
    }
}
