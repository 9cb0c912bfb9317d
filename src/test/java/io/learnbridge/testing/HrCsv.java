package io.learnbridge.testing;

import java.util.ArrayList;
import java.util.List;

/** Builds HRIS CSV drops in the sample's shape (header of deploy/samples/hris-workers.csv). */
public final class HrCsv {

    public static final String HEADER = "Employee ID,First Name,Last Name,Work Email,Manager ID,Job Code,Job Title,Location,Department,Status,Hire Date";

    private final List<String> lines = new ArrayList<>();

    public static HrCsv create() {
        return new HrCsv();
    }

    /** A valid active worker E&lt;n&gt;. */
    public HrCsv worker(int n) {
        return row(id(n), "Given" + n, "Family" + n, "worker" + n + "@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020");
    }

    public HrCsv row(String... fields) {
        lines.add(String.join(",", fields));
        return this;
    }

    public HrCsv raw(String line) {
        lines.add(line);
        return this;
    }

    public HrCsv workers(int from, int toInclusive) {
        for (int n = from; n <= toInclusive; n++) {
            worker(n);
        }
        return this;
    }

    public static String id(int n) {
        return String.format("E%06d", n);
    }

    public String build() {
        return HEADER + "\n" + String.join("\n", lines) + "\n";
    }
}
