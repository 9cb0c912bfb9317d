-- LearnBridge store, version 12: a worker's record apart from the small columns that change often.
-- Portable between H2 2.x and PostgreSQL 12+.

-- worker_state keeps what is read or updated for many workers at once: the state hash and effective
-- time every drop compares (WorkerStates.known), the home source and status a full snapshot scans
-- for absent workers, the enrolment flags set and cleared for each change. The record itself (JSON,
-- most of a row's bytes) is written when the state changes and read only to detect what changed or
-- to deliver it. Apart, H2 reads and rewrites pages of small rows for those look-ups and flag
-- updates (it has no index-only scans: a look-up by key reads the whole row, record included).
create table worker_record (
    worker_id     varchar(200)  not null primary key,
    canonical     varchar       not null
);
insert into worker_record (worker_id, canonical) select worker_id, canonical from worker_state;
alter table worker_state drop column canonical;
