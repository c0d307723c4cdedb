-- Appointments booked by citizens (phone pages) and staff (software caller), in the same
-- table as the CSV imports so both fill the same slots (docs/booking.md).
-- Personal data: name and mobile as given (the mobile is what the reminder outbox texts:
-- tickets.appointment = appointments.code); the ID number only as a keyed hash and its
-- last 4 characters.
ALTER TABLE appointments ADD COLUMN status TEXT NOT NULL DEFAULT 'booked'
    CHECK (status IN ('booked', 'checked_in', 'cancelled', 'no_show'));
ALTER TABLE appointments ADD COLUMN channel TEXT NOT NULL DEFAULT 'import';  -- import | web | staff
ALTER TABLE appointments ADD COLUMN mobile TEXT;
ALTER TABLE appointments ADD COLUMN id_hash TEXT;
ALTER TABLE appointments ADD COLUMN id_last4 TEXT;
ALTER TABLE appointments ADD COLUMN slot_end REAL;
ALTER TABLE appointments ADD COLUMN created_at REAL;
ALTER TABLE appointments ADD COLUMN created_by TEXT;
ALTER TABLE appointments ADD COLUMN ended_at REAL;  -- cancelled, checked in or marked no-show
UPDATE appointments SET status = 'checked_in' WHERE ticket_id IS NOT NULL;
CREATE INDEX appointments_slot ON appointments (service, slot_at);
CREATE INDEX appointments_open ON appointments (slot_at) WHERE status = 'booked';
-- one active booking per person per service per day, held by the database itself
CREATE UNIQUE INDEX appointments_one_per_person ON appointments (id_hash, service, day)
    WHERE id_hash IS NOT NULL AND status IN ('booked', 'checked_in');
CREATE INDEX appointments_person ON appointments (id_hash, status, slot_at) WHERE id_hash IS NOT NULL;
CREATE INDEX appointments_mobile ON appointments (mobile, created_at) WHERE mobile IS NOT NULL;

-- 爽约: a person's booking suspension, and its lifting by a manager (kept, never deleted)
CREATE TABLE booking_suspensions (
    id INTEGER PRIMARY KEY, id_hash TEXT NOT NULL, id_last4 TEXT NOT NULL DEFAULT '',
    since REAL NOT NULL, until REAL NOT NULL, no_shows TEXT NOT NULL,  -- JSON list of codes
    lifted_at REAL, lifted_by TEXT, lift_reason TEXT);
CREATE INDEX booking_suspensions_person ON booking_suspensions (id_hash, until);

-- rate limits of the booking pages and routes (per IP, per mobile number): survive restarts
CREATE TABLE booking_attempts (kind TEXT NOT NULL, subject TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX booking_attempts_subject ON booking_attempts (kind, subject, at);
