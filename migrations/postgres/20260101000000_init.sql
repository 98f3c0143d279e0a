-- railgate order store, PostgreSQL. Times are TIMESTAMPTZ, except
-- departure/arrival: TIMESTAMP, the Asia/Shanghai wall clock. Money is
-- BIGINT fen. Personal data is stored raw: it has to be sent to the
-- provider again.

CREATE TABLE orders (
    id                TEXT        PRIMARY KEY,
    provider          TEXT        NOT NULL,
    provider_order_no TEXT,
    customer_order_no TEXT        NOT NULL,
    order_no_12306    TEXT,
    status            TEXT        NOT NULL,
    status_reason     TEXT,
    train_code        TEXT        NOT NULL,
    train_no          TEXT,
    from_telecode     TEXT        NOT NULL,
    from_name         TEXT        NOT NULL,
    to_telecode       TEXT        NOT NULL,
    to_name           TEXT        NOT NULL,
    departure         TIMESTAMP   NOT NULL,
    arrival           TIMESTAMP   NOT NULL,
    contact_name      TEXT,
    contact_phone     TEXT,
    total_amount_fen  BIGINT,
    ticket_amount_fen BIGINT,
    service_fee_fen   BIGINT,
    pay_deadline      TIMESTAMPTZ,
    grab_deadline     TIMESTAMPTZ,
    channel           JSONB,
    settled           BOOLEAN     NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    version           BIGINT      NOT NULL,
    last_sequence     BIGINT      NOT NULL
);
CREATE UNIQUE INDEX orders_customer_order_no ON orders (provider, customer_order_no);
CREATE UNIQUE INDEX orders_provider_order_no ON orders (provider, provider_order_no);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_unsettled ON orders (settled, updated_at);

CREATE TABLE tickets (
    id                    TEXT   PRIMARY KEY,
    order_id              TEXT   NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position              BIGINT NOT NULL,
    passenger_name        TEXT   NOT NULL,
    id_type               TEXT   NOT NULL,
    id_number             TEXT   NOT NULL,
    passenger_type        TEXT   NOT NULL,
    phone                 TEXT,
    birth_date            DATE,
    sex                   TEXT,
    country_code          TEXT,
    id_expiry_date        DATE,
    seat_class            TEXT   NOT NULL,
    berth                 TEXT,
    status                TEXT   NOT NULL,
    price_fen             BIGINT,
    coach                 TEXT,
    seat_number           TEXT,
    ticket_number         TEXT,
    provider_passenger_id TEXT,
    refund_fee_fen        BIGINT,
    refund_amount_fen     BIGINT,
    refund_failure_reason TEXT,
    UNIQUE (order_id, position)
);

CREATE TABLE change_orders (
    id                   TEXT        PRIMARY KEY,
    order_id             TEXT        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position             BIGINT      NOT NULL,
    provider_change_no   TEXT,
    status               TEXT        NOT NULL,
    ticket_ids           JSONB       NOT NULL, -- array of ticket ids
    train_code           TEXT        NOT NULL,
    from_telecode        TEXT        NOT NULL,
    from_name            TEXT        NOT NULL,
    to_telecode          TEXT        NOT NULL,
    to_name              TEXT        NOT NULL,
    departure            TIMESTAMP   NOT NULL,
    arrival              TIMESTAMP   NOT NULL,
    seat_class           TEXT        NOT NULL,
    price_difference_fen BIGINT,
    change_fee_fen       BIGINT,
    need_to_pay_fen      BIGINT,
    refund_amount_fen    BIGINT,
    confirm_deadline     TIMESTAMPTZ,
    status_reason        TEXT,
    created_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (order_id, position)
);

CREATE TABLE order_events (
    order_id    TEXT        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    sequence    BIGINT      NOT NULL,
    kind        TEXT        NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    snapshot    JSONB       NOT NULL, -- JSON: the order right after the event
    PRIMARY KEY (order_id, sequence)
);

CREATE TABLE idempotency_keys (
    idempotency_key TEXT        PRIMARY KEY NOT NULL,
    operation       TEXT        NOT NULL,
    fingerprint     BYTEA       NOT NULL,
    response        BYTEA,
    locked_until    TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ
);

CREATE TABLE callback_inbox (
    provider     TEXT        NOT NULL,
    dedupe_key   TEXT        NOT NULL,
    payload      BYTEA       NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ,
    PRIMARY KEY (provider, dedupe_key)
);

CREATE TABLE outbox (
    id              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic           TEXT        NOT NULL,
    order_id        TEXT,
    payload         BYTEA       NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    attempts        BIGINT      NOT NULL DEFAULT 0,
    last_error      TEXT,
    done_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (done_at, next_attempt_at);
