-- webhooks to deliver (hall/outbox.py): SMS/WeChat reminders, the provincial 好差评 push,
-- alarm webhooks. One row per (channel, dedupe_key): a record is queued once.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    payload TEXT NOT NULL,              -- JSON
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,              -- not before this time
    sent_at REAL,
    last_error TEXT,
    UNIQUE (channel, dedupe_key));
CREATE INDEX outbox_due ON outbox (next_at) WHERE sent_at IS NULL;
