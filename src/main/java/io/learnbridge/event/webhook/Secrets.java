package io.learnbridge.event.webhook;

import java.util.List;
import java.util.Objects;

/** Constructor checks shared by the verifiers; messages count and index secrets, never show them. */
final class Secrets {

    private Secrets() {
    }

    static List<String> required(String kind, List<String> secrets) {
        Objects.requireNonNull(secrets, kind + " secrets");
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException(kind + " needs at least one secret");
        }
        for (int i = 0; i < secrets.size(); i++) {
            if (secrets.get(i) == null || secrets.get(i).isBlank()) {
                throw new IllegalArgumentException(kind + " secret #" + (i + 1) + " is blank");
            }
        }
        return List.copyOf(secrets);
    }
}
