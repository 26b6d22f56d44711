package dev.mai.operator.core;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Timestamps as status and annotations hold them (RFC 3339 strings). */
public final class Instants {

    private Instants() {
    }

    /** The instant a timestamp names; empty when there is none or it cannot be read (a hand-edited status). */
    public static Optional<Instant> parse(String timestamp) {
        try {
            return Optional.ofNullable(timestamp).map(t -> OffsetDateTime.parse(t).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
