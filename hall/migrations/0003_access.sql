-- who may use the hall API (hall/access.py) and the answers kept for safe retries
-- (hall/idempotency.py); tokens and passwords only as hashes
CREATE TABLE devices (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('kiosk', 'screen', 'caller', 'controller')),
    windows TEXT NOT NULL DEFAULT '',   -- "5,6": a caller limited to those windows
    token_hash TEXT NOT NULL UNIQUE,    -- SHA-256 hex of the token
    created_at REAL NOT NULL, revoked_at REAL, last_seen_at REAL);
CREATE UNIQUE INDEX devices_name ON devices (name) WHERE revoked_at IS NULL;
CREATE TABLE staff (
    staff TEXT PRIMARY KEY,             -- 工号
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('staff', 'manager', 'technician')),
    password_hash TEXT NOT NULL,        -- scrypt$N$r$p$salt$hash (hall/passwords.py)
    created_at REAL NOT NULL, disabled_at REAL, password_changed_at REAL);
CREATE TABLE sessions (                 -- API logins; staff_sessions are window log-ins
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff TEXT NOT NULL REFERENCES staff(staff), window INTEGER,
    created_at REAL NOT NULL, expires_at REAL NOT NULL, ended_at REAL, end_reason TEXT);
CREATE INDEX sessions_open ON sessions (staff) WHERE ended_at IS NULL;
CREATE TABLE idempotency (
    credential TEXT NOT NULL, key TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (credential, key)) WITHOUT ROWID;
CREATE INDEX idempotency_at ON idempotency (at);
