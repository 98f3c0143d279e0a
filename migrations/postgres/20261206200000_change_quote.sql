-- A change's complete quote (issue 17): the new fare (the change's
-- tickets' prices), and Panhe's change fee rate (changRate) and cheaper
-- change's refund fee rate (diffRate), in basis points (500 = 5%).
ALTER TABLE change_orders ADD COLUMN new_fare_fen BIGINT;
ALTER TABLE change_orders ADD COLUMN change_fee_rate_bps BIGINT;
ALTER TABLE change_orders ADD COLUMN difference_refund_fee_rate_bps BIGINT;
