package io.learnbridge.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.Properties;
import java.util.Random;

/**
 * Writes "day 2" of the benchmark's HRIS export ({@link HrisCsvGenerator} is day 1): the same
 * workers in the same order, where a given percentage of the rows changed, about 0.5% are new
 * workers and about 0.5% are absent, so that a full-snapshot diff against day 1's stored state has
 * a known answer.
 *
 * <ul>
 *   <li><b>Changed rows</b> (exactly {@code round(rows × percent / 100)}), chosen among day 1's
 *       accepted, active workers (A, L, LOA): 25% a different manager, 15% a different
 *       department, 10% a different job (code and title) — MOVE; 30% a different email — UPDATE;
 *       20% status T — LEAVE.</li>
 *   <li><b>New workers</b> ({@code round(rows × 0.5%)}, ids after the last day-1 id, active, hired
 *       in the past) spread through the file — JOIN.</li>
 *   <li><b>Absent workers</b> ({@code round(rows × 0.5%)}, chosen among the other active workers)
 *       left out of the file — LEAVE by absence.</li>
 *   <li><b>Corrected rows</b>: day 1's rows the mapping rejected (about 0.2%) appear corrected, so
 *       day 2 has no rejected row. LearnBridge infers leavers by absence only from a snapshot in
 *       which every row is identified (a rejected row has no worker id), so a day 2 with rejected
 *       rows would not exercise the absence scan. A corrected worker was never stored: JOIN when
 *       active, NOOP (first seen terminated) otherwise.</li>
 *   <li>Every other row is copied unchanged — NOOP.</li>
 * </ul>
 *
 * The content depends only on the row count and the percentage (fixed seeds); the file is written
 * to a temporary name and moved into place when complete, next to a small properties file with
 * what the generator intended, and both are reused by later runs.
 */
public final class HrisDiffGenerator {

    /** Bump when the generated content changes, so an old file is not reused. */
    private static final String VERSION = "d1";

    public static final double NEW_PERCENT = 0.5;
    public static final double ABSENT_PERCENT = 0.5;

    private static final LocalDate NEW_HIRES_FROM = LocalDate.of(2020, 1, 1);
    private static final int NEW_HIRE_DAYS = (int) (LocalDate.of(2024, 12, 31).toEpochDay() - NEW_HIRES_FROM.toEpochDay());

    private HrisDiffGenerator() {
    }

    /**
     * What the generator put into day 2 (and what day 1 holds), so the plan can be checked.
     *
     * @param day1Rows data rows of day 1
     * @param day1Accepted day-1 rows the mapping accepts
     * @param day1Active accepted day-1 rows of active workers: the first load's JOINs
     * @param day2Rows data rows of day 2 (all accepted)
     * @param unchanged day-1 accepted rows copied unchanged
     * @param corrected day-1 rejected rows, corrected
     * @param correctedActive of those, active (JOIN; the others are first seen terminated: NOOP)
     * @param newWorkers workers not in day 1 (JOIN)
     * @param absent active workers left out (LEAVE by absence)
     */
    public record Intent(int day1Rows, int day1Accepted, int day1Active, int day2Rows, int unchanged, int corrected, int correctedActive,
                         int newWorkers, int managerMoves, int departmentMoves, int jobMoves, int emailUpdates, int statusLeaves,
                         int absent) {

        private static final String[] NAMES = {"day1Rows", "day1Accepted", "day1Active", "day2Rows", "unchanged", "corrected",
            "correctedActive", "newWorkers", "managerMoves", "departmentMoves", "jobMoves", "emailUpdates", "statusLeaves", "absent"};

        /** First-load NOOPs: accepted day-1 workers first seen terminated. */
        public int day1Terminated() {
            return day1Accepted - day1Active;
        }

        public int joins() {
            return newWorkers + correctedActive;
        }

        public int moves() {
            return managerMoves + departmentMoves + jobMoves;
        }

        public int updates() {
            return emailUpdates;
        }

        public int leaves() {
            return statusLeaves + absent;
        }

        public int noops() {
            return unchanged + corrected - correctedActive;
        }

        public int changes() {
            return joins() + moves() + updates() + leaves();
        }

        /** Day-1 rows whose values changed on day 2 (MOVE, UPDATE, LEAVE by status): the requested percentage. */
        public int changedRows() {
            return moves() + updates() + statusLeaves;
        }

        int[] values() {
            return new int[] {day1Rows, day1Accepted, day1Active, day2Rows, unchanged, corrected, correctedActive, newWorkers, managerMoves,
                departmentMoves, jobMoves, emailUpdates, statusLeaves, absent};
        }

        static Intent of(int[] v) {
            return new Intent(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]);
        }

        Properties toProperties() {
            Properties p = new Properties();
            int[] v = values();
            for (int i = 0; i < NAMES.length; i++) {
                p.setProperty(NAMES[i], Integer.toString(v[i]));
            }
            return p;
        }

        /** The intent read back, or null when a value is missing. */
        static Intent fromProperties(Properties p) {
            int[] v = new int[NAMES.length];
            for (int i = 0; i < NAMES.length; i++) {
                String value = p.getProperty(NAMES[i]);
                if (value == null) {
                    return null;
                }
                v[i] = Integer.parseInt(value.strip());
            }
            return of(v);
        }
    }

    /** The day-2 file, whether this call generated it, how long that took, and what it holds. */
    public record Generated(Path file, boolean created, long nanos, Intent intent) {
    }

    /** {@code 2} for 2.0, {@code 2.5} for 2.5: for file names and reports. */
    public static String label(double percent) {
        return BigDecimal.valueOf(percent).stripTrailingZeros().toPlainString();
    }

    /** The day-2 file for day 1 of {@code rows} rows and {@code percent} % changed, in {@code dir}: generated now or reused. */
    public static Generated ensure(Path dir, int rows, double percent) throws IOException {
        Files.createDirectories(dir);
        String base = "hris-bench-" + VERSION + "-" + rows + "-day2-" + label(percent) + "pct";
        Path file = dir.resolve(base + ".csv");
        Path expected = dir.resolve(base + ".expected.properties");
        if (Files.isRegularFile(file) && Files.isRegularFile(expected)) {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(expected, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            Intent intent = Intent.fromProperties(p);
            if (intent != null) {
                return new Generated(file, false, 0, intent);
            }
        }
        long start = System.nanoTime();
        Path partial = dir.resolve(file.getFileName() + ".partial");
        Intent intent;
        try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            intent = write(out, rows, percent);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Path partialExpected = dir.resolve(expected.getFileName() + ".partial");
        try (Writer out = Files.newBufferedWriter(partialExpected, StandardCharsets.UTF_8)) {
            intent.toProperties().store(out, "what " + file.getFileName() + " holds, by construction");
        }
        Files.move(partialExpected, expected, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Generated(file, true, System.nanoTime() - start, intent);
    }

    /**
     * Streams the header and day 2's rows to {@code out}; returns what it wrote.
     *
     * @throws IllegalArgumentException when day 1 has too few active workers for the changes asked for
     */
    public static Intent write(Writer out, int rows, double percent) throws IOException {
        // Pass 1: day 1's active workers, to choose exact numbers of them by sequential sampling.
        int eligible = 0;
        int day1Accepted = 0;
        HrisCsvGenerator.Rows scan = new HrisCsvGenerator.Rows();
        for (int n = 1; n <= rows; n++) {
            HrisCsvGenerator.Row row = scan.next();
            day1Accepted += row.rejected() ? 0 : 1;
            eligible += row.active() ? 1 : 0;
        }
        int changes = (int) Math.round(rows * percent / 100);
        int absent = (int) Math.round(rows * ABSENT_PERCENT / 100);
        int joins = (int) Math.round(rows * NEW_PERCENT / 100);
        if (changes + absent > eligible) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%s%% of %d rows is %d changed rows, which with %d absent workers is more than the %d active workers of day 1",
                    label(percent), rows, changes, absent, eligible));
        }

        Random random = new Random(20_260_201L);
        String[] given = HrisCsvGenerator.givenNames();
        String[] family = HrisCsvGenerator.familyNames();
        String[] givenAscii = HrisCsvGenerator.asciiNames(given);
        String[] familyAscii = HrisCsvGenerator.asciiNames(family);
        String[] departments = HrisCsvGenerator.departments();
        String[] locations = HrisCsvGenerator.locations();
        int eligibleLeft = eligible;
        int changesLeft = changes;
        int absentLeft = absent;
        int joinsLeft = joins;
        int day2Rows = 0;
        int unchanged = 0;
        int corrected = 0;
        int correctedActive = 0;
        int managerMoves = 0;
        int departmentMoves = 0;
        int jobMoves = 0;
        int emailUpdates = 0;
        int statusLeaves = 0;
        int absentWritten = 0;
        int newWorkers = 0;

        out.write(HrisCsvGenerator.HEADER);
        out.write('\n');
        HrisCsvGenerator.Rows day1 = new HrisCsvGenerator.Rows();
        for (int n = 1; n <= rows; n++) {
            HrisCsvGenerator.Row row = day1.next();
            String[] fields = row.fields().clone();
            boolean write = true;
            if (row.rejected()) {
                fields = row.valid().clone();
                corrected++;
                correctedActive += HrisCsvGenerator.activeStatus(fields[HrisCsvGenerator.STATUS]) ? 1 : 0;
            } else if (row.active()) {
                int u = random.nextInt(eligibleLeft);
                eligibleLeft--;
                if (u < changesLeft) {
                    changesLeft--;
                    switch (ChangeMix.apply(fields, random, rows, ".2")) {
                        case MANAGER_MOVE -> managerMoves++;
                        case DEPARTMENT_MOVE -> departmentMoves++;
                        case JOB_MOVE -> jobMoves++;
                        case EMAIL_UPDATE -> emailUpdates++;
                        case STATUS_LEAVE -> statusLeaves++;
                    }
                } else if (u < changesLeft + absentLeft) {
                    absentLeft--;
                    absentWritten++;
                    write = false;
                } else {
                    unchanged++;
                }
            } else {
                unchanged++; // accepted, first seen terminated on day 1: still terminated
            }
            if (write) {
                HrisCsvGenerator.writeRow(out, fields);
                day2Rows++;
            }
            if (joinsLeft > 0 && random.nextInt(rows - n + 1) < joinsLeft) {
                joinsLeft--;
                newWorkers++;
                int id = rows + newWorkers;
                int g = random.nextInt(given.length);
                int f = random.nextInt(family.length);
                String[] job = HrisCsvGenerator.job(random.nextInt(HrisCsvGenerator.jobs()));
                String[] hire = {
                    HrisCsvGenerator.id(id), given[g], family[f], givenAscii[g] + "." + familyAscii[f] + id + "@example.com",
                    HrisCsvGenerator.id(1 + random.nextInt(rows)), job[0], job[1], locations[random.nextInt(locations.length)],
                    departments[random.nextInt(departments.length)], "A",
                    HrisCsvGenerator.usDate(NEW_HIRES_FROM.plusDays(random.nextInt(NEW_HIRE_DAYS + 1)))};
                HrisCsvGenerator.writeRow(out, hire);
                day2Rows++;
            }
        }
        if (changesLeft != 0 || absentLeft != 0 || joinsLeft != 0) {
            throw new IllegalStateException("day-2 generator left " + changesLeft + " changes, " + absentLeft + " absences and "
                    + joinsLeft + " new workers unplaced");
        }
        return new Intent(rows, day1Accepted, eligible, day2Rows, unchanged, corrected, correctedActive, newWorkers, managerMoves,
                departmentMoves, jobMoves, emailUpdates, statusLeaves, absentWritten);
    }
}
