-- shipping to the city's PostgreSQL (city/ship.py): how far this hall's event log has
-- reached the city, for `jiaohao ship --status` and `diag check`. The city's own copy of
-- the cursor (written in the same transaction as the records) is the one shipping trusts.
CREATE TABLE city_shipping (
    hall_code TEXT PRIMARY KEY,
    shipped_event_id INTEGER NOT NULL DEFAULT 0,
    shipped_at REAL,            -- the last batch the city committed
    last_error TEXT, last_error_at REAL, failures INTEGER NOT NULL DEFAULT 0);
