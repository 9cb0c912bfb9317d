package io.learnbridge.worker;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The fields of LearnBridge's canonical worker record ({@code DESIGN.md}). Every source mapping
 * writes these names and every target mapping reads them; any other name is a startup error,
 * except {@code attributes.<name>} for custom fields.
 */
public enum CanonicalField {
    WORKER_ID("workerId", Kind.TEXT),
    EMAIL("email", Kind.TEXT),
    GIVEN_NAME("givenName", Kind.TEXT),
    FAMILY_NAME("familyName", Kind.TEXT),
    MANAGER_ID("managerId", Kind.TEXT),
    JOB_CODE("jobCode", Kind.TEXT),
    JOB_TITLE("jobTitle", Kind.TEXT),
    JOB_FAMILY("jobFamily", Kind.TEXT),
    LOCATION("location", Kind.TEXT),
    COST_CENTER("costCenter", Kind.TEXT),
    ORG_UNIT("orgUnit", Kind.TEXT),
    EMPLOYMENT_STATUS("employmentStatus", Kind.STATUS),
    HIRE_DATE("hireDate", Kind.DATE),
    TERMINATION_DATE("terminationDate", Kind.DATE),
    EFFECTIVE_AT("effectiveAt", Kind.INSTANT);

    /** Prefix of custom fields, e.g. {@code attributes.badgeColour}. */
    public static final String ATTRIBUTES_PREFIX = "attributes.";

    /** What a canonical value must look like; checked after every source mapping. */
    public enum Kind {
        TEXT, STATUS, DATE, INSTANT
    }

    private static final Map<String, CanonicalField> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(CanonicalField::fieldName, Function.identity()));

    private final String fieldName;
    private final Kind kind;

    CanonicalField(String fieldName, Kind kind) {
        this.fieldName = fieldName;
        this.kind = kind;
    }

    public String fieldName() {
        return fieldName;
    }

    public Kind kind() {
        return kind;
    }

    public static Optional<CanonicalField> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** True for a canonical field name or an {@code attributes.<name>} custom field. */
    public static boolean isKnown(String name) {
        return BY_NAME.containsKey(name) || isAttribute(name);
    }

    public static boolean isAttribute(String name) {
        return name.startsWith(ATTRIBUTES_PREFIX)
                && name.length() > ATTRIBUTES_PREFIX.length()
                && name.substring(ATTRIBUTES_PREFIX.length()).matches("[A-Za-z][A-Za-z0-9_]*");
    }
}
