"""Keyword arguments every FastAPI app of the hall gets (the API's and the citizens')."""
from __future__ import annotations

from fastapi import FastAPI


# FastAPI ≥ 0.160 traces every request and dependency through OpenTelemetry, and sends it
# wherever OTEL_* variables say: the hall's data (tickets, staff numbers) stays in the
# hall, and a request costs less without the spans
def no_telemetry() -> dict:
    """FastAPI's keyword arguments that turn its telemetry off (none before it had any)."""
    import inspect
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                          "auto_configure": False}}
