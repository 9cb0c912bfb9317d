-- LearnBridge store, version 10: drops applied in resumable pages, and a store that keeps only what
-- matters. Portable between H2 2.x and PostgreSQL 12+.

-- A hash of each worker's state without its effective time (CanonicalRecord.stateHash): a staged
-- row with the same hash as the stored state is unchanged, found without reading or parsing the
-- stored JSON, and not written to the store at all (only counted, in drop_file.unchanged_rows).
-- Null for states written before this version: those rows go through change detection as before.
alter table worker_state add column state_hash varchar(64);
alter table drop_row add column state_hash varchar(64);

-- A row only materialised because its worker repeats later in the drop keeps no source record.
alter table drop_row alter column source_record drop not null;

-- A delivery of a drop's change keeps no copy of it: the drop row holds it (and the worker's newest
-- state is in worker_state). Only event deliveries carry their canonical record.
alter table delivery alter column canonical drop not null;

-- The drop's progress: STAGING (rows streaming in), APPLYING (planned and through the gate; pages
-- applied up to applied_line, each page in its own transaction, resumable after a crash),
-- QUARANTINED, STAGED (settled), FAILED, DISCARDED.
alter table drop_file add column unchanged_rows integer default 0 not null;
alter table drop_file add column staged_at timestamp with time zone;
alter table drop_file add column planned_at timestamp with time zone;
alter table drop_file add column applied_line integer;
alter table drop_file add column apply_lease timestamp with time zone;
-- When the drop's rows were compacted to what the audit trail needs (learnbridge.drops.retention).
alter table drop_file add column pruned_at timestamp with time zone;

-- Changes held for a future effective time, released by route release-held-changes: a small table
-- with an index on the release time, instead of a scan of every staged row.
create table held_change (
    drop_id       bigint  not null,
    line          integer not null,
    effective_at  timestamp with time zone not null,
    primary key (drop_id, line)
);
create index ix_held_change_due on held_change (effective_at, drop_id, line);
insert into held_change (drop_id, line, effective_at)
select drop_id, line, effective_at from drop_row where status = 'PENDING' and effective_at is not null;
