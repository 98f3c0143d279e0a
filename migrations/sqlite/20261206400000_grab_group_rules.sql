-- What keeps a grab group whole. A group of dates keeps one member
-- (min_issued NULL); a party split into one order per traveller needs at
-- least min_issued of them issued, or none is kept. Groups without a row
-- here are groups of dates.
CREATE TABLE grab_groups (
    group_id TEXT PRIMARY KEY,
    min_issued BIGINT
);
