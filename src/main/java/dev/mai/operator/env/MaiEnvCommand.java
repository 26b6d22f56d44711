package dev.mai.operator.env;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.config.OperatorIdentity;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.ManagementKeyFile;
import dev.mai.operator.core.Names;
import dev.mai.operator.core.SpecValidator;
import dev.mai.operator.core.SpecValidator.Violation;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.quarkus.picocli.runtime.annotations.TopCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mai-env}: the operator's key lifecycle for a client still on Docker Compose, written to a
 * {@code .env} file instead of a Secret. The same OpenRouter client, spec validation and {@code .env}
 * rendering as the operator; the operator itself is not started (see {@code Main}).
 */
@Command(name = "mai-env", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Creates or updates the OpenRouter key of one mAI client and writes it to a .env file for "
                + "Docker Compose. Run it again at any time: it keeps a working key, PATCHes its limit, reset and "
                + "name when they changed, and replaces a key deleted on OpenRouter. A key the .env holds that mai-env did "
                + "not make (the old script's) is adopted: renamed with the file's mark and given the limit, its spend kept.",
            "The management key comes from MAI_PROVISIONING_KEY_FILE (a file holding it) or MAI_PROVISIONING_KEY, "
                + "else it is asked for without echo. Settings not given are taken from the .env; on a first run the "
                + "organization and the limit are asked for."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:OpenRouter refused a request, or an unexpected error",
            "2:invalid input (the message names the option and the rule)",
            "3:the management key is missing or OpenRouter rejected it",
            "4:the OpenRouter account has insufficient credits",
            "5:OpenRouter could not be reached, was unavailable or rate-limited: run again later",
            "6:the .env file could not be read or written; another run is using it; its lock file is a symbolic link "
                + "(never followed); the .env is a symbolic link and mai-env runs as root, or it names a file outside "
                + "its directory; its mai-env block is broken; or its OPENROUTER_KEY_HASH is not 64 lowercase hex characters",
            "7:the key in the .env is disabled on OpenRouter (use --rotate for a new one)",
            "8:the .env is not where it was written (copied or moved): --new-id for a copy, --moved for a move; or "
                + "--new-id was given for the file where it was written (--rotate for a new key), or --moved while the "
                + "old place still holds the file",
            "9:the key in the .env (one mai-env did not make) cannot be adopted: the message names the rule; --adopt-hash "
                + "picks among look-alikes, --replace gives the file a new key instead; nothing was written",
            "10:the .env was moved to Kubernetes (mai-env export), or the key it names was adopted by a mai-operator "
                + "installation: the operator keeps the key, and nothing was changed (--replace or --rotate gives the "
                + "file a new key on purpose, unless export marked it)"})
@TopCommand
public class MaiEnvCommand implements Callable<Integer> {

    static final int FAILED = 1;
    static final int INVALID = 2;
    static final int MANAGEMENT_KEY = 3;
    static final int CREDITS = 4;
    static final int UNAVAILABLE = 5;
    static final int FILE = 6;
    static final int KEY_DISABLED = 7;
    static final int COPIED = 8;
    static final int ADOPTION_REFUSED = 9;
    static final int MOVED = 10;
    static final int NOT_EXPORTABLE = 11;

    /** The spec fields the options set, with the option that stands for each in messages. */
    private static final Map<String, String> OPTIONS = Map.of(
            "spec.organizationName", "--org",
            "spec.spendingLimit", "--limit",
            "spec.limitReset", "--reset",
            "spec.externalUser", "--external-user");
    private static final String NEVER = "never";

    @Option(names = "--org", paramLabel = "NAME", description = "The client's organization name (3-200 characters).")
    String organization;

    @Option(names = "--limit", paramLabel = "USD", description = "Spending limit in USD with at most 2 decimals, or \"unlimited\".")
    String limit;

    @Option(names = "--reset", paramLabel = "PERIOD", description = "When the limit resets: daily, weekly, monthly or never.")
    String reset;

    @Option(names = "--external-user", paramLabel = "ID",
            description = "OPENROUTER_EXTERNAL_USER ([A-Za-z0-9_.-]{1,64}); default mai_client_ + 8 hex characters of MD5(organization).")
    String externalUser;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = ".env", description = "The .env file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--rotate", description = "Replace the key with a new one, then delete the old one.")
    boolean rotate;

    @Option(names = "--new-id", description = "This .env is a copy (of another project's, or of this one's folder): give it "
            + "a new id and a key of its own; the key it holds is left to the file it was copied from. Refused for the "
            + "file where it was written (--rotate gives that one a new key).")
    boolean newId;

    @Option(names = "--moved", description = "This .env was moved, or its folder renamed, and nothing is left at the old "
            + "place: record where it is now and keep its key.")
    boolean moved;

    @Option(names = "--replace", description = "For a .env holding a key mai-env did not make (the old script's), or one a "
            + "mai-operator installation took over: give it a new key instead, and leave that one on OpenRouter as it is.")
    boolean replace;

    @Option(names = "--adopt-hash", paramLabel = "HASH", description = "When more than one key of the account looks like the "
            + "key to adopt: the hash of the one it is (it picks among those, never another).")
    String adoptHash;

    @Option(names = "--show-key", description = "Print the key (once, at the end). Without it, no key is ever printed.")
    boolean showKey;

    @Option(names = "--no-input", description = "Never ask: fail when something is missing (for scripts).")
    boolean noInput;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec command;

    private final OpenRouterKeys keys;
    private final ManagementKeyFile managementKeys;
    private final MaiConfig config;
    private final OperatorIdentity identity;
    private final Clock clock;

    public MaiEnvCommand(OpenRouterKeys keys, MaiConfig config, OperatorIdentity identity, Clock clock) {
        this.keys = keys;
        this.managementKeys = new ManagementKeyFile(config.provisioningKeyFile(), config.provisioningKey());
        this.config = config;
        this.identity = identity;
        this.clock = clock;
    }

    /** The command line of this command, with failures reported as one line and an exit code, never a stack trace. */
    public static CommandLine commandLine(Object command, CommandLine.IFactory factory) {
        CommandLine line = new CommandLine(command, factory);
        // the exception's message may quote a request header (a key), so only its kind is told
        line.setExecutionExceptionHandler((e, cl, parsed) -> {
            cl.getErr().println("mai-env: unexpected error (" + e.getClass().getSimpleName() + "); nothing more is shown, "
                    + "since its details may hold a key. Run again; if it persists, report it with the steps that led to it.");
            return FAILED;
        });
        // picocli's own message quotes the arguments, and a key typed as one must not be echoed
        line.setParameterExceptionHandler((e, args) -> {
            String option = e.getArgSpec() instanceof CommandLine.Model.OptionSpec o ? o.longestName() + ": " : "";
            String what = e instanceof CommandLine.UnmatchedArgumentException ? "unknown option or argument"
                    : e instanceof CommandLine.MissingParameterException m ? "missing " + m.getMissing().stream()
                            .map(a -> a instanceof CommandLine.Model.OptionSpec o ? o.longestName() : a.paramLabel())
                            .collect(Collectors.joining(", "))
                    : option + "invalid value";
            e.getCommandLine().getErr().println("mai-env: " + what + ". See mai-env --help; the management key "
                    + "is never an argument (MAI_PROVISIONING_KEY_FILE, or asked for).");
            return INVALID;
        });
        return line;
    }

    @Override
    public Integer call() {
        PrintWriter stdout = command.commandLine().getOut();
        Prompter prompter = new Prompter(noInput ? null : System.console(), command.commandLine().getErr());
        return locked(out, file -> {
            EnvKey.check(file, newId, moved); // before anything is asked or sent
            EnvKey.checkAdoption(file, rotate, replace, adoptHash);
            MaiClientSpec given = spec(organization, limit, NEVER.equals(reset) ? null : reset, externalUser);
            refuseInvalid(given, given, null);
            ApiKey managementKey = managementKey(prompter); // asked first, as the old script did
            EnvKey.Settings settings = settings(file, given, prompter);
            EnvKey env = new EnvKey(keys, clock, "mai-env on " + identity.name(), config.effectiveOpenrouterHost(), say());
            ApiKey key = env.apply(file, settings, managementKey);
            if (showKey) {
                stdout.println(Environment.API_KEY + "=" + key.reveal());
                stdout.flush();
            }
            return 0;
        });
    }

    /** {@code mai-env export}: the Kubernetes manifests that move the client to the operator, with its key. */
    @Command(name = "export", sortOptions = false, usageHelpAutoWidth = true,
            description = {"Moves this Compose client to Kubernetes with its key: writes a Secret <NAME>-adopt holding the "
                    + "key and a MaiClient NAME that adopts it (files of mode 600 in --out-dir; the key is never printed), and "
                    + "marks the .env as moved, so that later mai-env runs on it change nothing. Sends nothing to OpenRouter "
                    + "or to a cluster. The .env must hold mai-env's own key (run mai-env on it first)."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:done; the next steps are printed", "2:invalid input (the message names the option and the rule), or "
                + "the .env was exported to another MaiClient already (delete its mai-env-moved-to line first)",
                "6:the .env could not be read or written (as for mai-env), or the manifests could not be written",
                "8:the .env is not where it was written (copied or moved): run mai-env on it first",
                "11:the .env holds no key mai-env finished writing, or settings a MaiClient cannot have: run mai-env on it first"})
    int export(@Option(names = "--namespace", required = true, paramLabel = "NS", description = "The MaiClient's namespace.")
            String namespace,
            @Option(names = "--name", required = true, paramLabel = "NAME", description = "The MaiClient's name.") String name,
            @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = ".",
                    description = "Where to write <NAME>-adopt-secret.yaml and <NAME>-maiclient.yaml (default: ${DEFAULT-VALUE}).")
            Path outDir,
            @Option(names = "--env", paramLabel = "FILE", defaultValue = ".env",
                    description = "The .env mai-env keeps (default: ${DEFAULT-VALUE}).") Path env,
            @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.") boolean help) {
        return locked(env, file -> {
            EnvExport.export(file, namespace, name, outDir, clock.instant(), config.maxSpendingLimit(), say());
            return 0;
        });
    }

    /** What a run does with its .env, read under the lock. */
    @FunctionalInterface
    private interface FileWork {
        int run(EnvFile file) throws IOException, EnvKey.Refusal;
    }

    /**
     * Runs {@code work} on the .env {@code given} names, resolved and read under its lock; every
     * failure is one line on stderr and an exit code.
     */
    private int locked(Path given, FileWork work) {
        PrintWriter stderr = command.commandLine().getErr();
        Path target;
        try {
            target = EnvFile.resolve(given);
        } catch (EnvFile.Refused e) {
            return fail(stderr, FILE, e.getMessage() + ".");
        } catch (IOException e) {
            return fail(stderr, FILE, "Cannot read " + given + ": " + e);
        }
        try (FileChannel lockChannel = EnvFile.openLock(target);
                FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                return fail(stderr, FILE, "Another mai-env run is using " + target + " (it holds " + EnvFile.lockFile(target)
                        + "). Wait for it to finish, then run again.");
            }
            EnvFile.shareOwnership(EnvFile.lockFile(target), target);
            return work.run(EnvFile.read(target));
        } catch (EnvKey.Refusal r) {
            return fail(stderr, r.exitCode, r.getMessage());
        } catch (OpenRouterException e) {
            return openRouterFailure(stderr, e);
        } catch (EnvFile.Refused e) {
            return fail(stderr, FILE, e.getMessage() + ".");
        } catch (OverlappingFileLockException e) {
            return fail(stderr, FILE, "Another mai-env run in this process is using " + target + ".");
        } catch (IOException | UncheckedIOException e) {
            return fail(stderr, FILE, "Cannot read or write " + target + ": " + e.getMessage()
                    + ". Check that its directory exists and that you may write there.");
        }
    }

    /** Progress lines, on stdout (never a key). */
    private Consumer<String> say() {
        PrintWriter stdout = command.commandLine().getOut();
        return line -> {
            stdout.println(line);
            stdout.flush();
        };
    }

    /** The four settings: from the options, else the file, else (organization and limit) asked for; validated as a spec. */
    private EnvKey.Settings settings(EnvFile file, MaiClientSpec given, Prompter prompter) throws EnvKey.Refusal {
        String org = Optional.ofNullable(organization).or(() -> file.value(Environment.ORGANIZATION_NAME)).orElse(null);
        if (org == null) {
            org = answer(prompter, "Organization name: ", "spec.organizationName", v -> spec(v, null, null, null));
        }
        String amount = Optional.ofNullable(limit).or(() -> file.value(Environment.SPENDING_LIMIT)).orElse(null);
        if (amount == null) {
            amount = answer(prompter, "Spending limit in USD (or \"unlimited\"): ", "spec.spendingLimit", v -> spec(null, v, null, null));
        }
        String period = Optional.ofNullable(reset).or(file::limitReset).filter(r -> !NEVER.equals(r)).orElse(null);
        String organizationName = org;
        String user = Optional.ofNullable(externalUser).or(() -> file.value(Environment.EXTERNAL_USER))
                .orElseGet(() -> Names.defaultExternalUser(organizationName));
        MaiClientSpec spec = spec(org, amount, period, user);
        refuseInvalid(spec, given, file);
        // no reset asked for, none recorded: an adopted key keeps its own rather than losing it to "never"
        boolean keepKeysReset = reset == null && file.limitReset().isEmpty();
        return new EnvKey.Settings(spec, rotate, newId, moved, replace, adoptHash, keepKeysReset);
    }

    /** Asks until the answer is valid; without a person at a terminal, one invalid answer ends the run. */
    private String answer(Prompter prompter, String question, String field, Function<String, MaiClientSpec> asSpec)
            throws EnvKey.Refusal {
        while (true) {
            Optional<String> answer = noInput ? Optional.empty() : prompter.ask(question);
            if (answer.isEmpty()) {
                throw new EnvKey.Refusal(INVALID, OPTIONS.get(field) + " is required: give it, or answer the question on a terminal");
            }
            List<Violation> wrong = violations(asSpec.apply(answer.get())).stream().filter(v -> v.field().equals(field)).toList();
            if (wrong.isEmpty()) {
                return answer.get();
            }
            String message = OPTIONS.get(field) + ": " + wrong.get(0).rule();
            if (!prompter.interactive()) {
                throw new EnvKey.Refusal(INVALID, message);
            }
            command.commandLine().getErr().println(message);
        }
    }

    /** Refuses a spec that breaks a rule; {@code given} tells options from values taken from the file. */
    private void refuseInvalid(MaiClientSpec spec, MaiClientSpec given, EnvFile file) throws EnvKey.Refusal {
        for (Violation v : violations(spec)) {
            String option = OPTIONS.get(v.field());
            boolean fromOption = switch (v.field()) {
                case "spec.organizationName" -> given.getOrganizationName() != null;
                case "spec.spendingLimit" -> given.getSpendingLimit() != null;
                case "spec.limitReset" -> reset != null;
                case "spec.externalUser" -> given.getExternalUser() != null;
                default -> true;
            };
            if (v.field().equals("spec.limitReset")) {
                throw new EnvKey.Refusal(INVALID, option + ": must be daily, weekly, monthly or never");
            }
            throw new EnvKey.Refusal(INVALID, option + ": " + v.rule()
                    + (fromOption || file == null ? "" : " (the value in " + file.path() + "; give " + option + " to replace it)"));
        }
    }

    private List<Violation> violations(MaiClientSpec spec) {
        return new SpecValidator(config.maxSpendingLimit()).validate(null, spec).stream()
                .filter(v -> OPTIONS.containsKey(v.field()))
                .filter(v -> !(v.field().equals("spec.organizationName") && spec.getOrganizationName() == null))
                .filter(v -> !(v.field().equals("spec.spendingLimit") && spec.getSpendingLimit() == null))
                .toList();
    }

    private static MaiClientSpec spec(String organization, String limit, String reset, String externalUser) {
        MaiClientSpec spec = new MaiClientSpec();
        spec.setOrganizationName(organization);
        spec.setSpendingLimit(limit == null ? null : new IntOrString(limit));
        spec.setLimitReset(reset);
        spec.setExternalUser(externalUser);
        return spec;
    }

    /** The management key: MAI_PROVISIONING_KEY_FILE, MAI_PROVISIONING_KEY, or asked for without echo. */
    private ApiKey managementKey(Prompter prompter) throws EnvKey.Refusal {
        Optional<String> file = config.provisioningKeyFile().filter(f -> !f.isBlank());
        if (file.isPresent() && !Files.isReadable(Path.of(file.get()))) {
            throw new EnvKey.Refusal(MANAGEMENT_KEY, "MAI_PROVISIONING_KEY_FILE names " + file.get()
                    + ", which does not exist or cannot be read.");
        }
        Optional<ApiKey> key = managementKeys.get();
        if (key.isEmpty() && !noInput) {
            key = prompter.askSecret("OpenRouter management key (not shown): ").filter(k -> !k.isBlank()).map(ApiKey::of);
        }
        if (key.isPresent()) {
            if (!key.get().reveal().chars().allMatch(c -> c > ' ' && c < 0x7f)) {
                throw new EnvKey.Refusal(MANAGEMENT_KEY, "The management key holds spaces or characters no key has (a bad "
                        + "paste, or a stray byte in the file); it is not shown. Copy it again from "
                        + "https://openrouter.ai/settings/management-keys.");
            }
            return key.get();
        }
        throw new EnvKey.Refusal(MANAGEMENT_KEY, "No management key. Put it in a file readable only by you and set "
                + "MAI_PROVISIONING_KEY_FILE to its path (or set MAI_PROVISIONING_KEY), or run mai-env on a terminal to be "
                + "asked. Management keys are made at https://openrouter.ai/settings/management-keys.");
    }

    private int openRouterFailure(PrintWriter stderr, OpenRouterException e) {
        if (e.managementKeyRejected()) {
            return fail(stderr, MANAGEMENT_KEY, "OpenRouter rejected the management key (" + e.getMessage() + "). Use a "
                    + "management key from https://openrouter.ai/settings/management-keys (an ordinary API key is refused), "
                    + "check that it was copied whole, then run again.");
        }
        if (e.insufficientCredits()) {
            return fail(stderr, CREDITS, "The OpenRouter account has insufficient credits (" + e.getMessage() + "). Add "
                    + "credits at https://openrouter.ai/settings/credits, then run again.");
        }
        if (e.rateLimited()) {
            return fail(stderr, UNAVAILABLE, "OpenRouter is rate-limiting this account (" + e.getMessage() + "). Run again "
                    + e.retryAfter().map(d -> "in " + Math.max(1, d.toSeconds()) + " s").orElse("in a minute")
                    + "; a run that was interrupted is cleaned up by the next one.");
        }
        if (e.status() == OpenRouterException.NO_RESPONSE) {
            return fail(stderr, UNAVAILABLE, "Cannot reach OpenRouter at " + config.openrouterUrl() + " (" + e.getMessage()
                    + "). Check the network, proxy and DNS (and MAI_OPENROUTER_URL), then run again; a key this run may "
                    + "have created is removed by the next run.");
        }
        if (e.retryable()) {
            return fail(stderr, UNAVAILABLE, "OpenRouter is unavailable (" + e.getMessage() + "). See "
                    + "https://status.openrouter.ai and run again later; a key this run may have created is removed by the next run.");
        }
        return fail(stderr, FAILED, "OpenRouter refused the request (" + e.getMessage() + ").");
    }

    private static int fail(PrintWriter stderr, int code, String message) {
        stderr.println("mai-env: " + message);
        stderr.flush();
        return code;
    }
}
