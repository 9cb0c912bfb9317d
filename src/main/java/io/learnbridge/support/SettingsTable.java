package io.learnbridge.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The README's settings table, generated from {@link SettingsTree} so that the documentation
 * cannot drift from the settings the bridge reads (ReadmeSettingsTest compares them). Run
 * {@code java -cp target/classes io.learnbridge.support.SettingsTable README.md} to rewrite the
 * table in place, or without an argument to print it.
 */
public final class SettingsTable {

    static final String HEADER = "| Key | Default | Meaning |";

    private SettingsTable() {
    }

    /** The table, header included, one line per row of the declaration. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n').append("|---|---|---|").append('\n');
        for (SettingsTree.Row row : SettingsTree.ROWS) {
            sb.append("| ").append(keys(row)).append(" | ").append(defaults(row)).append(" | ").append(row.doc()).append(" |\n");
        }
        return sb.toString();
    }

    /** The table of a README text: from its header line to the first line that is not a table row. */
    public static String tableOf(String readme) {
        int start = readme.indexOf(HEADER);
        if (start < 0) {
            return "";
        }
        int end = start;
        while (end < readme.length() && readme.charAt(end) == '|') {
            int newline = readme.indexOf('\n', end);
            end = newline < 0 ? readme.length() : newline + 1;
        }
        return readme.substring(start, end);
    }

    private static String keys(SettingsTree.Row row) {
        if (row.settings().isEmpty()) {
            return SettingsTree.all().stream().filter(Setting::overridable).findFirst()
                    .map(s -> s.key().substring("learnbridge.".length(), s.key().lastIndexOf('.') + 1))
                    .map(gate -> "`" + Setting.SOURCE + gate + "*`, `" + Setting.TARGET + gate + "*`").orElseThrow();
        }
        String first = row.settings().get(0).key();
        List<String> cells = new ArrayList<>();
        cells.add("`" + first + "`");
        for (Setting s : row.settings().subList(1, row.settings().size())) {
            String common = commonPrefix(first, s.key());
            cells.add("`" + (common.equals("learnbridge.") ? s.key() : s.key().substring(common.length() - 1)) + "`");
        }
        return String.join(", ", cells);
    }

    /** The longest prefix of both keys that ends with a dot. */
    private static String commonPrefix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(n) == b.charAt(n)) {
            n++;
        }
        return a.substring(0, a.lastIndexOf('.', n - 1) + 1);
    }

    private static String defaults(SettingsTree.Row row) {
        if (row.settings().isEmpty()) {
            return "—";
        }
        List<String> cells = row.settings().stream().map(SettingsTable::shown).toList();
        Set<String> distinct = new LinkedHashSet<>(cells);
        return distinct.size() == 1 ? cells.get(0) : cells.stream().collect(Collectors.joining(", "));
    }

    private static String shown(Setting s) {
        if (s.shownDefault() != null) {
            return s.shownDefault();
        }
        if (s.defaultValue() == null) {
            return "—";
        }
        return s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`";
    }

    /** Prints the table, or with a file argument rewrites that README's table in place. */
    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.out.print(markdown());
            return;
        }
        Path readme = Path.of(args[0]);
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String table = tableOf(text);
        if (table.isEmpty()) {
            throw new IllegalStateException(readme + " has no settings table (a line '" + HEADER + "')");
        }
        Files.writeString(readme, text.replace(table, markdown()), StandardCharsets.UTF_8);
    }
}
