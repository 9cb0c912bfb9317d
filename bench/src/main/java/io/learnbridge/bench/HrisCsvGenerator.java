package io.learnbridge.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Random;

/**
 * Writes a realistic HRIS worker export in the shape of {@code deploy/samples/hris-workers.csv}:
 * the same 11 columns, quoted fields holding commas, doubled quotes and (rarely) a line break,
 * accented names, mixed-case emails and job codes, dates as {@code MM/dd/yyyy}, statuses
 * {@code A}/{@code L}/{@code T} (a few {@code LOA} and lower-case codes), and about 0.2% of rows
 * the {@code hris} mapping must reject (no email, unknown status, impossible date).
 *
 * <p>The content depends only on the row count (fixed seed), so a file generated once is reused
 * by later runs; it is written to a temporary name and moved into place when complete.
 */
public final class HrisCsvGenerator {

    /** Bump when the generated content changes, so an old file is not reused. */
    private static final String VERSION = "v1";

    public static final String HEADER =
            "Employee ID,First Name,Last Name,Work Email,Manager ID,Job Code,Job Title,Location,Department,Status,Hire Date";

    private static final String[] GIVEN = {"Ada", "Alan", "Grace", "Katherine", "Edsger", "Barbara", "Claude", "José", "Zoë",
        "Siobhán", "Mary", "John", "Priya", "Wei", "Fatima", "Olu", "Hannah", "Lars", "Mateo", "Aiko", "Noah", "Emma",
        "Liam", "Sofia", "Chinedu", "Ingrid", "Rahul", "Yusuf", "Ana", "Pierre"};
    private static final String[] FAMILY = {"Lovelace", "Turing", "Hopper", "Johnson", "Dijkstra", "Liskov", "Shannon",
        "García", "O'Brien", "Nguyen", "Smith-Jones", "Müller", "Okafor", "Kowalski", "Tanaka", "Haddad", "Svensson",
        "Rossi", "Patel", "Chen", "Dubois", "Kim", "Andersen", "Silva", "Murphy", "Novak", "Cohen", "Ivanova", "Brown", "Lee"};
    private static final String[][] JOBS = {
        {"eng-2", "Software Engineer"},
        {"eng-3", "Staff Engineer, Platform"},
        {"ENG-2", "Software Engineer \"Algorithms\""},
        {"eng-4", "Principal Engineer"},
        {"ana-2", "Data Analyst"},
        {"res-1", "Researcher"},
        {"fin-2", "Accountant, Payables"},
        {"hr-1", "HR Business Partner"},
        {"sal-2", "Account Executive"},
        {"mgr-3", "Director, Engineering"},
        {"ops-1", "Warehouse Associate"},
        {"sup-1", "Support Specialist (Tier 2)"},
    };
    private static final String[] LOCATIONS = {"London", "New York", "Manchester", "Amsterdam", "Boston",
        "Washington, D.C.", "São Paulo", "Bengaluru", "Berlin", "Austin", "Princeton", "Hampton"};
    private static final String[] DEPARTMENTS = {"Engineering", "Analytics", "Research", "Finance", "People", "Sales",
        "Operations", "Support", "Legal & Compliance"};

    private static final LocalDate FIRST_HIRE = LocalDate.of(1990, 1, 1);
    private static final int HIRE_DAYS = (int) (LocalDate.of(2025, 12, 31).toEpochDay() - FIRST_HIRE.toEpochDay());

    private HrisCsvGenerator() {
    }

    /** The file for this many rows in {@code dir}: generated now, or reused when already there. */
    public static Generated ensure(Path dir, int rows) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("hris-bench-" + VERSION + "-" + rows + ".csv");
        if (Files.isRegularFile(file)) {
            return new Generated(file, false, 0);
        }
        long start = System.nanoTime();
        Path partial = dir.resolve(file.getFileName() + ".partial");
        try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            write(out, rows);
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Generated(file, true, System.nanoTime() - start);
    }

    /** The header and {@code rows} data rows, streamed to {@code out}. */
    public static void write(Writer out, int rows) throws IOException {
        out.write(HEADER);
        out.write('\n');
        Rows generated = new Rows();
        for (int n = 1; n <= rows; n++) {
            writeRow(out, generated.next().fields());
        }
    }

    /**
     * The header and {@code rows} data rows the {@code hris} mapping all accepts as active workers:
     * the same rows as {@link #write}, with the injected rejections undone and a terminated status
     * made {@code A}, so a first load of this file is exactly one JOIN per row.
     */
    public static void writeActive(Writer out, int rows) throws IOException {
        out.write(HEADER);
        out.write('\n');
        Rows generated = new Rows();
        for (int n = 1; n <= rows; n++) {
            String[] fields = generated.next().valid();
            if (!activeStatus(fields[STATUS])) {
                fields[STATUS] = "A";
            }
            writeRow(out, fields);
        }
    }

    /** One data row, quoted where needed, with its line break. */
    public static void writeRow(Writer out, String[] fields) throws IOException {
        for (int i = 0; i < fields.length; i++) {
            field(out, fields[i], i > 0);
        }
        out.write('\n');
    }

    /**
     * The generated rows in order, the same for every row count (the file for {@code n} rows is the
     * first {@code n} rows of any longer one). Each row comes with what the generator knows about
     * it: whether the {@code hris} mapping rejects it, and its values before a rejection was
     * injected, so a day-2 file ({@link HrisDiffGenerator}) can change or correct it.
     */
    static final class Rows {
        private final Random random = new Random(20_260_131L);
        private final String[] givenAscii = ascii(GIVEN);
        private final String[] familyAscii = ascii(FAMILY);
        private int n;

        Row next() {
            n++;
            int g = random.nextInt(GIVEN.length);
            int f = random.nextInt(FAMILY.length);
            int jobIndex = random.nextInt(JOBS.length);
            String[] job = JOBS[jobIndex];
            String email = givenAscii[g] + "." + familyAscii[f] + n + "@example.com";
            int shape = random.nextInt(100);
            if (shape < 5) {
                email = email.substring(0, 1).toUpperCase(Locale.ROOT) + email.substring(1, email.indexOf('@')) + "@Example.com";
            } else if (shape < 7) {
                email = " " + email + " ";
            }
            String manager = n <= 10 || random.nextInt(100) == 0 ? "" : id(1 + random.nextInt(Math.max(1, n / 10)));
            String title = n % 10_007 == 0 ? "Researcher,\nInformation Theory" : job[1];
            LocalDate hired = FIRST_HIRE.plusDays(random.nextInt(HIRE_DAYS + 1));
            String hireDate = usDate(hired);
            String status = status(random.nextInt(1000));
            String location = LOCATIONS[random.nextInt(LOCATIONS.length)];
            String department = DEPARTMENTS[random.nextInt(DEPARTMENTS.length)];
            String[] valid = {id(n), GIVEN[g], FAMILY[f], email, manager, job[0], title, location, department, status, hireDate};
            String[] fields = valid.clone();
            // About 0.2% of rows the mapping must reject, one reason each.
            boolean rejected = true;
            if (n % 997 == 0) {
                fields[EMAIL] = "";
            } else if (n % 1_999 == 0) {
                fields[STATUS] = "X";
            } else if (n % 4_999 == 0) {
                fields[HIRE_DATE] = "02/30/2021";
            } else {
                rejected = false;
            }
            return new Row(n, fields, valid, rejected, jobIndex);
        }
    }

    /** Column positions in {@link #HEADER}. */
    public static final int EMPLOYEE_ID = 0;
    public static final int EMAIL = 3;
    public static final int MANAGER_ID = 4;
    public static final int JOB_CODE = 5;
    public static final int JOB_TITLE = 6;
    public static final int DEPARTMENT = 8;
    public static final int STATUS = 9;
    public static final int HIRE_DATE = 10;

    /**
     * One generated row: {@code n} (its worker number, {@code E0000042} for 42), the fields as
     * written, the fields as they were before a rejection was injected ({@code valid}), and whether
     * the mapping rejects the row.
     */
    record Row(int n, String[] fields, String[] valid, boolean rejected, int jobIndex) {

        /** Accepted and active as the mapping and the change detector see it: A, L or LOA in any case (not T). */
        boolean active() {
            return !rejected && activeStatus(fields[STATUS]);
        }
    }

    /** A status code the {@code hris} mapping maps to ACTIVE or LEAVE_OF_ABSENCE. */
    public static boolean activeStatus(String code) {
        String s = code.strip().toUpperCase(Locale.ROOT);
        return s.equals("A") || s.equals("L") || s.equals("LOA");
    }

    public static String usDate(LocalDate date) {
        return String.format(Locale.ROOT, "%02d/%02d/%04d", date.getMonthValue(), date.getDayOfMonth(), date.getYear());
    }

    public static int jobs() {
        return JOBS.length;
    }

    public static String[] job(int index) {
        return JOBS[index];
    }

    public static String[] departments() {
        return DEPARTMENTS.clone();
    }

    public static String[] locations() {
        return LOCATIONS.clone();
    }

    public static String[] givenNames() {
        return GIVEN.clone();
    }

    public static String[] familyNames() {
        return FAMILY.clone();
    }

    public static String[] asciiNames(String[] names) {
        return ascii(names);
    }

    public static String id(int n) {
        return "E" + String.format(Locale.ROOT, "%07d", n);
    }

    private static String status(int r) {
        if (r < 880) {
            return "A";
        } else if (r < 890) {
            return "a";
        } else if (r < 915) {
            return "L";
        } else if (r < 920) {
            return "LOA";
        }
        return "T";
    }

    private static void field(Writer out, String value, boolean separator) throws IOException {
        if (separator) {
            out.write(',');
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            out.write(value);
            return;
        }
        out.write('"');
        out.write(value.replace("\"", "\"\""));
        out.write('"');
    }

    private static String[] ascii(String[] names) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = java.text.Normalizer.normalize(names[i], java.text.Normalizer.Form.NFD)
                    .replaceAll("\\p{M}", "").replaceAll("[^A-Za-z-]", "").toLowerCase(Locale.ROOT);
        }
        return out;
    }

    /** The data file, whether it was generated by this call, and how long that took. */
    public record Generated(Path file, boolean created, long nanos) {
    }
}
