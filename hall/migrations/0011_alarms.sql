-- the manager's pages (docs/manage.md): alarms raised by the alarm engine of `jiaohao serve`,
-- limits changed in the browser, and a service's issuing stopped for the day
CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                 -- wait_too_long, queue_too_long, handling_too_long, ...
    subject_type TEXT NOT NULL CHECK (subject_type IN ('hall', 'service', 'window', 'device', 'ticket')),
    subject TEXT NOT NULL,              -- service code, window number, device name, ticket id
    key TEXT NOT NULL,                  -- kind:subject (an alarm that is a state), or kind:record (an occurrence)
    day TEXT NOT NULL,
    since REAL NOT NULL,                -- when the limit was crossed
    raised_at REAL NOT NULL,            -- when the engine saw it
    cleared_at REAL,                    -- the condition is over (occurrences: never)
    value REAL, limit_value REAL,
    message TEXT NOT NULL, message_en TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    acked_at REAL, acked_by TEXT, acked_name TEXT, ack_note TEXT);
CREATE UNIQUE INDEX alarms_open ON alarms (key) WHERE cleared_at IS NULL;
CREATE INDEX alarms_day ON alarms (day);
CREATE INDEX alarms_key ON alarms (key);
CREATE TABLE limit_overrides (
    scope TEXT NOT NULL,                -- '' the hall, else a service code
    field TEXT NOT NULL,
    value TEXT,                         -- JSON; null: that limit switched off
    set_by TEXT NOT NULL, set_at REAL NOT NULL, reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scope, field)) WITHOUT ROWID;
CREATE TABLE issue_stops (
    id INTEGER PRIMARY KEY, day TEXT NOT NULL, service TEXT NOT NULL,
    reason TEXT NOT NULL, stopped_by TEXT NOT NULL, stopped_at REAL NOT NULL,
    restarted_by TEXT, restarted_at REAL);
CREATE UNIQUE INDEX issue_stops_open ON issue_stops (day, service) WHERE restarted_at IS NULL;
