package dev.mai.operator.openrouter;

/** The answer to a create: OpenRouter returns the plaintext key only here, once. */
public record CreatedKey(KeyInfo info, ApiKey key) {
}
