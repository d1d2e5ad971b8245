"""The Nominatim geocoder against a stub server on 127.0.0.1 (never the internet).

The stub answers ``/search`` like Nominatim (``format=json``, a list of places) from a table
keyed by the structured ``street`` parameter, and records each request with the time the
server received it, so the spacing of requests is measured on the server's side.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from geo import settings
from geo.errors import InputError
from geo.places.geocoding import AddressQuery, GeocodingUnavailable, NominatimGeocoder
from tests.osm_stub import closed_port

ROOT = Path(__file__).resolve().parents[2]


def place(
    lat: float, lon: float, address: dict[str, str], box: float = 0.0001, **extra: Any
) -> dict[str, Any]:
    """One Nominatim search result (``format=json``, ``addressdetails=1``)."""
    return {
        "place_id": 1,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "lat": str(lat),
        "lon": str(lon),
        "display_name": ", ".join(address.values()),
        "address": address,
        "boundingbox": [str(lat - box), str(lat + box), str(lon - box), str(lon + box)],
        **extra,
    }


#: Answers by the structured query's ``street`` parameter (fictional places near Eisenbahnstraße).
ANSWERS: dict[str, list[dict[str, Any]]] = {
    "31 Eisenbahnstraße": [
        place(
            51.3461,
            12.3996,
            {"house_number": "31", "road": "Eisenbahnstraße", "postcode": "04315", "city": "Leipzig"},
        )
    ],
    "31a Eisenbahnstraße": [
        place(
            51.3461,
            12.3996,
            {"house_number": "31", "road": "Eisenbahnstraße", "postcode": "04315", "city": "Leipzig"},
        )
    ],
    "7 Hedwigstraße": [
        place(51.3467, 12.4031, {"road": "Hedwigstraße", "postcode": "04315", "city": "Leipzig"}, box=0.0008)
    ],
    "900 Eisenbahnstraße": [
        place(51.3455, 12.4100, {"road": "Eisenbahnstraße", "postcode": "04315", "city": "Leipzig"}, box=0.01)
    ],
    "1 Ludwisgtraße": [
        place(
            51.3470,
            12.4050,
            {"house_number": "1", "road": "Ludwigstraße", "postcode": "04315", "city": "Leipzig"},
        )
    ],
    "1 Irgendwo": [place(51.3400, 12.3800, {"road": "Ganz Andere Straße", "city": "Leipzig"})],
    "2 Stadtteil": [place(51.3400, 12.3800, {"suburb": "Volkmarsdorf", "city": "Leipzig"})],
    "5 Dresdner Straße": [
        place(51.0500, 13.7400, {"house_number": "5", "road": "Dresdner Straße", "city": "Dresden"})
    ],
}


@dataclass
class Received:
    """One request as the stub received it."""

    at: float
    path: str
    params: dict[str, str]
    user_agent: str


@dataclass
class NominatimStub:
    """A stub Nominatim server; ``status`` set to an error code answers every request with it."""

    answers: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: dict(ANSWERS))
    received: list[Received] = field(default_factory=list)
    status: int = 200
    fail_after: int | None = None
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> NominatimStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the log
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                stub.received.append(
                    Received(time.monotonic(), url.path, params, self.headers.get("User-Agent", ""))
                )
                failing = stub.fail_after is not None and len(stub.received) > stub.fail_after
                if stub.status != 200 or failing:
                    body = b"error"
                    self.send_response(503 if failing else stub.status)
                elif url.path.endswith("/search"):
                    body = json.dumps(stub.answers.get(params.get("street", ""), [])).encode("utf-8")
                    self.send_response(200)
                else:
                    body = b"not found"
                    self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def stub() -> Iterator[NominatimStub]:
    server = NominatimStub().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "nominatim.sqlite"


def q(street: str, number: str | None = None, postcode: str | None = None) -> AddressQuery:
    return AddressQuery(street, number, postcode)


def test_answers_are_judged_like_the_offline_geocoder(stub, cache):
    g = NominatimGeocoder(url=stub.url, cache_path=cache)
    exact, letter = g.geocode_many([q("Eisenbahnstraße", "31", "04315"), q("Eisenbahnstr.", "31a")])
    assert (exact.quality, exact.matched) == ("exact", "Eisenbahnstraße 31, 04315")
    assert (exact.lon, exact.lat, exact.method, exact.score) == (12.3996, 51.3461, "nominatim", 100.0)
    assert "127.0.0.1" in exact.source and "ODbL" in exact.source
    assert (letter.quality, letter.matched) == ("fuzzy_number", "Eisenbahnstraße 31, 04315")
    # the other answers of the table, judged without waiting a second for each
    judged = {
        street: g._judge(AddressQuery(street.split(" ", 1)[1], street.split(" ", 1)[0]), answer[0])
        for street, answer in ANSWERS.items()
    }
    got = {street: (r.quality, r.matched) for street, r in judged.items()}
    assert got["7 Hedwigstraße"] == ("street_only", "Hedwigstraße, 04315")
    assert got["900 Eisenbahnstraße"] == ("not_found", None)  # a road point of a street 1 km long
    assert "geraten" in judged["900 Eisenbahnstraße"].reason
    assert got["1 Ludwisgtraße"] == ("fuzzy_street", "Ludwigstraße 1, 04315")
    assert got["1 Irgendwo"] == ("not_found", None)  # another street
    assert got["2 Stadtteil"] == ("not_found", None)  # only a suburb
    assert "keine Straße" in judged["2 Stadtteil"].reason
    assert judged["7 Hedwigstraße"].uncertainty_m < settings.geocode_street_only_max_m
    unknown = g._judge(q("Unbekanntweg", "1"), None)
    assert unknown.quality == "not_found" and "kennt die Adresse" in unknown.reason
    # a server that ignores the viewbox: the point outside Leipzig is not taken
    (outside,) = g.geocode_many([q("Dresdner Straße", "5")])
    assert outside.quality == "not_found" and outside.lon is None and "außerhalb Leipzigs" in outside.reason


def test_every_geocoder_of_the_process_shares_the_spacing(stub, cache):
    NominatimGeocoder(url=stub.url, cache_path=cache).geocode(q("Eisenbahnstraße", "31"))
    NominatimGeocoder(url=stub.url, cache_path=cache).geocode(q("Hedwigstraße", "7"))
    first, second = (r.at for r in stub.received)
    assert second - first >= 1.0


def test_queries_are_structured_bounded_to_leipzig_and_name_the_project(stub, cache):
    NominatimGeocoder(url=stub.url, cache_path=cache).geocode(q("Eisenbahnstraße", "31", "4315"))
    (request,) = stub.received
    assert request.path == "/search"
    p = request.params
    assert (p["street"], p["city"], p["postalcode"]) == ("31 Eisenbahnstraße", "Leipzig", "04315")
    assert p["bounded"] == "1" and p["countrycodes"] == "de" and p["format"] == "json"
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    assert [float(v) for v in p["viewbox"].split(",")] == [lon_min, lat_min, lon_max, lat_max]
    assert request.user_agent == settings.nominatim_user_agent


def test_requests_are_at_least_a_second_apart_measured_by_the_server(stub, cache):
    g = NominatimGeocoder(url=stub.url, cache_path=cache, min_delay_s=0.1)  # below 1 s: taken as 1 s
    assert g.min_delay_s == 1.0
    g.geocode_many([q("Eisenbahnstraße", "31"), q("Hedwigstraße", "7"), q("Ludwisgtraße", "1")])
    times = [r.at for r in stub.received]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    print("gaps between requests (s):", [round(x, 3) for x in gaps])
    assert len(times) == 3
    assert min(gaps) >= 1.0  # counted from the end of the previous request, so the server sees >= 1 s


def test_a_second_run_asks_nothing(stub, cache):
    addresses = [q("Eisenbahnstraße", "31"), q("Unbekanntweg", "1"), q("Eisenbahnstraße", "31")]
    first = NominatimGeocoder(url=stub.url, cache_path=cache).geocode_many(addresses)
    assert len(stub.received) == 2  # each distinct address once; "nothing found" is an answer too
    stub.received.clear()
    again = NominatimGeocoder(url=stub.url, cache_path=cache)
    second = again.geocode_many(addresses)
    assert stub.received == [] and again.requests_sent == 0
    assert second == first


def test_the_default_cache_lives_in_the_cache_folder(stub, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    NominatimGeocoder(url=stub.url).geocode(q("Eisenbahnstraße", "31"))
    assert (tmp_path / "cache" / "geocoding" / "nominatim.sqlite").is_file()


def test_an_unreachable_server_gives_a_german_message(cache):
    g = NominatimGeocoder(url=f"http://127.0.0.1:{closed_port()}", cache_path=cache, timeout_s=2)
    with pytest.raises(GeocodingUnavailable, match="Nominatim ist nicht erreichbar.*keine Verbindung") as err:
        g.geocode(q("Eisenbahnstraße", "31"))
    assert "--geocode offline --addresses" in str(err.value) and "QM_NOMINATIM_URL" in str(err.value)


@pytest.mark.parametrize(
    ("status", "message"), [(500, "nicht erreichbar"), (429, "zu viele Anfragen"), (403, "verweigert")]
)
def test_server_errors_give_a_german_message(stub, cache, status, message):
    stub.status = status
    with pytest.raises(GeocodingUnavailable, match=message):
        NominatimGeocoder(url=stub.url, cache_path=cache).geocode(q("Eisenbahnstraße", "31"))


def test_answers_before_a_failure_stay_cached(stub, cache):
    addresses = [q("Eisenbahnstraße", "31"), q("Hedwigstraße", "7"), q("Ludwisgtraße", "1")]
    stub.fail_after = 1  # the second request gets "503 Service Unavailable"
    with pytest.raises(GeocodingUnavailable, match="überlastet.*1 bereits erhaltenen Antworten.*übrigen 2"):
        NominatimGeocoder(url=stub.url, cache_path=cache).geocode_many(addresses)
    stub.fail_after = None
    stub.received.clear()
    results = NominatimGeocoder(url=stub.url, cache_path=cache).geocode_many(addresses)
    assert [r.params["street"] for r in stub.received] == ["7 Hedwigstraße", "1 Ludwisgtraße"]
    assert [r.quality for r in results] == ["exact", "street_only", "fuzzy_street"]


def test_no_bulk_geocoding(stub, cache, monkeypatch):
    monkeypatch.setattr(settings, "nominatim_max_queries", 2)
    g = NominatimGeocoder(url=stub.url, cache_path=cache)
    many = [q("Eisenbahnstraße", str(n)) for n in range(1, 4)]
    with pytest.raises(
        InputError, match="3 Adressen wären bei Nominatim.*höchstens 2.*QM_NOMINATIM_MAX_QUERIES"
    ):
        g.geocode_many(many)
    assert stub.received == []  # refused before anything was sent
    g.geocode_many(many[:2])  # two fit; cached ones do not count against the limit
    g.geocode_many(many)
    assert len(stub.received) == 3


def test_the_url_setting_and_a_bad_url(stub, cache, monkeypatch):
    monkeypatch.setattr(settings, "nominatim_url", stub.url + "/")
    assert NominatimGeocoder(cache_path=cache).geocode(q("Eisenbahnstraße", "31")).quality == "exact"
    with pytest.raises(InputError, match="keine http\\(s\\)-Adresse"):
        NominatimGeocoder(url="ftp://example", cache_path=cache)


def test_the_command_line_prints_json_and_fails_cleanly(stub, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "QM_NOMINATIM_URL": stub.url,
        "QM_CACHE_DIR": str(tmp_path / "cache"),
        "QM_DATA_DIR": str(tmp_path / "data"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "geo", "geocode", "Eisenbahnstraße 31, 04315 Leipzig", "--nominatim"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert (data["lon"], data["lat"], data["method"], data["quality"]) == (
        12.3996,
        51.3461,
        "nominatim",
        "exact",
    )
    env["QM_NOMINATIM_URL"] = f"http://127.0.0.1:{closed_port()}"
    env["QM_CACHE_DIR"] = str(tmp_path / "other-cache")
    run = subprocess.run(
        [sys.executable, "-m", "geo", "geocode", "Eisenbahnstraße 31", "--nominatim"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.startswith("Fehler: Nominatim ist nicht erreichbar") and "Traceback" not in run.stderr
