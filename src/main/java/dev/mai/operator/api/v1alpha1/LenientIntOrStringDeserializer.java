package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.IOException;

/**
 * Reads {@code spendingLimit} from whatever an API server hands over. fabric8's own deserializer
 * throws on integers beyond 32 bits and on floats, and a deserialization failure stops the informer's
 * watch for every MaiClient. Here every value becomes an IntOrString (text when it is no 32-bit
 * integer), and the validator rejects what is not a valid limit, for this MaiClient only.
 */
public class LenientIntOrStringDeserializer extends JsonDeserializer<IntOrString> {

    @Override
    public IntOrString deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        JsonNode node = parser.readValueAsTree();
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isInt()) {
            return new IntOrString(node.intValue());
        }
        return new IntOrString(node.isValueNode() ? node.asText() : node.toString());
    }
}
