-- covering indexes for hall/reports.py: a month's figures read from indexes only
CREATE INDEX tickets_report ON tickets (day, origin_service, status, cancel_reason, issued_at, first_called_at);
CREATE INDEX calls_report ON calls (day, outcome, service, window, staff, called_at, ended_at, ticket_id);
CREATE INDEX evaluations_report ON evaluations (day, window, staff, score, at, call_id);
