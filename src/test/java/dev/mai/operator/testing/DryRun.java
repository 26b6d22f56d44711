package dev.mai.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.DefaultMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.regex.Pattern;

/**
 * What fabric8's mock API server (7.5.2) leaves out: server-side dry run. It ignores
 * {@code ?dryRun=All} and stores the object. Wrapped around its dispatcher, this answers a dry-run
 * create or update as a real API server does, from what is stored (409 when the object exists or the
 * resourceVersion is stale, 404 when an update finds nothing), and stores nothing. An expectation a
 * test sets for the dry-run path (the API server refusing the Secret) answers first, as expectations
 * do for every other request. The real-API-server tier proves the real thing.
 */
public final class DryRun extends Dispatcher {

    private static final Pattern DRY_RUN = Pattern.compile("[?&]dryRun=All(&|$)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Dispatcher server;
    private final Map<ServerRequest, Queue<ServerResponse>> expectations;

    public DryRun(Dispatcher server, Map<ServerRequest, Queue<ServerResponse>> expectations) {
        this.server = server;
        this.expectations = expectations;
    }

    /**
     * Puts the emulation in front of a running mock server's dispatcher (Quarkus's test server builds
     * its dispatcher itself, with no way to wrap it): the fields are read by reflection. Idempotent.
     */
    public static void install(KubernetesMockServer mock) {
        try {
            MockWebServer web = (MockWebServer) field(DefaultMockServer.class, "server").get(mock);
            Field dispatcher = field(MockWebServer.class, "dispatcher");
            Dispatcher current = (Dispatcher) dispatcher.get(web);
            if (current instanceof DryRun) {
                return;
            }
            @SuppressWarnings("unchecked")
            Map<ServerRequest, Queue<ServerResponse>> expectations =
                    (Map<ServerRequest, Queue<ServerResponse>>) field(DefaultMockServer.class, "responses").get(mock);
            web.setDispatcher(new DryRun(current, expectations));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("fabric8's mock server changed shape: cannot add the dry-run emulation", e);
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        if (path == null || !DRY_RUN.matcher(path).find()) {
            return server.dispatch(request);
        }
        Queue<ServerResponse> expected = expectations.get(new SimpleRequest(HttpMethod.valueOf(request.getMethod()), path));
        if (expected != null && !expected.isEmpty()) {
            return server.dispatch(request);
        }
        String collection = path.substring(0, path.indexOf('?'));
        String body = request.getUtf8Body();
        JsonNode object = read(body);
        return switch (request.getMethod()) {
            case "POST" -> {
                String name = object.path("metadata").path("name").asText("");
                yield get(collection + "/" + name).code() == 200
                        ? status(409, "AlreadyExists", "\"" + name + "\" already exists")
                        : new MockResponse().setResponseCode(201).setBody(body);
            }
            case "PUT" -> {
                MockResponse stored = get(collection);
                if (stored.code() != 200) {
                    yield stored;
                }
                String storedVersion = read(new String(stored.getBody().getBytes(), StandardCharsets.UTF_8))
                        .path("metadata").path("resourceVersion").asText("");
                String sentVersion = object.path("metadata").path("resourceVersion").asText("");
                yield !sentVersion.isEmpty() && !sentVersion.equals(storedVersion)
                        ? status(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again")
                        : new MockResponse().setResponseCode(200).setBody(body);
            }
            default -> status(400, "BadRequest", "the tests' dry-run emulation knows create and update only, not "
                    + request.getMethod());
        };
    }

    @Override
    public void shutdown() {
        server.shutdown();
    }

    private MockResponse get(String path) {
        return server.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.GET, path, Headers.builder().build(), new Buffer()));
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json == null || json.isBlank() ? "{}" : json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MockResponse status(int code, String reason, String message) {
        Status status = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build();
        try {
            return new MockResponse().setResponseCode(code).setBody(JSON.writeValueAsString(status));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
