-- LearnBridge store, version 15: the audit trail of a settled drop in a narrow form.
-- Portable between H2 2.x and PostgreSQL 12+.

-- When a settled drop is compacted (learnbridge.drops.retention), each delivery of its changes that
-- was delivered leaves the outbox (delivery: 18 columns and 4 indexes, about 280 bytes a row on
-- PostgreSQL) for delivered_change, which keeps what the audit trail and the reconciliation report
-- read: the drop row it carried, the target, attempts, HTTP status, when it was queued and when
-- delivered (about 100 bytes). A failed delivery stays in delivery: the exception queue refers to it
-- and a replay sends it again.
create table delivered_change (
    drop_id       bigint        not null,
    line          integer       not null,
    target        varchar(100)  not null,
    attempts      integer       not null,
    http_status   integer,
    queued_at     timestamp with time zone not null,
    delivered_at  timestamp with time zone not null,
    primary key (drop_id, line, target)
);
insert into delivered_change (drop_id, line, target, attempts, http_status, queued_at, delivered_at)
select d.drop_id, d.line, d.target, d.attempts, d.http_status, d.created_at, d.updated_at
from delivery d join drop_file f on f.id = d.drop_id
where f.pruned_at is not null and d.status = 'DELIVERED';
delete from delivery where status = 'DELIVERED' and drop_id in (select id from drop_file where pruned_at is not null);

-- One index serves both look-ups of drop rows by worker: a worker's trail (by worker_id) and the
-- planner's look-ups within a drop (drop_id and worker_id), where two indexes were kept.
create index ix_drop_row_worker_drop on drop_row (worker_id, drop_id);
drop index ix_drop_row_worker;
drop index ix_drop_row_worker_only;
