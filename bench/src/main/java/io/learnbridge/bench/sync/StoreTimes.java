package io.learnbridge.bench.sync;

import java.time.Duration;
import java.time.Instant;

/**
 * Where a drop's time went, from its row in table {@code drop_file}: {@code pickup} from the file
 * renamed into the drop folder to {@code claimed_at}; {@code stage} from {@code claimed_at} to
 * {@code staged_at}, {@code plan} to {@code planned_at}, {@code apply} to {@code finished_at};
 * {@code ingest} from {@code claimed_at} to {@code finished_at}; {@code deliver} from
 * {@code finished_at} to the last PUT the target received. Each is null when a column is absent
 * from the store's schema or empty.
 */
public record StoreTimes(Duration pickup, Duration stage, Duration plan, Duration apply, Duration ingest, Duration deliver) {

    public static final StoreTimes NONE = new StoreTimes(null, null, null, null, null, null);

    /** From the drop's timestamps (any may be null). */
    public static StoreTimes of(Instant renamed, Instant claimed, Instant staged, Instant planned, Instant finished, Instant lastPut) {
        return new StoreTimes(between(renamed, claimed), between(claimed, staged), between(staged, planned), between(planned, finished),
                between(claimed, finished), between(finished, lastPut));
    }

    private static Duration between(Instant from, Instant to) {
        return from == null || to == null ? null : Duration.between(from, to);
    }
}
