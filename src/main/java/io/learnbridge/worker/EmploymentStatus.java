package io.learnbridge.worker;

/** A worker's employment status in the canonical record. */
public enum EmploymentStatus {
    ACTIVE, LEAVE_OF_ABSENCE, TERMINATED
}
