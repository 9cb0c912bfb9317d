package io.learnbridge.support;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Rate-limits repeated warnings and errors (logback.xml): the same logger, level and message
 * pattern (the text before its arguments are filled in, with numbers and hex ids blanked: see
 * {@link #shape}) passes {@code allowed} times per window;
 * the rest are counted, and the first one that passes in a later window is preceded by one line
 * saying how many were held back. A failing store or a full disk polled every few milliseconds
 * wrote thousands of identical lines a minute, until the log had filled the disk again. INFO and
 * below are never limited.
 */
public final class RepeatedLines extends TurboFilter {

    /** Lines this filter writes itself (the counts), which it lets through. */
    static final Marker COUNT = MarkerFactory.getMarker("learnbridge-repeated-lines");

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private int allowed = 5;
    private long windowMillis = 60_000;

    public RepeatedLines() {
        this(System::currentTimeMillis);
    }

    RepeatedLines(LongSupplier clock) {
        this.clock = clock;
    }

    public void setAllowed(int allowed) {
        this.allowed = allowed;
    }

    public void setWindowSeconds(int seconds) {
        this.windowMillis = seconds * 1000L;
    }

    private static final class Window {
        long start;
        int passed;
        final AtomicLong held = new AtomicLong();
    }

    private static final java.util.regex.Pattern VARYING = java.util.regex.Pattern.compile("[0-9A-Fa-f]*[0-9][0-9A-Fa-f-]*");

    /**
     * The pattern of a message: Camel logs many of its errors already formatted ("Error processing
     * exchange. Exchange[5B58...-0980]. Caused by: ..."), so numbers and hex ids are blanked out for
     * the comparison: repeats of one failure differ only in those.
     */
    static String shape(String message) {
        String head = message.length() > 300 ? message.substring(0, 300) : message;
        return VARYING.matcher(head).replaceAll("#");
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level == null || !level.isGreaterOrEqual(Level.WARN) || format == null || marker == COUNT || !logger.isEnabledFor(level)) {
            return FilterReply.NEUTRAL;
        }
        if (windows.size() > 10_000) {
            windows.clear(); // bounded: message patterns are few; this only guards against a pattern built from data
        }
        String key = logger.getName() + '\u0000' + level + '\u0000' + shape(format);
        Window window = windows.computeIfAbsent(key, k -> new Window());
        long now = clock.getAsLong();
        long held;
        synchronized (window) {
            if (now - window.start >= windowMillis) {
                window.start = now;
                window.passed = 0;
            }
            if (window.passed >= allowed) {
                window.held.incrementAndGet();
                return FilterReply.DENY;
            }
            window.passed++;
            held = window.held.getAndSet(0);
        }
        if (held > 0) {
            logger.log(COUNT, Logger.FQCN, Level.toLocationAwareLoggerInteger(level),
                    "{} more lines like the next one were held back (each warning is logged at most {} times per {} s)",
                    new Object[] {held, allowed, Math.max(1, windowMillis / 1000)}, null);
        }
        return FilterReply.NEUTRAL;
    }
}
