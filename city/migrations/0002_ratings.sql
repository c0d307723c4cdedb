-- 好差评 records of the halls (hall/ratings.py, hall/followups.py): cases, ratings,
-- 差评 follow-ups and their steps. Not shipped: the rater, the text of a rating (only
-- whether there was one), who took a follow-up step and the note (they may hold a
-- citizen's name or phone number).
ALTER TABLE city.services ADD COLUMN item_code text NOT NULL DEFAULT '';

CREATE TABLE city.cases (
    hall_code text NOT NULL, id bigint NOT NULL, ticket_id bigint NOT NULL,
    case_no text NOT NULL, item_code text NOT NULL DEFAULT '', source text NOT NULL,
    at double precision NOT NULL,
    PRIMARY KEY (hall_code, id));
CREATE INDEX cases_ticket ON city.cases (hall_code, ticket_id);

-- partitioned by the business day of the rated ticket (ticket_day), so a month's tickets
-- find their ratings (a 追加评价 may come days later) in the same month's partition
CREATE TABLE city.ratings (
    hall_code text NOT NULL, id bigint NOT NULL, ticket_day date NOT NULL, ticket_id bigint NOT NULL,
    seq smallint NOT NULL, level smallint NOT NULL CHECK (level BETWEEN 1 AND 5), channel text NOT NULL,
    problems text NOT NULL DEFAULT '[]', has_text boolean NOT NULL DEFAULT false,
    day date NOT NULL, "window" integer, service text NOT NULL,
    at double precision NOT NULL, detailed_at double precision,
    PRIMARY KEY (hall_code, ticket_day, id)
) PARTITION BY RANGE (ticket_day);
CREATE INDEX ratings_ticket ON city.ratings (hall_code, ticket_day, ticket_id, seq) INCLUDE (level);

CREATE TABLE city.followups (
    hall_code text NOT NULL, id bigint NOT NULL, ticket_id bigint NOT NULL, rating_id bigint NOT NULL,
    state text NOT NULL, resume_state text, opened_at double precision NOT NULL, day date NOT NULL,
    callback_due date NOT NULL, rectify_due date NOT NULL, called_at double precision,
    rectified_at double precision, closed_at double precision, extended integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hall_code, id));
CREATE UNIQUE INDEX followups_ticket ON city.followups (hall_code, ticket_id);

CREATE TABLE city.followup_steps (
    hall_code text NOT NULL, id bigint NOT NULL, followup_id bigint NOT NULL,
    action text NOT NULL, from_state text NOT NULL, to_state text NOT NULL, at double precision NOT NULL,
    PRIMARY KEY (hall_code, id));
CREATE INDEX followup_steps_of ON city.followup_steps (hall_code, followup_id);

INSERT INTO city.month_tables VALUES ('ratings');  -- city.ensure_month makes its partitions too
-- months made before this migration get their ratings partition
SELECT city.ensure_month(to_date(substr(c.relname, 9), 'YYYY_MM'))
    FROM pg_class c WHERE c.relnamespace = 'city'::regnamespace AND c.relname ~ '^tickets_[0-9]{4}_[0-9]{2}$';

GRANT SELECT ON city.cases, city.ratings, city.followups, city.followup_steps TO city_reader;
GRANT SELECT, INSERT, UPDATE ON city.cases, city.ratings, city.followups, city.followup_steps TO city_shipper;
