package io.learnbridge.bench.sync;

import io.learnbridge.bench.HrisCsvGenerator;
import io.learnbridge.bench.HrisDiffGenerator;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's drops, generated once under a folder and reused: day 1 ({@link HrisCsvGenerator},
 * the first load), day 2 ({@link HrisDiffGenerator}) and, for more delta days, day 3 and later
 * ({@link NextDayGenerator}), each with what it must change; and the one-row delta drop that
 * measures the fixed cost of a drop.
 */
public final class SyncDays {

    /** The worker of the one-row drop: far above any generated worker number. */
    public static final int ONE_ROW_WORKER = 9_000_001;

    private SyncDays() {
    }

    /** Day 1 and {@code deltaDays} delta days after it. */
    public static List<DayFile> ensure(Path dir, int rows, double percent, int deltaDays) throws IOException {
        List<DayFile> days = new ArrayList<>();
        HrisCsvGenerator.Generated day1 = HrisCsvGenerator.ensure(dir, rows);
        HrisDiffGenerator.Generated day2 = HrisDiffGenerator.ensure(dir, rows, percent);
        HrisDiffGenerator.Intent intent = day2.intent();
        days.add(new DayFile(1, day1.file(), rows, rows - intent.day1Accepted(),
                new Changes(intent.day1Active(), 0, 0, 0, intent.day1Terminated()), rows));
        DayFile previous = new DayFile(2, day2.file(), intent.day2Rows(), 0,
                new Changes(intent.joins(), intent.moves(), intent.updates(), intent.leaves(), intent.noops()), rows + intent.newWorkers());
        days.add(previous);
        for (int day = 3; day <= deltaDays + 1; day++) {
            previous = NextDayGenerator.ensure(dir, rows, percent, previous);
            days.add(previous);
        }
        return days;
    }

    /** A delta drop of one new, active worker: one JOIN, one PUT. */
    public static DayFile oneRow(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("hris-sync-one-row.csv");
        Path partial = dir.resolve(file.getFileName() + ".partial");
        try (Writer out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            out.write(HrisCsvGenerator.HEADER);
            out.write('\n');
            String id = HrisCsvGenerator.id(ONE_ROW_WORKER);
            HrisCsvGenerator.writeRow(out, new String[] {id, "Ada", "Lovelace", "ada.lovelace" + ONE_ROW_WORKER + "@example.com",
                HrisCsvGenerator.id(1), "eng-3", "Staff Engineer, Platform", "London", "Engineering", "A", "03/15/2021"});
        }
        Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return new DayFile(0, file, 1, 0, new Changes(1, 0, 0, 0, 0), ONE_ROW_WORKER);
    }
}
