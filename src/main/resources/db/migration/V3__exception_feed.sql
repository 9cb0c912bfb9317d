-- LearnBridge store, version 3: how far each exception feed (e.g. a Kafka dead-letter topic) has
-- published the exception queue. Portable between H2 2.x and PostgreSQL 12+.
create table feed_cursor (
    name     varchar(100) primary key,
    last_id  bigint       not null
);
