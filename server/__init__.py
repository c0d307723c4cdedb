"""The hall's server: the hall API and its event stream over HTTP (FastAPI on uvicorn),
run by `jiaohao serve` when the config has a ``[server]`` section (docs/api.md).

Layers: server/ uses hall/ and config/; nothing in hall/, kiosk/, caller/ or display/
imports server/ (the apps reach it through hall.remote, over HTTP)."""
