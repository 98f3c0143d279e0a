-- railgate order store, SQLite. Times are RFC 3339 UTC text (sqlx's
-- DateTime<Utc> encoding, microsecond precision), except departure/arrival:
-- Asia/Shanghai wall-clock text. Money is integer fen. Personal data is
-- stored raw: it has to be sent to the provider again.

CREATE TABLE orders (
    id                TEXT    PRIMARY KEY NOT NULL,
    provider          TEXT    NOT NULL,
    provider_order_no TEXT,
    customer_order_no TEXT    NOT NULL,
    order_no_12306    TEXT,
    status            TEXT    NOT NULL,
    status_reason     TEXT,
    train_code        TEXT    NOT NULL,
    train_no          TEXT,
    from_telecode     TEXT    NOT NULL,
    from_name         TEXT    NOT NULL,
    to_telecode       TEXT    NOT NULL,
    to_name           TEXT    NOT NULL,
    departure         TEXT    NOT NULL,
    arrival           TEXT    NOT NULL,
    contact_name      TEXT,
    contact_phone     TEXT,
    total_amount_fen  INTEGER,
    ticket_amount_fen INTEGER,
    service_fee_fen   INTEGER,
    pay_deadline      TEXT,
    grab_deadline     TEXT,
    channel           TEXT,
    settled           BOOLEAN NOT NULL,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    last_sequence     INTEGER NOT NULL
);
CREATE UNIQUE INDEX orders_customer_order_no ON orders (provider, customer_order_no);
CREATE UNIQUE INDEX orders_provider_order_no ON orders (provider, provider_order_no);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_unsettled ON orders (settled, updated_at);

CREATE TABLE tickets (
    id                    TEXT    PRIMARY KEY NOT NULL,
    order_id              TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position              INTEGER NOT NULL,
    passenger_name        TEXT    NOT NULL,
    id_type               TEXT    NOT NULL,
    id_number             TEXT    NOT NULL,
    passenger_type        TEXT    NOT NULL,
    phone                 TEXT,
    birth_date            TEXT,
    sex                   TEXT,
    country_code          TEXT,
    id_expiry_date        TEXT,
    seat_class            TEXT    NOT NULL,
    berth                 TEXT,
    status                TEXT    NOT NULL,
    price_fen             INTEGER,
    coach                 TEXT,
    seat_number           TEXT,
    ticket_number         TEXT,
    provider_passenger_id TEXT,
    refund_fee_fen        INTEGER,
    refund_amount_fen     INTEGER,
    refund_failure_reason TEXT,
    UNIQUE (order_id, position)
);

CREATE TABLE change_orders (
    id                   TEXT    PRIMARY KEY NOT NULL,
    order_id             TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position             INTEGER NOT NULL,
    provider_change_no   TEXT,
    status               TEXT    NOT NULL,
    ticket_ids           TEXT    NOT NULL, -- JSON array of ticket ids
    train_code           TEXT    NOT NULL,
    from_telecode        TEXT    NOT NULL,
    from_name            TEXT    NOT NULL,
    to_telecode          TEXT    NOT NULL,
    to_name              TEXT    NOT NULL,
    departure            TEXT    NOT NULL,
    arrival              TEXT    NOT NULL,
    seat_class           TEXT    NOT NULL,
    price_difference_fen INTEGER,
    change_fee_fen       INTEGER,
    need_to_pay_fen      INTEGER,
    refund_amount_fen    INTEGER,
    confirm_deadline     TEXT,
    status_reason        TEXT,
    created_at           TEXT    NOT NULL,
    UNIQUE (order_id, position)
);

CREATE TABLE order_events (
    order_id    TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    sequence    INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,
    snapshot    TEXT    NOT NULL, -- JSON: the order right after the event
    PRIMARY KEY (order_id, sequence)
);

CREATE TABLE idempotency_keys (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    operation       TEXT NOT NULL,
    fingerprint     BLOB NOT NULL,
    response        BLOB,
    locked_until    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    completed_at    TEXT
);

CREATE TABLE callback_inbox (
    provider     TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL,
    payload      BLOB NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    PRIMARY KEY (provider, dedupe_key)
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    topic           TEXT    NOT NULL,
    order_id        TEXT,
    payload         BLOB    NOT NULL,
    created_at      TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    lease_until     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    done_at         TEXT
);
CREATE INDEX outbox_due ON outbox (done_at, next_attempt_at);
