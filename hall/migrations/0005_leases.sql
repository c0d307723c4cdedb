-- kiosk number leases (hall/leases.py): blocks of reserved numbers a kiosk issues from
-- while the hall server cannot be reached, the offline tickets merged from them, and
-- each device's clock offset as the server last measured it
CREATE TABLE leases (
    id INTEGER PRIMARY KEY,
    kiosk TEXT NOT NULL, day TEXT NOT NULL, prefix TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    granted_at REAL NOT NULL,           -- hall time
    renewed_at REAL NOT NULL,           -- the kiosk last asked for its leases
    used INTEGER NOT NULL DEFAULT 0,    -- offline tickets merged from it
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'expired')),
    closed_at REAL);
CREATE INDEX leases_open ON leases (kiosk, prefix) WHERE state = 'open';
CREATE INDEX leases_day ON leases (day);
CREATE TABLE lease_tickets (            -- an offline ticket's id on its kiosk -> the merged ticket
    kiosk TEXT NOT NULL, local_id TEXT NOT NULL,
    lease_id INTEGER NOT NULL REFERENCES leases(id),
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    kiosk_time REAL NOT NULL,           -- the kiosk's clock when it printed the ticket
    offset_s REAL,                      -- the server-minus-kiosk offset it carried
    merged_at REAL NOT NULL,
    PRIMARY KEY (kiosk, local_id)) WITHOUT ROWID;
CREATE TABLE device_clocks (
    device TEXT PRIMARY KEY,
    offset_s REAL NOT NULL,             -- server time minus the device's clock
    measured_at REAL NOT NULL,          -- hall time of the measurement
    flagged INTEGER NOT NULL DEFAULT 0  -- |offset_s| > [server] max_clock_skew_s
) WITHOUT ROWID;
