package io.learnbridge.support;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RepeatedLinesTest {

    @Test
    void aRepeatedWarningPassesFiveTimesAMinuteAndTheNextThatPassesSaysHowManyWereHeldBack() {
        AtomicLong now = new AtomicLong(1_000_000);
        LoggerContext context = new LoggerContext();
        RepeatedLines filter = new RepeatedLines(now::get);
        filter.setAllowed(5);
        filter.setWindowSeconds(60);
        context.addTurboFilter(filter);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.setContext(context);
        appender.start();
        Logger logger = context.getLogger("store");
        logger.addAppender(appender);

        for (int i = 0; i < 1000; i++) {
            logger.warn("store error: {}", "The database has been closed " + i);
            logger.info("poll {}", i);
        }
        logger.warn("another warning");
        assertThat(appender.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "store error: The database has been closed 0", "store error: The database has been closed 1",
                "store error: The database has been closed 2", "store error: The database has been closed 3",
                "store error: The database has been closed 4", "another warning");
        assertThat(appender.list).filteredOn(e -> e.getLevel() == Level.INFO).as("INFO is never limited").hasSize(1000);

        appender.list.clear();
        // Camel logs its errors formatted already: repeats differ only in exchange ids and numbers
        for (int i = 0; i < 100; i++) {
            logger.warn("Error processing exchange. Exchange[5B585850A3CCFD2-" + String.format("%016X", i) + "]. Caused by: "
                    + "[io.learnbridge.store.StoreException - store error: The database has been closed [90098-232]]");
        }
        logger.warn("Error processing exchange. Exchange[5B585850A3CCFD2-0000000000000001]. Caused by: [java.io.IOException - disk full]");
        assertThat(appender.list).as("five of the first failure, then the other one").hasSize(6);
        assertThat(appender.list.get(5).getFormattedMessage()).endsWith("disk full]");

        now.addAndGet(60_000);
        appender.list.clear();
        logger.warn("store error: {}", "still closed");
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "995 more lines like the next one were held back (each warning is logged at most 5 times per 60 s)",
                "store error: still closed");
    }
}
