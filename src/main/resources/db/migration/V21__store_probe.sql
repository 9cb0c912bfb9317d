-- LearnBridge store, version 21: one row the store's health check writes, so that health says DOWN
-- while the store can be read but not written (a full disk, a read-only filesystem, a database
-- that went read-only). Portable between H2 2.x and PostgreSQL 12+.
create table store_probe (
    id        integer not null primary key,
    probed_at timestamp with time zone
);
insert into store_probe (id, probed_at) values (1, null);
