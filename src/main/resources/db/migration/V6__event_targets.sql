-- LearnBridge store, version 6: deliveries to event targets (an LRS takes each change as an xAPI
-- statement, not the worker's latest state): the change kind travels with the delivery, and a
-- delivery put back after a transient failure waits until not_before. Portable between H2 2.x and
-- PostgreSQL 12+.
alter table delivery add column change_kind varchar(10);
alter table delivery add column not_before timestamp with time zone;
