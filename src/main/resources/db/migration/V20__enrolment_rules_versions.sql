-- LearnBridge store, version 20: which enrolment rules the store has applied to every worker.
-- Portable between H2 2.x and PostgreSQL 12+.

-- A rules file the bridge was started with (or an operator applied) is one row, by the sha256 of its
-- text: APPLIED (every stored worker was brought in step with it; the newest APPLIED row is what
-- live enrolment applies), QUARANTINED (it would have unenrolled or changed more than the safety
-- gate allows: nothing of it applied until an operator approves it with its checksum) or REJECTED.
-- The text is kept so that the applied rules stay in force while a changed file waits.
create table enrolment_rules_version (
    checksum      varchar(64)   not null primary key,
    status        varchar(16)   not null,
    rules_file    varchar(1000) not null,
    rules_text    varchar       not null,
    workers       integer       not null,
    enrolments    integer       not null,
    unenrolments  integer       not null,
    reason        varchar(2000),
    seen_at       timestamp with time zone not null,
    decided_at    timestamp with time zone,
    decided_by    varchar(200)
);
create index enrolment_rules_applied on enrolment_rules_version (status, decided_at);
