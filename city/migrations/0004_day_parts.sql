-- a closed day's columns summed and split by what each report reads (city/dayparts.py,
-- format 4): the month report fetches base and vals, plus the one part its grouping needs.
-- Rows of format 3 keep their one blob in data; the report converts them as it reads them,
-- and the shipper replaces them (data set to NULL) when it ships that day again.
ALTER TABLE city.day_columns ALTER COLUMN data DROP NOT NULL,
    ADD COLUMN base bytea, ADD COLUMN vals bytea, ADD COLUMN by_service bytea,
    ADD COLUMN by_hour bytea, ADD COLUMN by_window bytea,
    ADD CONSTRAINT day_columns_parts CHECK (format = 3 AND data IS NOT NULL OR format = 4 AND base IS NOT NULL
        AND vals IS NOT NULL AND by_service IS NOT NULL AND by_hour IS NOT NULL AND by_window IS NOT NULL);
-- packed numbers: compressing them costs the report more than it saves
ALTER TABLE city.day_columns ALTER COLUMN base SET STORAGE EXTERNAL, ALTER COLUMN vals SET STORAGE EXTERNAL,
    ALTER COLUMN by_service SET STORAGE EXTERNAL, ALTER COLUMN by_hour SET STORAGE EXTERNAL,
    ALTER COLUMN by_window SET STORAGE EXTERNAL;
