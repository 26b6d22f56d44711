package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Argo CD health check of deploy/argocd, executed by a Lua interpreter on sample MaiClients. */
class ArgoCdHealthCheckTest {

    private static final Path SCRIPT = Path.of("deploy/argocd/health.lua");

    /** What Argo CD does: the object as the global {@code obj}, in Argo CD's Lua sandbox; the script's result is the health. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> health(Map<String, Object> obj) throws IOException {
        Map<String, Object> result = (Map<String, Object>) ArgoCdLua.run(SCRIPT, obj);
        return Map.of("status", String.valueOf(result.get("status")), "message", String.valueOf(result.get("message")));
    }

    private static Map<String, Object> condition(String type, String status, String reason, String message) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type);
        c.put("status", status);
        c.put("reason", reason);
        c.put("message", message);
        return c;
    }

    private static Map<String, Object> client(long generation, Long observed, List<Map<String, Object>> conditions) {
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("apiVersion", "mai.dev/v1alpha1");
        obj.put("kind", "MaiClient");
        obj.put("metadata", Map.of("name", "abc", "namespace", "tenant-abc", "generation", generation));
        if (conditions != null) {
            Map<String, Object> status = new LinkedHashMap<>();
            if (observed != null) {
                status.put("observedGeneration", observed);
            }
            status.put("conditions", conditions);
            obj.put("status", status);
        }
        return obj;
    }

    private static Map<String, Object> ready(String status, String reason, String message) {
        return client(2, 2L, List.of(condition("KeyProvisioned", "True", "Provisioned", "ok"), condition("Ready", status, reason, message)));
    }

    static Stream<Arguments> samples() {
        return Stream.of(
                Arguments.of("no status", client(1, null, null), "Progressing", "Waiting for mai-operator"),
                Arguments.of("observedGeneration lags", client(3, 2L, List.of(condition("Ready", "True", "Provisioned", "ok"))),
                        "Progressing", "generation 3"),
                Arguments.of("no observedGeneration yet", client(1, null, List.of(condition("Ready", "Unknown", "Pending", "x"))),
                        "Progressing", "generation 1"),
                Arguments.of("rotating", client(2, 2L, List.of(condition("Ready", "True", "Provisioned", "ok"),
                        condition("Rotating", "True", "RotationInProgress", "new key written"))), "Progressing", "new key written"),
                Arguments.of("rotation stuck", client(2, 2L, List.of(condition("Ready", "True", "Provisioned", "ok"),
                        condition("Rotating", "True", "RolloutStuck", "Deployment/abc-app did not finish"))), "Degraded",
                        "RolloutStuck: Deployment/abc-app"),
                Arguments.of("app rolling out", ready("False", "AppProgressing", "Deployment abc-app is rolling out"), "Progressing",
                        "AppProgressing"),
                Arguments.of("ready", ready("True", "Provisioned", "Key provisioned"), "Healthy", "Key provisioned"),
                Arguments.of("ready unknown", ready("Unknown", "Pending", "Not reconciled yet"), "Progressing", "Waiting"),
                Arguments.of("no Ready condition", client(2, 2L, List.of(condition("KeyProvisioned", "True", "Provisioned", "ok"))),
                        "Progressing", "Waiting"),
                Arguments.of("OpenRouter down", ready("False", "OpenRouterUnavailable", "HTTP 503"), "Progressing", "OpenRouterUnavailable"),
                Arguments.of("rate limited", ready("False", "RateLimited", "HTTP 429"), "Progressing", "RateLimited"),
                Arguments.of("key revoked, a new one on its way", ready("False", "KeyRevoked", "a new key replaces it"), "Progressing",
                        "KeyRevoked"),
                Arguments.of("disabled by spec", ready("False", "KeyDisabled", "The key is disabled by spec.disableKey"), "Suspended",
                        "KeyDisabled"),
                Arguments.of("budget spent until the reset", ready("False", "LimitExhausted", "The limit resets at 2026-01-01T00:00:00Z"),
                        "Suspended", "LimitExhausted: The limit resets at 2026-01-01T00:00:00Z"),
                Arguments.of("paused", client(2, 2L, List.of(condition("Ready", "False", "InvalidSpec", "x"),
                        condition("Paused", "True", "Paused", "mai.dev/paused is set"))), "Suspended", "Paused: mai.dev/paused"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("samples")
    void healthOfSampleMaiClients(String name, Map<String, Object> obj, String status, String message) throws IOException {
        Map<String, String> health = health(obj);
        assertThat(health.get("status")).isEqualTo(status);
        assertThat(health.get("message")).contains(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"InvalidSpec", "ProvisioningKeyMissing", "ProvisioningKeyRejected", "ProvisioningKeyChanged", "KeyOwnedElsewhere",
            "InsufficientCredits", "OpenRouterRejected", "SecretConflict", "SecretWriteFailed", "AppRejected", "KeyDisabledOutside", "RolloutStuck",
            "AdoptionRefused"})
    void terminalReasonsAreDegradedWithTheReasonAndMessage(String reason) throws IOException {
        Map<String, String> health = health(ready("False", reason, "what to do"));
        assertThat(health).containsEntry("status", "Degraded").containsEntry("message", reason + ": what to do");
    }

    /**
     * kstatus's Stalled follows the operator's list of terminal reasons; Argo CD shows each of them as Degraded
     * (TERMINAL) or, for a budget spent until its reset, Suspended (WAITING): a reason the operator adds must
     * be put in one of the two, and none may be in both.
     */
    @Test
    void theScriptsTerminalAndWaitingReasonsAreTheOperatorsTerminalReasons() throws IOException {
        Set<String> terminal = table("TERMINAL");
        Set<String> waiting = table("WAITING");
        assertThat(waiting).containsExactly("LimitExhausted");
        assertThat(terminal).doesNotContainAnyElementsOf(waiting);
        Set<String> both = new TreeSet<>(terminal);
        both.addAll(waiting);
        assertThat(both).isEqualTo(new TreeSet<>(dev.mai.operator.reconciler.Conditions.TERMINAL));
    }

    /** The keys of the Lua table {@code local <name> = { ... }}, one {@code Key = true} a line. */
    private static Set<String> table(String name) throws IOException {
        List<String> lines = Files.readAllLines(SCRIPT);
        int start = lines.indexOf("local " + name + " = {") + 1;
        assertThat(start).as("local %s = {", name).isPositive();
        int end = lines.subList(start, lines.size()).indexOf("}") + start;
        return lines.subList(start, end).stream().map(l -> l.strip().replaceAll(" = true,?$", ""))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void theScriptKeepsToLua51() throws IOException {
        String script = Files.readString(SCRIPT);
        // what Lua 5.2+ added and Argo CD's interpreter does not have
        for (String later : List.of("goto ", "::", "_ENV", "bit32.", "//", "table.unpack", "utf8.")) {
            assertThat(script).as(later).doesNotContain(later.equals("//") ? " // " : later);
        }
        assertThat(script.lines().filter(l -> !l.strip().startsWith("--")).collect(Collectors.joining("\n")))
                .doesNotContain("&").doesNotContain(" | ").doesNotContain("<<").doesNotContain(">>");
    }

    @Test
    void theArgoCdConfigMapPatchHoldsExactlyTheScript() throws IOException {
        assertThat(ArgoCdActionsTest.patchData().get("resource.customizations.health.mai.dev_MaiClient"))
                .isEqualTo(Files.readString(SCRIPT));
    }
}
