package io.learnbridge.bench.sync;

import io.learnbridge.bench.delivery.LoopbackTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's correctness check of one phase: every expected change delivered exactly once.
 * The target received exactly one PUT per JOIN, MOVE, UPDATE and LEAVE the generator wrote and
 * none per NOOP, each to a different worker; the pipeline found exactly those changes; none of its
 * deliveries is left pending or failed.
 */
public final class SyncCheck {

    private SyncCheck() {
    }

    /** The mismatches, each naming what was expected and what was found; empty when the phase is right. */
    public static List<String> problems(DayFile day, LoopbackTarget.Counts received, Changes found, Settled settled) {
        List<String> problems = new ArrayList<>();
        long expected = day.expected().puts();
        if (received.records() != expected) {
            problems.add(String.format(Locale.ROOT, "the target received %,d PUTs answered 200, expected %,d (one per change: %s)",
                    received.records(), expected, day.expected()));
        }
        if (received.distinct() != received.records()) {
            problems.add(String.format(Locale.ROOT, "%,d PUTs went to a worker already PUT in this phase (%,d PUTs, %,d distinct workers)",
                    received.records() - received.distinct(), received.records(), received.distinct()));
        }
        if (received.refused() > 0) {
            problems.add(String.format(Locale.ROOT, "the target refused %,d requests (bad path or body)", received.refused()));
        }
        if (found != null && !found.equals(day.expected())) {
            problems.add("found " + found + "; the generator wrote " + day.expected());
        }
        if (settled.delivered() != expected) {
            problems.add(String.format(Locale.ROOT, "%,d deliveries delivered, expected %,d", settled.delivered(), expected));
        }
        if (settled.pending() + settled.sending() > 0) {
            problems.add(String.format(Locale.ROOT, "%,d deliveries left PENDING and %,d SENDING", settled.pending(), settled.sending()));
        }
        if (settled.failed() > 0) {
            problems.add(String.format(Locale.ROOT, "%,d deliveries FAILED", settled.failed()));
        }
        return problems;
    }
}
