-- LearnBridge store, version 9: rescinded changes. When HR rescinds an event, each target that got
-- a delivery of it gets a VOID delivery; voided_kind keeps the rescinded change's kind, from which
-- an LRS target derives the id of the statement to void. Portable between H2 2.x and PostgreSQL 12+.
alter table delivery add column voided_kind varchar(10);
