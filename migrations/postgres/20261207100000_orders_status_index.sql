-- ListOrders filtered by status, newest first: without an index on status
-- the store read every order to fill a page (2 s at a million orders on
-- SQLite, and as long to say that no order has a rare status; see "How
-- cost grows" in docs/PERFORMANCE.md). With it, one status is a range read
-- in page order and a status no order has costs one index probe.
CREATE INDEX orders_status_created ON orders (status, created_at, id);
