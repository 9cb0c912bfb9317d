-- LearnBridge store, version 4: change detection, the safety gate and effective dating.
-- Portable between H2 2.x and PostgreSQL 12+.

-- Each accepted row of a drop becomes a change against the worker's last known state. Status
-- after planning: PLANNED (to apply), UNCHANGED (NOOP), SUPERSEDED (older than the stored state);
-- after applying: APPLIED, or PENDING until its effective time; DISCARDED when an operator rejects
-- a quarantined drop. Workers absent from a full snapshot get a row of their own with a negative
-- line (they are not in the file) and change kind LEAVE.
alter table drop_row add column change_kind varchar(10);
alter table drop_row add column change_reason varchar(300);
alter table drop_row add column diff varchar;
alter table drop_row add column employment_status varchar(30);

-- The source that introduced a worker owns its existence: only its full snapshots infer leavers.
alter table worker_state add column employment_status varchar(30);
alter table worker_state add column home_source varchar(100);
create index ix_worker_state_home on worker_state (home_source, employment_status);

-- A drop's kind, its gate decision and the operator's decision on a quarantined drop.
alter table drop_file add column full_snapshot boolean default false not null;
alter table drop_file add column data_rows integer;
alter table drop_file add column gate_reasons varchar(4000);
alter table drop_file add column decided_by varchar(200);
alter table drop_file add column decided_at timestamp with time zone;

-- Workers' change history across channels, for the audit of a worker.
create index ix_drop_row_worker_only on drop_row (worker_id);
