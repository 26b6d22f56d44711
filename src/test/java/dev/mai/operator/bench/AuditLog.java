package dev.mai.operator.bench;

import dev.mai.operator.testing.ApiRequests.ApiRequest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * kube-apiserver's audit log of one user's requests, read as it grows: what the server itself saw
 * the operator do (by verb, group, resource, subresource and scope) and what it refused. Each call
 * reads the complete lines written since the last one; counts only grow.
 */
final class AuditLog {

    /** The audit policy: Metadata (no bodies, so no key is ever written) for the operator's ServiceAccount, nothing else. */
    static String policy(String user) {
        return """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: [RequestReceived, ResponseStarted]
                rules:
                - level: Metadata
                  users: ["%s"]
                - level: None
                """.formatted(user);
    }

    private final Path file;
    private final String user;
    private final String operatorNamespace;
    private final Measures.AuditCounts counts = new Measures.AuditCounts();
    private long offset;

    AuditLog(Path file, String user, String operatorNamespace) {
        this.file = file;
        this.user = user;
        this.operatorNamespace = operatorNamespace;
    }

    /** The user's requests so far, by kind. */
    synchronized Map<ApiRequest, Long> requests() throws IOException {
        read();
        return new HashMap<>(counts.requests());
    }

    /** The user's refused requests so far, by "code verb resource". */
    synchronized Map<String, Long> refused() throws IOException {
        read();
        return new TreeMap<>(counts.refused());
    }

    private void read() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            if (length < offset) {
                throw new IllegalStateException(file + " shrank (rotated?): the counts would be wrong");
            }
            byte[] bytes = new byte[(int) Math.min(length - offset, Integer.MAX_VALUE - 8)];
            in.seek(offset);
            in.readFully(bytes);
            int end = bytes.length;
            while (end > 0 && bytes[end - 1] != '\n') {
                end--; // a line still being written is read next time
            }
            String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    counts.add(line, user, operatorNamespace);
                }
            }
            offset += end;
        }
    }
}
