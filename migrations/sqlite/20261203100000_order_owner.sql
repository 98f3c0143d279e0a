-- The caller that booked each order (its id in the clients file); '' for
-- orders booked without authentication, which is every order before this.
ALTER TABLE orders ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_owner_created ON orders (owner, created_at);
