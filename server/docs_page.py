"""``/api/v1/docs``: the OpenAPI document as one plain HTML page, served by the hall
itself (FastAPI's own page loads Swagger UI from a CDN; a hall may have no internet)."""
from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2em}td,th{border:1px solid #ccc;padding:.3em .5em;
vertical-align:top;text-align:left}code{font-size:95%}.m{font-weight:bold}"""


def _ref(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_ref(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"[{_ref(schema.get('items', {}))}]"
    return schema.get("type", "")


def _fields(doc: dict, schema: dict) -> str:
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    model = doc.get("components", {}).get("schemas", {}).get(name, {})
    props = model.get("properties", {})
    required = set(model.get("required", ()))
    return ", ".join(f"<code>{escape(k)}{'' if k in required else '?'}: {escape(_ref(v))}</code>"
                     for k, v in props.items())


def render(doc: dict) -> str:
    rows = []
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            answers = ", ".join(f"{code}" for code in op.get("responses", {}))
            roles = ", ".join(op.get("x-roles", ["any credential"] if path != "/api/v1/health" else ["anonymous"]))
            rows.append(f"<tr><td class=m>{method.upper()}</td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(op.get('summary', ''))}</td><td>{escape(roles)}</td>"
                        f"<td>{_fields(doc, body) if body else ''}</td><td>{escape(answers)}</td></tr>")
    info = doc.get("info", {})
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(info.get('title', ''))}</title>"
            f"<style>{STYLE}</style><h1>{escape(info.get('title', ''))} {escape(info.get('version', ''))}</h1>"
            f"<p>{escape(info.get('description', ''))}</p><p>The machine-readable document: "
            f"<a href=openapi.json>openapi.json</a>.</p><table><tr><th>method</th><th>route</th><th>what</th>"
            f"<th>roles</th><th>body</th><th>answers</th></tr>{''.join(rows)}</table></html>")


def install(app: FastAPI, url: str) -> None:
    @app.get(url, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render(app.openapi()))
