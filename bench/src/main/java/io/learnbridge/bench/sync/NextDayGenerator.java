package io.learnbridge.bench.sync;

import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import io.learnbridge.bench.HrisCsvGenerator;
import io.learnbridge.bench.HrisDiffGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.Iterator;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;

/**
 * Writes day <i>k</i> + 1 of the HRIS export from day <i>k</i> (day 2 comes from
 * {@link HrisDiffGenerator}), streaming, with the same mix of changes: of {@code percent} % of the
 * rows, chosen among the active workers, 25% a different manager, 15% a different department, 10%
 * a different job (MOVE), 30% a different email (UPDATE), 20% status T (LEAVE); 0.5% new active
 * workers (JOIN, numbered after the largest worker number so far) and 0.5% of the other active
 * workers left out (LEAVE by absence); every other row copied (NOOP). Day <i>k</i> must have no
 * rejected rows (day 2 has none), so every row of the new day is accepted too.
 *
 * <p>The content depends only on day 1's row count, the percentage and the day (fixed seeds); the
 * file and what it holds are written under temporary names, moved into place, and reused.
 */
public final class NextDayGenerator {

    /** Bump when the generated content changes, so an old file is not reused. */
    private static final String VERSION = "n1";

    private static final LocalDate NEW_HIRES_FROM = LocalDate.of(2020, 1, 1);
    private static final int NEW_HIRE_DAYS = (int) (LocalDate.of(2024, 12, 31).toEpochDay() - NEW_HIRES_FROM.toEpochDay());

    private NextDayGenerator() {
    }

    /** The day after {@code previous} (day 2 or later) in {@code dir}: generated now, or reused. */
    public static DayFile ensure(Path dir, int day1Rows, double percent, DayFile previous) throws IOException {
        if (previous.day() < 2 || previous.rejected() != 0) {
            throw new IllegalArgumentException("the next day is generated from a delta day without rejected rows, not from day " + previous.day());
        }
        int day = previous.day() + 1;
        String base = "hris-sync-" + VERSION + "-" + day1Rows + "-" + HrisDiffGenerator.label(percent) + "pct-day" + day;
        Path file = dir.resolve(base + ".csv");
        Path expected = dir.resolve(base + ".expected.properties");
        if (Files.isRegularFile(file) && Files.isRegularFile(expected)) {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(expected, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            DayFile reused = read(day, file, p);
            if (reused != null) {
                return reused;
            }
        }
        Path partial = dir.resolve(file.getFileName() + ".partial");
        DayFile written;
        try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            written = write(out, previous, percent, new Random(20_260_301L + day1Rows * 31L + day));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Path partialExpected = dir.resolve(expected.getFileName() + ".partial");
        try (Writer out = Files.newBufferedWriter(partialExpected, StandardCharsets.UTF_8)) {
            properties(written).store(out, "what " + file.getFileName() + " holds, by construction");
        }
        Files.move(partialExpected, expected, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new DayFile(day, file, written.rows(), 0, written.expected(), written.maxId());
    }

    private static DayFile write(Writer out, DayFile previous, double percent, Random random) throws IOException {
        int rows = 0;
        int eligible = 0;
        try (CsvReader<CsvRecord> reader = open(previous.file())) {
            Iterator<CsvRecord> records = reader.iterator();
            records.next();
            while (records.hasNext()) {
                rows++;
                eligible += HrisCsvGenerator.activeStatus(records.next().getField(HrisCsvGenerator.STATUS)) ? 1 : 0;
            }
        }
        int changes = (int) Math.round(rows * percent / 100);
        int absent = (int) Math.round(rows * HrisDiffGenerator.ABSENT_PERCENT / 100);
        int joins = (int) Math.round(rows * HrisDiffGenerator.NEW_PERCENT / 100);
        if (changes + absent > eligible) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s%% of %d rows is %d changed rows, which with %d absent workers is more than the %d active workers of day %d",
                    HrisDiffGenerator.label(percent), rows, changes, absent, eligible, previous.day()));
        }
        String[] given = HrisCsvGenerator.givenNames();
        String[] family = HrisCsvGenerator.familyNames();
        String[] givenAscii = HrisCsvGenerator.asciiNames(given);
        String[] familyAscii = HrisCsvGenerator.asciiNames(family);
        String[] departments = HrisCsvGenerator.departments();
        String[] locations = HrisCsvGenerator.locations();
        int maxId = previous.maxId();
        int eligibleLeft = eligible;
        int changesLeft = changes;
        int absentLeft = absent;
        int joinsLeft = joins;
        int written = 0;
        long moves = 0;
        long updates = 0;
        long leaves = 0;
        long noops = 0;
        long newWorkers = 0;

        out.write(HrisCsvGenerator.HEADER);
        out.write('\n');
        try (CsvReader<CsvRecord> reader = open(previous.file())) {
            Iterator<CsvRecord> records = reader.iterator();
            records.next();
            int n = 0;
            while (records.hasNext()) {
                n++;
                String[] fields = records.next().getFields().toArray(String[]::new);
                boolean write = true;
                if (!HrisCsvGenerator.activeStatus(fields[HrisCsvGenerator.STATUS])) {
                    noops++; // terminated: stays terminated
                } else {
                    int u = random.nextInt(eligibleLeft);
                    eligibleLeft--;
                    if (u < changesLeft) {
                        changesLeft--;
                        switch (io.learnbridge.bench.ChangeMix.apply(fields, random, maxId, "." + (previous.day() + 1))) {
                            case EMAIL_UPDATE -> updates++;
                            case STATUS_LEAVE -> leaves++;
                            default -> moves++;
                        }
                    } else if (u < changesLeft + absentLeft) {
                        absentLeft--;
                        leaves++;
                        write = false;
                    } else {
                        noops++;
                    }
                }
                if (write) {
                    HrisCsvGenerator.writeRow(out, fields);
                    written++;
                }
                if (joinsLeft > 0 && random.nextInt(rows - n + 1) < joinsLeft) {
                    joinsLeft--;
                    newWorkers++;
                    int id = ++maxId;
                    int g = random.nextInt(given.length);
                    int f = random.nextInt(family.length);
                    String[] job = HrisCsvGenerator.job(random.nextInt(HrisCsvGenerator.jobs()));
                    HrisCsvGenerator.writeRow(out, new String[] {
                        HrisCsvGenerator.id(id), given[g], family[f], givenAscii[g] + "." + familyAscii[f] + id + "@example.com",
                        HrisCsvGenerator.id(1 + random.nextInt(id - 1)), job[0], job[1], locations[random.nextInt(locations.length)],
                        departments[random.nextInt(departments.length)], "A",
                        HrisCsvGenerator.usDate(NEW_HIRES_FROM.plusDays(random.nextInt(NEW_HIRE_DAYS + 1)))});
                    written++;
                }
            }
        }
        if (changesLeft != 0 || absentLeft != 0 || joinsLeft != 0) {
            throw new IllegalStateException("next-day generator left " + changesLeft + " changes, " + absentLeft + " absences and "
                    + joinsLeft + " new workers unplaced");
        }
        return new DayFile(previous.day() + 1, null, written, 0, new Changes(newWorkers, moves, updates, leaves, noops), maxId);
    }

    private static CsvReader<CsvRecord> open(Path file) throws IOException {
        return CsvReader.builder().ofCsvRecord(file, StandardCharsets.UTF_8);
    }

    private static Properties properties(DayFile d) {
        Properties p = new Properties();
        p.setProperty("rows", Integer.toString(d.rows()));
        p.setProperty("joins", Long.toString(d.expected().joins()));
        p.setProperty("moves", Long.toString(d.expected().moves()));
        p.setProperty("updates", Long.toString(d.expected().updates()));
        p.setProperty("leaves", Long.toString(d.expected().leaves()));
        p.setProperty("noops", Long.toString(d.expected().noops()));
        p.setProperty("maxId", Integer.toString(d.maxId()));
        return p;
    }

    /** What a properties file says, or null when a value is missing. */
    private static DayFile read(int day, Path file, Properties p) {
        String[] names = {"rows", "joins", "moves", "updates", "leaves", "noops", "maxId"};
        long[] v = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            String value = p.getProperty(names[i]);
            if (value == null) {
                return null;
            }
            v[i] = Long.parseLong(value.strip());
        }
        return new DayFile(day, file, (int) v[0], 0, new Changes(v[1], v[2], v[3], v[4], v[5]), (int) v[6]);
    }
}
