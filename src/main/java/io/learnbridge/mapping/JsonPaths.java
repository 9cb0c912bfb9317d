package io.learnbridge.mapping;

import com.fasterxml.jackson.core.JsonPointer;

/**
 * The subset of JSONPath a JSON source mapping may use in {@code from}: a path of member names
 * and array indexes ({@code $.employee.emails[0].address}), compiled to a JSON Pointer.
 */
public final class JsonPaths {

    private JsonPaths() {
    }

    public static JsonPointer toPointer(String path) {
        String p = path.strip();
        if (p.startsWith("/")) {
            return JsonPointer.compile(p);
        }
        if (p.startsWith("$")) {
            p = p.substring(1);
        }
        if (p.startsWith(".")) {
            p = p.substring(1);
        }
        StringBuilder pointer = new StringBuilder();
        for (String segment : p.split("\\.", -1)) {
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("not a supported JSON path: '" + path + "' (use $.a.b or $.a[0].b)");
            }
            String name = segment;
            int bracket = name.indexOf('[');
            String rest = "";
            if (bracket >= 0) {
                rest = name.substring(bracket);
                name = name.substring(0, bracket);
            }
            if (!name.isEmpty()) {
                pointer.append('/').append(name.replace("~", "~0").replace("/", "~1"));
            }
            while (!rest.isEmpty()) {
                int close = rest.indexOf(']');
                if (!rest.startsWith("[") || close < 2 || !rest.substring(1, close).chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException("not a supported JSON path: '" + path + "' (array indexes must be numbers)");
                }
                pointer.append('/').append(rest, 1, close);
                rest = rest.substring(close + 1);
            }
        }
        return JsonPointer.compile(pointer.toString());
    }
}
