package io.learnbridge.worker;

/**
 * What a canonical record means for a worker compared with the last known state
 * ({@code DESIGN.md}, change detection). The spine delivers every accepted record as an upsert;
 * change detection that tells these apart builds on it.
 */
public enum ChangeKind {
    JOIN, MOVE, UPDATE, LEAVE, NOOP
}
