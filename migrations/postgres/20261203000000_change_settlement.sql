-- Changed tickets and change money (issue 12).
-- tickets.replaced: the ticket a successful change replaced (the row's
--   other columns then describe the new ticket, the one in force).
-- change_orders: Panhe's priceChangeType, totalPriceDiff,
--   diffRefundFeeAmount, realPayAmount, payTime and chaRefundType, and
--   whether railgate applied for the change or it was made elsewhere.
ALTER TABLE tickets ADD COLUMN replaced JSONB;
ALTER TABLE change_orders ADD COLUMN price_change TEXT;
ALTER TABLE change_orders ADD COLUMN refund_due_fen BIGINT;
ALTER TABLE change_orders ADD COLUMN difference_refund_fee_fen BIGINT;
ALTER TABLE change_orders ADD COLUMN paid_amount_fen BIGINT;
ALTER TABLE change_orders ADD COLUMN paid_at TIMESTAMPTZ;
ALTER TABLE change_orders ADD COLUMN refund_kind TEXT;
ALTER TABLE change_orders ADD COLUMN origin TEXT NOT NULL DEFAULT 'railgate';
