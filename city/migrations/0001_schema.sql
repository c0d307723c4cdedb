-- The city's copy of every hall's records (city/ship.py writes, city/report.py reads).
-- Keyed by (hall_code, record id); the large tables are partitioned by business month
-- (city.ensure_month makes a month's partitions before anything is shipped into it).
-- Nothing personal: no citizen names, mobile numbers, ID numbers or their hashes, no
-- staff numbers; a ticket is a number, a service, a status and its times.
CREATE TABLE city.halls (
    hall_code text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    source_id text NOT NULL,                 -- the hall database's own id (meta hall_id)
    shipped_event_id bigint NOT NULL DEFAULT 0,  -- the hall's event log reached the city up to here
    shipped_event_at double precision,       -- that event's time: a restored hall database is noticed
    shipped_at timestamptz,
    program_version text NOT NULL DEFAULT '');

CREATE TABLE city.services (
    hall_code text NOT NULL, code text NOT NULL, name text NOT NULL, zone text NOT NULL DEFAULT '',
    PRIMARY KEY (hall_code, code));

CREATE TABLE city.windows (
    hall_code text NOT NULL, number integer NOT NULL, name text NOT NULL DEFAULT '',
    department text NOT NULL DEFAULT '',
    PRIMARY KEY (hall_code, number));

CREATE TABLE city.tickets (
    hall_code text NOT NULL, id bigint NOT NULL, day date NOT NULL, number text NOT NULL,
    service text NOT NULL, origin_service text NOT NULL, kind text NOT NULL, status text NOT NULL,
    cancel_reason text, "window" integer, target_window integer, ahead integer,
    issued_at double precision NOT NULL, first_called_at double precision,
    called_at double precision, finished_at double precision,
    calls integer NOT NULL DEFAULT 0, transfers integer NOT NULL DEFAULT 0,
    reactivations integer NOT NULL DEFAULT 0, appointment boolean NOT NULL DEFAULT false,
    slot_at double precision, kiosk text,
    PRIMARY KEY (hall_code, day, id)
) PARTITION BY RANGE (day);
CREATE INDEX tickets_report ON city.tickets (day, origin_service, status)
    INCLUDE (hall_code, cancel_reason, issued_at, first_called_at);

CREATE TABLE city.calls (
    hall_code text NOT NULL, id bigint NOT NULL, day date NOT NULL, ticket_id bigint NOT NULL,
    "window" integer NOT NULL, service text NOT NULL,
    called_at double precision NOT NULL, ended_at double precision,
    recalls integer NOT NULL DEFAULT 0, outcome text,
    PRIMARY KEY (hall_code, day, id)
) PARTITION BY RANGE (day);
CREATE INDEX calls_report ON city.calls (day, outcome)
    INCLUDE (hall_code, service, "window", called_at, ended_at, ticket_id, id);
CREATE INDEX calls_ticket ON city.calls (hall_code, day, ticket_id, id);

CREATE TABLE city.evaluations (
    hall_code text NOT NULL, id bigint NOT NULL, day date NOT NULL, ticket_id bigint NOT NULL,
    call_id bigint, "window" integer NOT NULL,
    score smallint NOT NULL CHECK (score BETWEEN 1 AND 5), at double precision NOT NULL,
    PRIMARY KEY (hall_code, day, id)
) PARTITION BY RANGE (day);
CREATE INDEX evaluations_report ON city.evaluations (day) INCLUDE (hall_code, "window", score, at, call_id);

-- refusals: the hall's "refused" events (daily cap, hours) and the kiosks' printer refusals
CREATE TABLE city.refusals (
    hall_code text NOT NULL, id bigint NOT NULL, day date NOT NULL, at double precision NOT NULL,
    kind text NOT NULL, reason text, service text, kiosk text,
    PRIMARY KEY (hall_code, day, id)
) PARTITION BY RANGE (day);

-- the hall's closed business days (its "day_closed" events): a day listed here is complete
CREATE TABLE city.days (
    hall_code text NOT NULL, day date NOT NULL, closed_at double precision NOT NULL,
    expired integer NOT NULL DEFAULT 0, unfinished integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hall_code, day));

-- window/day figures, for a city that wants them without the report command
CREATE VIEW city.window_days AS
    SELECT c.hall_code, c.day, c."window", w.department,
           count(*) FILTER (WHERE c.outcome IN ('finished', 'day_end')) AS served,
           count(*) FILTER (WHERE c.outcome = 'transferred') AS transfers,
           count(*) FILTER (WHERE c.outcome = 'skipped') AS skipped_calls,
           avg(c.ended_at - c.called_at) FILTER (WHERE c.outcome IN ('finished', 'transferred')
                                                 AND c.ended_at IS NOT NULL) AS handle_mean_s
    FROM city.calls c LEFT JOIN city.windows w ON w.hall_code = c.hall_code AND w.number = c."window"
    GROUP BY 1, 2, 3, 4;

-- the tables partitioned by month: a later migration adds its own with one INSERT
CREATE TABLE city.month_tables (tbl text PRIMARY KEY);
INSERT INTO city.month_tables VALUES ('tickets'), ('calls'), ('evaluations'), ('refusals');

-- a month's partitions of every table in city.month_tables; safe when several halls ask at once
CREATE FUNCTION city.ensure_month(d date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m date := date_trunc('month', d)::date;
    t text;
    name text;
    made integer := 0;
BEGIN
    FOR t IN SELECT tbl FROM city.month_tables ORDER BY tbl LOOP
        name := t || '_' || to_char(m, 'YYYY_MM');
        -- pg_class by a query, not to_regclass: the relation cache is not refreshed by an advisory lock
        IF NOT EXISTS (SELECT FROM pg_class WHERE relname = name AND relnamespace = 'city'::regnamespace) THEN
            PERFORM pg_advisory_xact_lock(hashtext('city.ensure_month'));
            IF NOT EXISTS (SELECT FROM pg_class WHERE relname = name AND relnamespace = 'city'::regnamespace) THEN
                BEGIN
                    EXECUTE format('CREATE TABLE city.%I PARTITION OF city.%I FOR VALUES FROM (%L) TO (%L)',
                                   name, t, m, (m + interval '1 month')::date);
                    made := made + 1;
                EXCEPTION WHEN duplicate_table THEN
                    NULL;  -- another hall made it a moment ago
                END;
            END IF;
        END IF;
    END LOOP;
    RETURN made;
END $$;

-- roles: halls ship as members of city_shipper, report users read as members of city_reader
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'city_shipper') THEN
        CREATE ROLE city_shipper NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'city_reader') THEN
        CREATE ROLE city_reader NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA city TO city_shipper, city_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA city TO city_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA city GRANT SELECT ON TABLES TO city_reader;
GRANT SELECT, INSERT, UPDATE ON city.halls, city.services, city.windows, city.tickets, city.calls,
    city.evaluations, city.refusals, city.days TO city_shipper;
GRANT SELECT ON city.migrations TO city_shipper;
REVOKE ALL ON FUNCTION city.ensure_month(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION city.ensure_month(date) TO city_shipper;
