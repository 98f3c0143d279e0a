-- Dead letters and replays for the notification outbox.
-- dead_at: when delivery was given up on (a permanent error, or retries
--   ran out); a dead row is never claimed until an operator replays it.
-- replayed_at: when an operator last replayed it; the delivery window
--   (alitrip.max_delivery_age_s) starts again there.
ALTER TABLE outbox ADD COLUMN dead_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN replayed_at TIMESTAMPTZ;
