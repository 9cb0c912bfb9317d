-- LearnBridge store, version 8: enrolment rules applied live, and enrolment changes delivered per
-- target. Portable between H2 2.x and PostgreSQL 12+.

-- Every change to a worker's state marks the worker due for the enrolment rules, with the kind of
-- the change (JOIN, MOVE, UPDATE, LEAVE; the latest one wins while the worker waits). The applier
-- (bean enrolmentApplier) records the enrolments the change makes and clears the mark in one
-- transaction. A per-worker mark, not a global sequence cursor: transactions commit out of the
-- order in which they take sequence values (a drop's finish runs for minutes while events commit),
-- so a global cursor could move past a change that commits later and skip it for good.
alter table worker_state add column enrolment_due boolean default false not null;
alter table worker_state add column enrolment_kind varchar(10);
create index ix_worker_state_enrolment_due on worker_state (enrolment_due, worker_id);

-- The ledger of enrolment changes is also the outbox of each target: PENDING until claimed
-- (SENDING with a lease), then DELIVERED, or back to PENDING until not_before after a transient
-- failure, or FAILED with an exception-queue entry (stage enrol).
alter table enrolment_change add column change_kind varchar(10);
alter table enrolment_change add column status varchar(20) default 'PENDING' not null;
alter table enrolment_change add column attempts integer default 0 not null;
alter table enrolment_change add column lease_until timestamp with time zone;
alter table enrolment_change add column claimed_by varchar(200);
alter table enrolment_change add column not_before timestamp with time zone;
alter table enrolment_change add column updated_at timestamp with time zone;
create index ix_enrolment_change_claim on enrolment_change (target, status, id);
create index ix_enrolment_change_curriculum on enrolment_change (worker_id, target, curriculum, id);
