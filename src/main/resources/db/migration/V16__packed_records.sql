-- LearnBridge store, version 16: a compacted drop row keeps its record packed on itself.
-- Portable between H2 2.x and PostgreSQL 12+ (both read BYTEA: H2 as BINARY VARYING).

-- When a settled drop is compacted (learnbridge.drops.retention), the record its audit trail keeps (a
-- joiner's canonical record, any other change's diff) moves from drop_row_record into drop_row.packed,
-- deflated with a preset dictionary of the canonical field names (PackedRecord), and the row's
-- drop_row_record goes: about 240 bytes of JSON become about 100, and the second row, its header and
-- its primary-key entry are saved. Rows the audit trail still needs whole keep drop_row_record: a
-- rejection's or conflict's source record, a change whose delivery failed (its replay reads it).
alter table drop_row add column packed bytea;
