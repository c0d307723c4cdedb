CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE services (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL,
    zone TEXT NOT NULL DEFAULT '', expected_minutes REAL NOT NULL);
CREATE TABLE windows (
    number INTEGER PRIMARY KEY, department TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'idle'
        CHECK (state IN ('closed', 'idle', 'serving', 'paused')),
    pause_reason TEXT, current_ticket INTEGER REFERENCES tickets(id),
    current_call INTEGER REFERENCES calls(id),
    last_ticket INTEGER REFERENCES tickets(id), staff TEXT, updated_at REAL);
CREATE TABLE counters (
    day TEXT NOT NULL, prefix TEXT NOT NULL, last_seq INTEGER NOT NULL,
    PRIMARY KEY (day, prefix)) WITHOUT ROWID;
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL, prefix TEXT NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL,
    service TEXT NOT NULL, origin_service TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('normal', 'priority', 'appointment')),
    status TEXT NOT NULL
        CHECK (status IN ('waiting', 'called', 'finished', 'skipped', 'expired', 'cancelled')),
    lane INTEGER NOT NULL,      -- 0 transferred in, 1 priority, 2 appointment, 3 normal
    sort_key REAL NOT NULL,     -- order within the lane
    target_window INTEGER,      -- transferred to a window: only that window calls it
    window INTEGER, staff TEXT,
    ahead INTEGER NOT NULL,
    issued_at REAL NOT NULL, first_called_at REAL, called_at REAL, finished_at REAL,
    calls INTEGER NOT NULL DEFAULT 0, reactivations INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    appointment TEXT, slot_at REAL, cancel_reason TEXT, kiosk TEXT,
    UNIQUE (day, prefix, seq));
CREATE INDEX tickets_waiting ON tickets (service, lane, sort_key) WHERE status = 'waiting';
CREATE INDEX tickets_waiting_target ON tickets (target_window, sort_key)
    WHERE status = 'waiting' AND target_window IS NOT NULL;
CREATE INDEX tickets_day ON tickets (day, service);
CREATE TABLE calls (
    id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    day TEXT NOT NULL, window INTEGER NOT NULL, service TEXT NOT NULL, staff TEXT,
    called_at REAL NOT NULL, ended_at REAL, recalls INTEGER NOT NULL DEFAULT 0,
    outcome TEXT CHECK (outcome IN ('finished', 'transferred', 'skipped', 'day_end')));
CREATE INDEX calls_day ON calls (day, window);
CREATE INDEX calls_ticket ON calls (ticket_id);
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    call_id INTEGER REFERENCES calls(id), day TEXT NOT NULL, window INTEGER NOT NULL,
    staff TEXT, score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5), at REAL NOT NULL);
CREATE INDEX evaluations_day ON evaluations (day);
CREATE TABLE staff_sessions (
    id INTEGER PRIMARY KEY, window INTEGER NOT NULL, staff TEXT NOT NULL,
    login_at REAL NOT NULL, logout_at REAL);
CREATE TABLE appointments (
    code TEXT PRIMARY KEY, service TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
    slot_at REAL NOT NULL, day TEXT NOT NULL, ticket_id INTEGER REFERENCES tickets(id));
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, day TEXT NOT NULL,
    kind TEXT NOT NULL, window INTEGER, ticket_id INTEGER, number TEXT, service TEXT,
    data TEXT NOT NULL DEFAULT '{}');
CREATE INDEX events_day_kind ON events (day, kind);
