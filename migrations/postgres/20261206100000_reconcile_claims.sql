-- Reconciler claims: an unsettled order is polled by one instance at a
-- time, once per reconcile interval; NULL until its first poll.
ALTER TABLE orders ADD COLUMN reconcile_after TIMESTAMPTZ;
