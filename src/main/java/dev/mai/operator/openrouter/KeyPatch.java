package dev.mai.operator.openrouter;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A partial update of a key. Only the fields that were set are sent, and an explicit null (no
 * limit, no reset) is sent as JSON null, which OpenRouter reads as "remove".
 */
public final class KeyPatch {

    private final Map<String, Object> fields = new LinkedHashMap<>();

    public KeyPatch name(String name) {
        fields.put("name", name);
        return this;
    }

    public KeyPatch limit(BigDecimal limit) {
        fields.put("limit", limit);
        return this;
    }

    public KeyPatch limitReset(String limitReset) {
        fields.put("limit_reset", limitReset);
        return this;
    }

    public KeyPatch disabled(boolean disabled) {
        fields.put("disabled", disabled);
        return this;
    }

    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /** The JSON body, field name to value (values may be null). */
    public Map<String, Object> fields() {
        return Collections.unmodifiableMap(fields);
    }

    /** Names of the fields this patch changes, for events and logs. */
    public String describe() {
        return String.join(", ", fields.keySet());
    }
}
