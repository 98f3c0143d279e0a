-- The W3C traceparent of the call that booked each order, so the spans of
-- its later callbacks link to the Book's trace; '' for untraced orders and
-- every order before this.
ALTER TABLE orders ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
