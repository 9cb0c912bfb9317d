package io.learnbridge.mapping;

/** The outcome of mapping one record: accepted with its value, or rejected with the reason. */
public sealed interface MappingResult<T> {

    record Accepted<T>(T value) implements MappingResult<T> {
    }

    record Rejected<T>(Rejection rejection) implements MappingResult<T> {
    }
}
