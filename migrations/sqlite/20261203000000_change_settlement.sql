-- Changed tickets and change money (issue 12).
-- tickets.replaced: JSON of the ticket a successful change replaced (the
--   row's other columns then describe the new ticket, the one in force).
-- change_orders: Panhe's priceChangeType, totalPriceDiff,
--   diffRefundFeeAmount, realPayAmount, payTime and chaRefundType, and
--   whether railgate applied for the change or it was made elsewhere.
ALTER TABLE tickets ADD COLUMN replaced TEXT;
ALTER TABLE change_orders ADD COLUMN price_change TEXT;
ALTER TABLE change_orders ADD COLUMN refund_due_fen INTEGER;
ALTER TABLE change_orders ADD COLUMN difference_refund_fee_fen INTEGER;
ALTER TABLE change_orders ADD COLUMN paid_amount_fen INTEGER;
ALTER TABLE change_orders ADD COLUMN paid_at TEXT;
ALTER TABLE change_orders ADD COLUMN refund_kind TEXT;
ALTER TABLE change_orders ADD COLUMN origin TEXT NOT NULL DEFAULT 'railgate';
