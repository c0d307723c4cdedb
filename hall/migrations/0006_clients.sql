-- the hall's client PCs as their heartbeats last told the server (hall/clients.py):
-- kiosks, screens and software callers, since when connected, how far behind, clock offset
CREATE TABLE clients (
    key TEXT PRIMARY KEY,               -- credential and app: "device:kiosk-1/kiosk"
    credential TEXT NOT NULL,           -- "device:kiosk-1" or "staff:0517"
    name TEXT NOT NULL, role TEXT NOT NULL, app TEXT NOT NULL,
    window INTEGER, address TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '',
    instance TEXT NOT NULL DEFAULT '', version TEXT NOT NULL DEFAULT '',
    connected_since REAL NOT NULL,      -- server wall clock (epoch s) of the first heartbeat of this run
    last_seen REAL NOT NULL,            -- server wall clock of the last heartbeat
    last_event_id INTEGER,              -- the newest event the client had then
    server_last_id INTEGER,             -- the server's newest event then
    stream TEXT NOT NULL DEFAULT '',    -- the client's event stream: connected, disconnected, polling …
    offset_s REAL, uncertainty_s REAL, offset_method TEXT,  -- client clock minus server clock
    heartbeats INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
