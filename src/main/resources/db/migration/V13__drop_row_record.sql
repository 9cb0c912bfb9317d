-- LearnBridge store, version 13: a drop row's JSON apart from its status.
-- Portable between H2 2.x and PostgreSQL 12+.

-- A staged row is written once with its source record, canonical record and diff (most of its
-- bytes), then its status changes: PLANNED, then APPLIED (or PENDING, SUPERSEDED, DUPLICATE,
-- CONFLICT, DISCARDED) as the drop is planned and applied, page by page. In one table every status
-- change rewrote the row with all its JSON: on H2 a new copy of each page and of each old row in
-- the transaction's undo log, read back at commit; on PostgreSQL a dead copy of the whole row until
-- vacuum. The JSON now lives in drop_row_record, written when the row is staged and only cut down
-- or deleted by the drop's retention (learnbridge.drops.retention).
create table drop_row_record (
    drop_id       bigint        not null,
    line          integer       not null,
    source_record varchar,                  -- the row as read (JSON: column -> value)
    canonical     varchar,                  -- the canonical record (JSON) when accepted
    diff          varchar,                  -- the change, field by field (JSON)
    primary key (drop_id, line)
);
insert into drop_row_record (drop_id, line, source_record, canonical, diff)
select drop_id, line, source_record, canonical, diff from drop_row
where source_record is not null or canonical is not null or diff is not null;
alter table drop_row drop column source_record;
alter table drop_row drop column canonical;
alter table drop_row drop column diff;
