-- LearnBridge store, version 22: the instances sharing the store, each with its heartbeat. An
-- instance not seen for learnbridge.cluster.departedAfter is marked departed by the others, which
-- then take its claims (deliveries, enrolment changes, events, drops) at once instead of waiting
-- for their leases. Times are the database's clock, so the instances' clocks may differ.
-- Portable between H2 2.x and PostgreSQL 12+.
create table bridge_instance (
    instance_id  varchar(200) not null primary key,
    process      varchar(100) not null,   -- the running process's own id, to tell two processes with one instance id apart
    started_at   timestamp with time zone not null,
    seen_at      timestamp with time zone not null,
    departed_at  timestamp with time zone  -- set by another instance when seen_at grew too old; cleared by the next beat
);

-- The audit trail names the instance that sent each delivery: a compacted drop's delivered changes keep it.
alter table delivered_change add column delivered_by varchar(200);
