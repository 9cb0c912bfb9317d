package io.learnbridge.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The RELIABILITY.md scenarios a test asserts; its outcome and measures go to the scorecard ({@link Scorecard}). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ReliabilityScenario {
    int[] value();
}
