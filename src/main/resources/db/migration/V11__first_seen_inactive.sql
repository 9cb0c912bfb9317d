-- LearnBridge store, version 11: workers a source lists as inactive whom no target ever got.
-- Portable between H2 2.x and PostgreSQL 12+.

-- A worker first seen terminated (or on a leave that deactivates) is a NOOP with no stored state
-- (nothing is provisioned, worker_state stays as it was). Without a memory of that, every full
-- snapshot listed them as new again: 8% of a generated population, re-written with source record,
-- record and diff each day. Their state hash is kept here when such a row is applied; the next drop
-- counts a row with the same hash as unchanged, like a stored worker's (the first drop's row keeps
-- the reason for the audit trail). Change detection still sees them as never seen.
create table first_seen_inactive (
    worker_id     varchar(200) not null primary key,
    state_hash    varchar(64)  not null,
    drop_id       bigint       not null,
    seen_at       timestamp with time zone not null
);
