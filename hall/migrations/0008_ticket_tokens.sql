-- the citizen's phone (server/web/phone*.py): an unguessable token per ticket for its
-- status page /t/<token> (128 random bits, 32 lowercase hex digits; not derived from the
-- id). A trigger gives every ticket one however it was inserted (kiosk, check-in, lease
-- merge …); SQLite's randomblob() is ChaCha20 seeded from the OS (3.40+).
ALTER TABLE tickets ADD COLUMN token TEXT;
UPDATE tickets SET token = lower(hex(randomblob(16))) WHERE token IS NULL;
CREATE UNIQUE INDEX tickets_token ON tickets (token);
CREATE TRIGGER tickets_token AFTER INSERT ON tickets WHEN NEW.token IS NULL
BEGIN
    UPDATE tickets SET token = lower(hex(randomblob(16))) WHERE id = NEW.id;
END;
-- 叫号提醒: a mobile number given on the status page (or by a booking); each reminder is
-- queued in the outbox once (hall/outbox.py dedupes on its key)
CREATE TABLE ticket_reminders (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
    mobile TEXT NOT NULL,
    ahead INTEGER NOT NULL,              -- remind when this many or fewer are ahead
    created_at REAL NOT NULL,
    ahead_sent_at REAL, called_sent_at REAL);
CREATE INDEX ticket_reminders_open ON ticket_reminders (created_at) WHERE called_sent_at IS NULL;
