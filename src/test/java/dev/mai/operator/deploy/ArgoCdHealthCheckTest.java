package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/** The Argo CD health check of deploy/argocd, executed by a Lua interpreter on sample MaiClients. */
class ArgoCdHealthCheckTest {

    private static final Path SCRIPT = Path.of("deploy/argocd/health.lua");
    private static final Path CM_PATCH = Path.of("deploy/argocd/argocd-cm-patch.yaml");

    /** What Argo CD does: the object as the global {@code obj}, the script's result as the health. */
    private static Map<String, String> health(Map<String, Object> obj) throws IOException {
        Globals globals = JsePlatform.standardGlobals();
        globals.set("obj", lua(obj));
        LuaValue result = globals.load(Files.readString(SCRIPT), "health.lua").call();
        return Map.of("status", result.get("status").tojstring(), "message", result.get("message").tojstring());
    }

    @SuppressWarnings("unchecked")
    private static LuaValue lua(Object value) {
        if (value instanceof Map<?, ?> map) {
            LuaTable t = new LuaTable();
            map.forEach((k, v) -> t.set(k.toString(), lua(v)));
            return t;
        }
        if (value instanceof List<?> list) {
            LuaTable t = new LuaTable();
            for (int i = 0; i < list.size(); i++) {
                t.set(i + 1, lua(list.get(i)));
            }
            return t;
        }
        if (value instanceof Number n) {
            return LuaValue.valueOf(n.doubleValue());
        }
        if (value instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        return value == null ? LuaValue.NIL : LuaValue.valueOf(value.toString());
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
            "InsufficientCredits", "OpenRouterRejected", "SecretConflict", "SecretWriteFailed", "AppRejected", "KeyDisabledOutside", "LimitExhausted", "RolloutStuck", "AdoptionRefused"})
    void terminalReasonsAreDegradedWithTheReasonAndMessage(String reason) throws IOException {
        Map<String, String> health = health(ready("False", reason, "what to do"));
        assertThat(health).containsEntry("status", "Degraded").containsEntry("message", reason + ": what to do");
    }

    /** Argo CD's Degraded and kstatus's Stalled are the same judgement: the script lists the operator's terminal reasons. */
    @Test
    void theScriptsTerminalReasonsAreTheOperators() throws IOException {
        List<String> lines = Files.readAllLines(SCRIPT);
        int start = lines.indexOf("local TERMINAL = {") + 1;
        java.util.Set<String> listed = lines.subList(start, lines.indexOf("}")).stream()
                .map(l -> l.strip().replaceAll(" = true,?$", "")).collect(Collectors.toSet());
        assertThat(listed).isEqualTo(dev.mai.operator.reconciler.Conditions.TERMINAL);
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
        List<String> lines = Files.readAllLines(CM_PATCH);
        int start = lines.indexOf("  resource.customizations.health.mai.dev_MaiClient: |") + 1;
        assertThat(start).isPositive();
        List<String> embedded = new ArrayList<>();
        for (String line : lines.subList(start, lines.size())) {
            embedded.add(line.isEmpty() ? "" : line.substring(4));
        }
        assertThat(String.join("\n", embedded).strip()).isEqualTo(Files.readString(SCRIPT).strip());
    }
}
