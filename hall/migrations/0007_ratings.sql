-- 好差评 (hall/ratings.py, hall/followups.py, docs/ratings.md)
-- 办件 (cases): the 办件编号 attached to a served ticket by the business system, the
-- software caller or the API. A ticket without one is one case with a hall-local number
-- (hall.ratings.local_case_no); a ticket may carry several (one visit, several matters).
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    case_no TEXT NOT NULL UNIQUE,           -- 办件编号
    item_code TEXT NOT NULL DEFAULT '',     -- 事项编码 (empty: the service's)
    source TEXT NOT NULL CHECK (source IN ('api', 'caller')),
    by TEXT NOT NULL DEFAULT '', at REAL NOT NULL);
CREATE INDEX cases_ticket ON cases (ticket_id);
-- one evaluation per case (seq 1) and one 追加评价 (seq 2); level is the national
-- 满意度代码: 1 非常满意, 2 满意, 3 基本满意, 4 不满意, 5 非常不满意. A case with no row
-- here is 未评价: nothing is ever written for it in its place.
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    seq INTEGER NOT NULL CHECK (seq IN (1, 2)),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    channel TEXT NOT NULL,                  -- hall.ratings.CHANNELS key
    rater TEXT NOT NULL DEFAULT '',
    problems TEXT NOT NULL DEFAULT '[]',    -- JSON list of the configured problem options
    text TEXT NOT NULL DEFAULT '',          -- 文字评价
    day TEXT NOT NULL, window INTEGER, staff TEXT, service TEXT NOT NULL,
    at REAL NOT NULL, detailed_at REAL,     -- problems/text added later (tablet, phone)
    UNIQUE (ticket_id, seq));
CREATE INDEX ratings_day ON ratings (day, level);
CREATE INDEX ratings_at ON ratings (at);   -- the export selects by 评价时间
-- 差评 follow-ups (整改): one per rated ticket with a 不满意/非常不满意
CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    rating_id INTEGER NOT NULL REFERENCES ratings(id),
    state TEXT NOT NULL,
    resume_state TEXT,                      -- the state an appeal/无法整改 request interrupted
    opened_at REAL NOT NULL, day TEXT NOT NULL,
    callback_due TEXT NOT NULL,             -- YYYY-MM-DD: first contact (核实) by the end of it
    rectify_due TEXT NOT NULL,              -- YYYY-MM-DD: rectified by the end of it
    called_at REAL,                         -- when verification started (the citizen contacted)
    rectified_at REAL, closed_at REAL, extended INTEGER NOT NULL DEFAULT 0);
CREATE INDEX followups_open ON followups (state) WHERE closed_at IS NULL;
CREATE TABLE followup_steps (
    id INTEGER PRIMARY KEY,
    followup_id INTEGER NOT NULL REFERENCES followups(id),
    action TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
    by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', at REAL NOT NULL);
CREATE INDEX followup_steps_of ON followup_steps (followup_id);
-- the evaluator's scores given before this version are the cases' evaluations (channel
-- 政务大厅其他终端, level = 6 - score); they are neither pushed nor followed up now
INSERT INTO ratings (ticket_id, seq, level, channel, day, window, staff, service, at)
    SELECT e.ticket_id, 1, 6 - e.score, 'terminal', e.day, e.window, e.staff, t.origin_service, e.at
    FROM evaluations e JOIN tickets t ON t.id = e.ticket_id;
