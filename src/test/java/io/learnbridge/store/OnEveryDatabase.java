package io.learnbridge.store;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test once on every database the store supports (an H2 file and PostgreSQL), each time
 * on a new, empty database. The test takes a {@link Store} (opened, migrated) or a
 * {@link TestDatabase} (not opened yet) as a parameter.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(StoreDatabases.class)
public @interface OnEveryDatabase {
}
