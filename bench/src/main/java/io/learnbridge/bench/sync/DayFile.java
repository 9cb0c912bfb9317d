package io.learnbridge.bench.sync;

import java.nio.file.Path;

/**
 * One drop of the benchmark: {@code day} 1 is the first load, 2 and later the daily deltas (full
 * snapshots of the same population), 0 the one-row delta drop; {@code rows} data rows, {@code rejected} of them refused by
 * the {@code hris} mapping; {@code expected} what the drop must change; {@code maxId} the largest
 * worker number used so far (the next day's new workers come after it).
 */
public record DayFile(int day, Path file, int rows, int rejected, Changes expected, int maxId) {

    public String phase() {
        return day == 0 ? "1-row delta" : day == 1 ? "first load" : "delta day " + day;
    }
}
