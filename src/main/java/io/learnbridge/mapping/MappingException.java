package io.learnbridge.mapping;

/**
 * A mapping file that cannot be compiled: bad YAML, an unknown canonical field or transform, a
 * missing lookup table. Carries the file, line and field so that startup and {@code validate}
 * can print {@code file:line: message}.
 */
public final class MappingException extends RuntimeException {

    private final String file;
    private final int line;
    private final String field;

    public MappingException(String file, int line, String field, String message) {
        super(message);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String field() {
        return field;
    }

    /** {@code file:line: field: message}, the one format every problem report uses. */
    public String describe() {
        return file + ":" + line + ": " + (field == null ? "" : field + ": ") + getMessage();
    }

    @Override
    public String toString() {
        return describe();
    }
}
