package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The Argo CD resource actions of deploy/argocd/actions (rotate, disable-key, enable-key), executed in Argo CD's
 * Lua sandbox on sample MaiClients: what each changes and that it changes nothing else, what the discovery
 * script offers for each value of spec.disableKey, and that the argocd-cm patch holds exactly these scripts.
 */
class ArgoCdActionsTest {

    private static final Path ACTIONS = Path.of("deploy/argocd/actions");
    private static final Path DISCOVERY = ACTIONS.resolve("discovery.lua");
    private static final Path CM_PATCH = Path.of("deploy/argocd/argocd-cm-patch.yaml");
    private static final List<String> NAMES = List.of("rotate", "disable-key", "enable-key");
    private static final Pattern UTC = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");

    /** disableKey: absent (null) or a boolean; annotations: absent (null) or these. */
    private static Map<String, Object> client(Boolean disableKey, Map<String, Object> annotations) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", "abc");
        metadata.put("namespace", "tenant-abc");
        metadata.put("uid", "0b7c1a2e-1111-4222-8333-944455556666");
        metadata.put("generation", 4);
        metadata.put("labels", Map.of("app.kubernetes.io/instance", "mai-tenant-abc"));
        if (annotations != null) {
            metadata.put("annotations", new LinkedHashMap<>(annotations));
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("organizationName", "ABC Company");
        spec.put("spendingLimit", 100);
        spec.put("limitReset", "monthly");
        if (disableKey != null) {
            spec.put("disableKey", disableKey);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("observedGeneration", 4);
        status.put("rotationRequest", "2026-01-01T00:00:00Z");
        status.put("conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "Provisioned", "message", "ok")));
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("apiVersion", "mai.dev/v1alpha1");
        obj.put("kind", "MaiClient");
        obj.put("metadata", metadata);
        obj.put("spec", spec);
        obj.put("status", status);
        return obj;
    }

    /** What Argo CD would see of the object: the same conversion to Lua and back, without any script. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> asArgoSeesIt(Map<String, Object> obj) {
        return (Map<String, Object>) ArgoCdLua.java(ArgoCdLua.lua(obj));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> action(String name, Map<String, Object> obj) throws IOException {
        return (Map<String, Object>) ArgoCdLua.run(ACTIONS.resolve(name).resolve("action.lua"), obj);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> obj, String key) {
        return (Map<String, Object>) obj.get(key);
    }

    static Stream<Arguments> annotations() {
        return Stream.of(
                Arguments.of("no annotations", null),
                Arguments.of("other annotations", Map.of("argocd.argoproj.io/sync-wave", "-1", "note", "x")),
                Arguments.of("an earlier request", Map.of("mai.dev/rotate", "2026-01-01T00:00:00Z", "note", "x")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("annotations")
    void rotateSetsTheAnnotationToTheCurrentUtcTimeAndChangesNothingElse(String name, Map<String, Object> annotations) throws IOException {
        Map<String, Object> before = client(false, annotations);
        Instant from = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, Object> after;
        TimeZone zone = TimeZone.getDefault();
        try {
            // far from UTC, so that a local time instead of UTC shows
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati"));
            after = action("rotate", before);
        } finally {
            TimeZone.setDefault(zone);
        }
        Instant to = Instant.now();

        Object value = map(map(after, "metadata"), "annotations").get("mai.dev/rotate");
        assertThat(value).asString().matches(UTC).isNotEqualTo("2026-01-01T00:00:00Z");
        assertThat(Instant.parse((String) value)).isBetween(from, to);
        Map<String, Object> expected = asArgoSeesIt(before);
        Map<String, Object> expectedAnnotations = new LinkedHashMap<>(annotations == null ? Map.of() : annotations);
        expectedAnnotations.put("mai.dev/rotate", value);
        map(expected, "metadata").put("annotations", expectedAnnotations);
        assertThat(after).isEqualTo(expected);
    }

    static Stream<Arguments> disableKeys() {
        return Stream.of(Arguments.of("absent", null), Arguments.of("true", true), Arguments.of("false", false));
    }

    @ParameterizedTest(name = "spec.disableKey {0}")
    @MethodSource("disableKeys")
    void disableKeyAndEnableKeySetSpecDisableKeyAndChangeNothingElse(String name, Boolean disableKey) throws IOException {
        for (boolean disable : List.of(true, false)) {
            Map<String, Object> before = client(disableKey, Map.of("note", "x"));
            Map<String, Object> after = action(disable ? "disable-key" : "enable-key", before);
            Map<String, Object> expected = asArgoSeesIt(before);
            map(expected, "spec").put("disableKey", disable);
            assertThat(after).as(disable ? "disable-key" : "enable-key").isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "spec.disableKey {0}")
    @MethodSource("disableKeys")
    @SuppressWarnings("unchecked")
    void discoveryOffersRotateAndOnlyTheBrakeActionThatChangesSomething(String name, Boolean disableKey) throws IOException {
        Map<String, Object> actions = (Map<String, Object>) ArgoCdLua.run(DISCOVERY, client(disableKey, null));
        assertThat(actions).containsOnlyKeys(NAMES);
        boolean disabled = Boolean.TRUE.equals(disableKey);
        Map<String, Boolean> runnable = NAMES.stream().collect(Collectors.toMap(n -> n,
                n -> !Boolean.TRUE.equals(((Map<String, Object>) actions.get(n)).get("disabled"))));
        assertThat(runnable).containsEntry("rotate", true).containsEntry("disable-key", !disabled).containsEntry("enable-key", disabled);
        assertThat(actions.values()).allSatisfy(a -> assertThat((Map<String, Object>) a).containsKeys("displayName", "iconClass"));
    }

    /** Argo CD runs Lua without the string, math and io libraries: the scripts must not need them. */
    @Test
    void theScriptsUseNothingArgoCdsSandboxLacks() throws IOException {
        for (Path script : scripts()) {
            String code = Files.readAllLines(script).stream().filter(l -> !l.strip().startsWith("--")).collect(Collectors.joining("\n"));
            assertThat(code).as(script.toString()).doesNotContain("string.", "math.", "io.", "goto ", "_ENV", "table.unpack")
                    .doesNotContainPattern("\\w:\\w+\\(");
        }
    }

    /** One source per script: the patch embeds each file unchanged, and defines exactly the actions discovery offers. */
    @Test
    @SuppressWarnings("unchecked")
    void theArgoCdConfigMapPatchHoldsExactlyTheActionScripts() throws IOException {
        Object embedded = new Load(LoadSettings.builder().build())
                .loadFromString(patchData().get("resource.customizations.actions.mai.dev_MaiClient"));
        Map<String, Object> actions = (Map<String, Object>) embedded;
        assertThat(actions).containsOnlyKeys("discovery.lua", "definitions");
        assertThat(actions.get("discovery.lua")).isEqualTo(Files.readString(DISCOVERY));
        List<Map<String, Object>> definitions = (List<Map<String, Object>>) actions.get("definitions");
        assertThat(definitions).extracting(d -> d.get("name")).containsExactlyElementsOf(NAMES);
        for (Map<String, Object> definition : definitions) {
            assertThat(definition).containsOnlyKeys("name", "action.lua");
            assertThat(definition.get("action.lua")).as((String) definition.get("name"))
                    .isEqualTo(Files.readString(ACTIONS.resolve((String) definition.get("name")).resolve("action.lua")));
        }
        try (Stream<Path> files = Files.walk(ACTIONS)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> ACTIONS.relativize(p).toString()))
                    .as("every file under deploy/argocd/actions is embedded")
                    .containsExactlyInAnyOrder("discovery.lua", "rotate/action.lua", "disable-key/action.lua", "enable-key/action.lua");
        }
    }

    /** The data of deploy/argocd/argocd-cm-patch.yaml, parsed as YAML. */
    @SuppressWarnings("unchecked")
    static Map<String, String> patchData() throws IOException {
        Map<String, Object> patch = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(CM_PATCH));
        assertThat(patch).containsOnlyKeys("data");
        return (Map<String, String>) patch.get("data");
    }

    private static List<Path> scripts() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("deploy/argocd"))) {
            return files.filter(p -> p.toString().endsWith(".lua")).sorted().toList();
        }
    }
}
