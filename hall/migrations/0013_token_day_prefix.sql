-- a ticket's status-page token starts with its day: 4 hex digits of days since 2000-01-01
-- (UTC), then 112 random bits (28 hex digits); still 32 lowercase hex digits, so every
-- link and QR code printed before stays valid. The unique index on tokens then takes each
-- day's new tokens at one end, in pages the queue has in memory, instead of one random
-- page of a year's index (1.8 M tokens, 80 MiB) per issued ticket: after a restart, or once
-- the OS has dropped a cold page, that page was a disk read inside the issue (docs/backup.md).
DROP TRIGGER IF EXISTS tickets_token;
CREATE TRIGGER tickets_token AFTER INSERT ON tickets WHEN NEW.token IS NULL
BEGIN
    UPDATE tickets SET token = printf('%04x', CAST(julianday('now') - 2451544.5 AS INTEGER) & 65535)
                               || lower(hex(randomblob(14)))
    WHERE id = NEW.id;
END;
