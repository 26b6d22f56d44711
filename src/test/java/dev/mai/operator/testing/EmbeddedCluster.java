package dev.mai.operator.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An in-process Kubernetes API: fabric8's CRUD mock server on loopback over HTTP, with the
 * committed MaiClient CRD installed and a kubeconfig file that points a separate operator process
 * at it. No admission, no schema validation, no garbage collection: see shared/BUILD-NOTES.md.
 */
public final class EmbeddedCluster implements AutoCloseable {

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public EmbeddedCluster(Path crd) throws IOException {
        // the mock server logs every request at INFO through java.util.logging
        Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        try (InputStream in = Files.newInputStream(crd)) {
            client.resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class)).create();
        }
    }

    /** A client of the embedded API for the harness itself. */
    public KubernetesClient client() {
        return client;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Writes a kubeconfig whose current context is this API, with {@code namespace} as default namespace. */
    public Path writeKubeconfig(Path file, String namespace) throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: embedded
                  cluster: {server: "%s"}
                users:
                - name: demo
                  user: {token: embedded-api-needs-no-credentials}
                contexts:
                - name: embedded
                  context: {cluster: embedded, user: demo, namespace: %s}
                current-context: embedded
                """.formatted(url(), namespace);
        Files.createDirectories(file.getParent());
        Files.writeString(file, yaml);
        return file;
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
