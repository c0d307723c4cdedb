-- a hall's closed business day as compact columns (city/daycolumns.py), written by the
-- shipper with the day's records: the month report reads these instead of the rows
CREATE TABLE city.day_columns (
    hall_code text NOT NULL, day date NOT NULL,
    format smallint NOT NULL, built_at timestamptz NOT NULL DEFAULT now(),
    data bytea NOT NULL,
    PRIMARY KEY (hall_code, day));
ALTER TABLE city.day_columns ALTER COLUMN data SET STORAGE EXTERNAL;  -- numpy arrays: no compression
GRANT SELECT ON city.day_columns TO city_reader;
GRANT SELECT, INSERT, UPDATE ON city.day_columns TO city_shipper;
