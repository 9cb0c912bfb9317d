package io.learnbridge.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets an appender write only when it is the chosen line format ({@code learnbridge.log.format}:
 * a system property, set from the settings by {@link Logs}, or {@code LEARNBRIDGE_LOG_FORMAT};
 * {@code text} by default). Both format appenders stay referenced, so logback does not warn about
 * the one that is not used at every start.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {

    private String format = "text";
    private volatile boolean chosen;

    public void setFormat(String format) {
        this.format = format;
    }

    @Override
    public void start() {
        String wanted = System.getProperty(Logs.FORMAT_KEY);
        if (wanted == null) {
            wanted = System.getenv("LEARNBRIDGE_LOG_FORMAT");
        }
        chosen = format.equalsIgnoreCase(wanted == null || wanted.isBlank() ? "text" : wanted.strip());
        super.start();
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return chosen ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
