package io.learnbridge.drop;

/** A drop that cannot be read as a whole (encoding, broken quoting): the drop fails, naming file and line. */
public final class DropFormatException extends RuntimeException {

    private final String fileName;
    private final long line;

    public DropFormatException(String fileName, long line, String message) {
        super(fileName + ":" + line + ": " + message);
        this.fileName = fileName;
        this.line = line;
    }

    public String fileName() {
        return fileName;
    }

    public long line() {
        return line;
    }
}
