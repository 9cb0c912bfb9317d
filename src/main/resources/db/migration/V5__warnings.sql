-- LearnBridge store, version 5: warnings on planned changes (e.g. a manager id that is not a known
-- worker): reported in the plan and the logs, never a crash. Portable between H2 2.x and PostgreSQL 12+.
alter table drop_row add column manager_id varchar(200);
alter table drop_row add column warning varchar(300);
