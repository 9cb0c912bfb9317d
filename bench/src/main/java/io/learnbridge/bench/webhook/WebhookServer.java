package io.learnbridge.bench.webhook;

import java.net.URI;

/** A server that takes signed webhooks and stores them durably before it answers 202; started once per run. */
public interface WebhookServer {

    /** Short name for the table. */
    String name();

    /** One line saying what it does, printed above the results. */
    String description();

    /** Starts on loopback with a fresh store; {@code run} numbers runs from 1. Startup is not measured. */
    Running start(int run, String secret) throws Exception;

    /** Events stored and not yet processed; deliveries queued and not yet sent. */
    record Backlog(long events, long deliveries) {
        public boolean empty() {
            return events == 0 && deliveries == 0;
        }
    }

    /** A started server. */
    interface Running extends AutoCloseable {

        /** Where the load generator POSTs. */
        URI url();

        /** Requests of this run the store holds: their webhook ids start with {@code idPrefix}. */
        long stored(String idPrefix);

        /** What the server was still doing in the background at the end of the load, one line; empty when nothing. */
        String background(SignedEvents events);

        /**
         * Work of this run not yet done in the background: events stored but not yet processed, and
         * their deliveries not yet settled; null when the server does no background work (it only stores).
         */
        default Backlog backlog(SignedEvents events) {
            return null;
        }

        @Override
        void close() throws Exception;
    }
}
