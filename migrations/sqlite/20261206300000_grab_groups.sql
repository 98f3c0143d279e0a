-- Grab orders across dates: Juhe takes one date per grab order, so a
-- Book with alternative dates places one order per date. The group is
-- named by the main date's order; rank 0 is that order, then the
-- alternative dates in the caller's order. At most one member is kept.
CREATE TABLE grab_group_members (
    group_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    PRIMARY KEY (group_id, rank)
);
CREATE UNIQUE INDEX grab_group_members_order ON grab_group_members (order_id);
