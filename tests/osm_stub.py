"""A stub Overpass/Nominatim server on 127.0.0.1 serving the project's own recorded responses.

Tests never reach the internet: :func:`osm_stub` starts :class:`OSMStub` in a
thread, points osmnx at it (``overpass_url``, ``nominatim_url``), turns off
osmnx's rate-limit check, moves both caches into ``tmp_path`` and restores
everything afterwards. The responses are hand-made files in
``tests/fixtures/osm/`` (fictional businesses near Eisenbahnstraße).

Routing of ``/api/interpreter`` (POST or GET, form field ``data``): a query
for ``way["highway"]`` gets ``walk.json``, one for ``building`` gets
``buildings.json``, every other one ``businesses.json``; ``stub.overpass``
replaces any of them. ``/api/status`` answers like Overpass ("2 slots
available now"), ``/search`` like Nominatim.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import osmnx as ox
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osm"

#: Data date of every recorded Overpass response (``osm3s.timestamp_osm_base``).
RECORDED_DATE = "2025-06-30T10:41:00Z"

_OX_SETTINGS = (
    "overpass_url", "nominatim_url", "overpass_rate_limit", "cache_folder", "use_cache",
    "requests_timeout", "doh_url_template", "requests_kwargs",
)  # fmt: skip


def fixture_json(name: str) -> Any:
    """A recorded response from ``tests/fixtures/osm``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Request:
    """One request the stub received."""

    method: str
    path: str
    query: str


@dataclass
class OSMStub:
    """The stub server; ``requests`` lists what it was asked, ``overpass`` its answers by kind."""

    overpass: dict[str, Any] = field(
        default_factory=lambda: {
            "businesses": fixture_json("businesses.json"),
            "buildings": fixture_json("buildings.json"),
            "walk": fixture_json("walk.json"),
        }
    )
    nominatim: Any = field(default_factory=lambda: fixture_json("nominatim-testviertel.json"))
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def interpreter_requests(self) -> list[Request]:
        """The Overpass queries received (not the status checks)."""
        return [r for r in self.requests if r.path.endswith("/interpreter")]

    def start(self) -> OSMStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the log
                pass

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                params = parse_qs(url.query)
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    params.update(parse_qs(self.rfile.read(length).decode("utf-8")))
                query = (params.get("data") or params.get("q") or [""])[0]
                stub.requests.append(Request(method, url.path, query))
                if url.path.endswith("/api/status"):
                    body = (FIXTURES / "status.txt").read_bytes()
                    self._reply(200, body, "text/plain; charset=utf-8")
                elif url.path.endswith("/api/interpreter"):
                    if 'way["highway"]' in query:
                        answer = stub.overpass["walk"]
                    elif "'building'" in query:
                        answer = stub.overpass["buildings"]
                    else:
                        answer = stub.overpass["businesses"]
                    self._reply(200, json.dumps(answer).encode("utf-8"), "application/json")
                elif url.path.endswith("/search"):
                    self._reply(200, json.dumps(stub.nominatim).encode("utf-8"), "application/json")
                else:
                    self._reply(404, b"not found", "text/plain")

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down (later requests get "connection refused")."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused, no waiting)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def osmnx_offline(tmp_path, monkeypatch) -> Iterator[Path]:
    """osmnx pointed at a closed local port, caches in ``tmp_path``; yields the cache folder."""
    saved = {name: getattr(ox.settings, name) for name in _OX_SETTINGS}
    port = closed_port()
    cache = tmp_path / "osm-cache"
    ox.settings.overpass_url = f"http://127.0.0.1:{port}/api"
    ox.settings.nominatim_url = f"http://127.0.0.1:{port}/"
    ox.settings.overpass_rate_limit = False
    ox.settings.cache_folder = str(tmp_path / "osmnx-default-cache")
    ox.settings.use_cache = True
    ox.settings.requests_timeout = 5
    ox.settings.doh_url_template = None
    ox.settings.requests_kwargs = {"proxies": {"http": None, "https": None}}
    import geo.osm._overpass

    monkeypatch.setenv("QM_OSM_CACHE", str(cache))  # geo.settings.osm_cache_folder()
    monkeypatch.setattr(geo.osm._overpass, "PROBE_TIMEOUT_S", 2.0)
    try:
        yield cache
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


@pytest.fixture
def osm_stub(osmnx_offline) -> Iterator[OSMStub]:
    """A running :class:`OSMStub` with osmnx pointed at it (see :func:`osmnx_offline`)."""
    stub = OSMStub().start()
    ox.settings.overpass_url = f"{stub.base}/api"
    ox.settings.nominatim_url = f"{stub.base}/"
    try:
        yield stub
    finally:
        stub.stop()
