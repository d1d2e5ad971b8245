"""Importing lists without coordinates: new units placed by their address (``--geocode``).

Addresses come from the fictional fixture ``tests/fixtures/geocoding/addresses.osm``; the
Nominatim cases use a closed local port (never the internet).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.cli import main
from geo.places.geocoding import QUALITY_LABELS, AddressQuery, GeocodeResult, OfflineGeocoder
from geo.register.imports import plan_import
from geo.register.model import UNIT_COLUMNS
from geo.register.store import SCHEMA_VERSION, open_store
from tests.osm_stub import closed_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "geocoding"
OSM = FIXTURES / "addresses.osm"
TODAY = date(2025, 6, 30)

HEADER = "Straße;Hausnummer;PLZ;Status;Betrieb;Datum\n"

#: Every row placeable: exact, letter dropped, typo, interpolated, street only, exact.
PLACEABLE = [
    "Eisenbahnstr.;31;04315;leer;;01.05.2025",
    "Eisenbahnstraße;29a;04315;genutzt;Café Eins;01.05.2025",
    "Hedwisgtraße;9;;genutzt;Laden Zwei;01.05.2025",
    "Hedwigstraße;7;04315;leer;;01.05.2025",
    "Kurze Gasse;20;;genutzt;Werkstatt;01.05.2025",
    "Hauptstraße;5;04229;genutzt;Büro;01.05.2025",
]


def write_list(path: Path, rows: Sequence[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def empty_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in UNIT_COLUMNS}, geometry=gpd.GeoSeries([], crs=4326), crs=4326
    )


def empty_observations() -> pd.DataFrame:
    from geo.register.model import OBSERVATION_COLUMNS

    return pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})


class RecordingGeocoder:
    """A real offline geocoder that also records what it was asked (to see who is geocoded)."""

    method = "offline"

    def __init__(self) -> None:
        self.inner = OfflineGeocoder.from_files(OSM)
        self.asked: list[AddressQuery] = []

    def geocode(self, query: AddressQuery, *, area: Any = None) -> GeocodeResult:
        return self.geocode_many([query], area=area)[0]

    def geocode_many(self, queries: Sequence[AddressQuery], *, area: Any = None) -> list[GeocodeResult]:
        self.asked.extend(queries)
        return self.inner.geocode_many(queries, area=area)


def plan(path: Path, **kwargs):
    return plan_import(path, units=empty_units(), observations=empty_observations(), today=TODAY, **kwargs)


# -- without geocoding -------------------------------------------------------------------------------


def test_without_geocoding_the_error_says_how_to_turn_it_on(tmp_path):
    result = plan(write_list(tmp_path / "l.csv", PLACEABLE[:1]))
    (row,) = [i for i in result.report.errors if i.row is not None]
    assert "keine Koordinaten" in row.reason and "--geocode offline --addresses DATEI" in row.reason
    assert "--geocode nominatim" in row.reason
    (whole,) = [i for i in result.report.errors if i.row is None]
    assert "--geocode offline" in whole.reason and "noch nicht eingebaut" not in whole.reason


# -- the stage -----------------------------------------------------------------------------------------


def test_each_unit_is_asked_once_and_carries_method_and_quality(tmp_path):
    rows = [
        *PLACEABLE,
        "Eisenbahnstraße;31;04315;genutzt;Café Neu;01.06.2025",  # the first unit again, later
    ]
    geocoder = RecordingGeocoder()
    result = plan(write_list(tmp_path / "l.csv", rows), geocoder=geocoder)
    assert result.report.ok and result.accepted
    assert len(geocoder.asked) == 6  # one query per unit, not per row
    units = result.new_units.set_index("street")
    assert len(units) == 6 and units.geometry.notna().all()
    assert units["geocode_method"].eq("offline").all()
    assert units.loc["Eisenbahnstraße", "geocode_quality"].tolist() == ["exact", "fuzzy_number"]
    assert units.loc["Hedwisgtraße", "geocode_quality"] == "fuzzy_street"  # stored as the list wrote it
    assert units.loc["Hedwigstraße", "geocode_quality"] == "interpolated"
    assert units.loc["Kurze Gasse", "geocode_quality"] == "street_only"
    assert units.loc["Hauptstraße", "geocode_quality"] == "exact"
    assert len(result.observations) == 7
    note = [n for n in result.report.notes if "über die Adresse gesucht" in n]
    assert note == [
        "6 neue Einheiten ohne Koordinaten über die Adresse gesucht (Adressdatei): 2 genau verortet, "
        "4 verortet und zu prüfen, 0 nicht gefunden."
    ]


def test_everything_short_of_exact_is_a_review_item_and_a_warning(tmp_path):
    result = plan(write_list(tmp_path / "l.csv", PLACEABLE), geocoder=OfflineGeocoder.from_files(OSM))
    report = result.report
    review = {item.row: item for item in report.review}
    assert sorted(review) == [3, 4, 5, 6]  # rows 2 and 7 are exact
    assert [review[r].quality for r in (3, 4, 5, 6)] == [
        "fuzzy_number",
        "fuzzy_street",
        "interpolated",
        "street_only",
    ]
    by_id = result.new_units.set_index("unit_id")
    for item in report.review:
        assert item.unit_id in by_id.index
        assert by_id.loc[item.unit_id, "geocode_quality"] == item.quality
        point = by_id.loc[item.unit_id, "geometry"]
        assert (point.x, point.y) == pytest.approx((item.lon, item.lat))
        assert item.quality_label == QUALITY_LABELS[item.quality] and item.reason
    warnings = {i.row: i for i in report.warnings}
    assert sorted(warnings) == [3, 4, 5, 6]
    assert warnings[4].column == "Straße" and warnings[4].value == "Hedwisgtraße 9"
    assert "Bitte den Ort prüfen" in warnings[4].reason
    text = report.to_text()
    assert "Zu prüfen: 4 aus der Adresse verortete Einheiten" in text and "Kurze Gasse" in text
    frame = report.review_frame()
    assert list(frame.columns[:5]) == ["Zeile", "Einheit", "Adresse", "gefunden", "Qualität"]
    assert frame["Zeile"].tolist() == [3, 4, 5, 6]
    data = json.loads(json.dumps(report.to_dict()))
    assert [r["quality"] for r in data["review"]] == [
        "fuzzy_number",
        "fuzzy_street",
        "interpolated",
        "street_only",
    ]


def test_not_found_is_a_row_error_naming_the_address(tmp_path):
    rows = [*PLACEABLE[:1], "Hauptstraße;5;;leer;;01.05.2025", "Xyzweg;3;;leer;;01.05.2025"]
    result = plan(write_list(tmp_path / "l.csv", rows), geocoder=OfflineGeocoder.from_files(OSM))
    errors = {i.row: i for i in result.report.errors}
    assert sorted(errors) == [3, 4] and not result.accepted
    assert errors[3].value == "Hauptstraße 5" and "mehreren Orten" in errors[3].reason
    assert errors[4].value == "Xyzweg 3" and errors[4].reason.startswith(
        "Adresse nicht gefunden (Adressdatei)"
    )
    assert "lon/lat bzw. x/y ergänzen" in errors[4].reason
    assert len(result.new_units) == 0 and result.report.review == []  # reject mode: nothing planned


def test_rows_with_coordinates_or_a_stored_unit_are_not_geocoded(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(
        "Straße;Hausnummer;lon;lat;Status\n"
        "Eisenbahnstraße;31;12.4026;51.3453;leer\n"  # coordinates given
        "Torgauer Platz;2;;;leer\n"  # placed
        "Ludwigstraße;1;;;genutzt\n",  # the stored unit's address
        encoding="utf-8",
    )
    stored = empty_units()
    stored = gpd.GeoDataFrame(
        pd.concat(
            [stored, pd.DataFrame({"unit_id": ["S-1"], "street": ["Ludwigstraße"], "housenumber": ["1"]})]
        ),
        geometry=[shapely.Point(12.3962, 51.3459)],
        crs=4326,
    )
    geocoder = RecordingGeocoder()
    result = plan_import(
        path, units=stored, observations=empty_observations(), today=TODAY, geocoder=geocoder
    )
    assert [q.street for q in geocoder.asked] == ["Torgauer Platz"]
    units = result.new_units.set_index("street")
    assert pd.isna(units.loc["Eisenbahnstraße", "geocode_method"])
    assert units.loc["Torgauer Platz", "geocode_quality"] == "exact"


def test_a_point_outside_the_given_area_is_refused(tmp_path):
    area = shapely.box(12.3995, 51.3445, 12.4045, 51.3460)  # around Eisenbahnstraße 10-40
    result = plan(
        write_list(tmp_path / "l.csv", ["Eisenbahnstraße;31;;leer;;", "Hedwigstraße;9;;leer;;"]),
        geocoder=OfflineGeocoder.from_files(OSM),
        geocode_area=area,
        on_error="skip",
    )
    (error,) = result.report.errors
    assert error.row == 3 and "außerhalb des vorgegebenen Gebiets" in error.reason
    assert result.new_units["street"].tolist() == ["Eisenbahnstraße"]


# -- end to end (command line, store) ------------------------------------------------------------


def test_import_with_offline_geocoding_end_to_end(tmp_path, capsys):
    store = tmp_path / "register.gpkg"
    listing = write_list(tmp_path / "liste.csv", PLACEABLE)
    code = main(
        ["import", str(listing), "--store", str(store), "--geocode", "offline", "--addresses", str(OSM),
         "--report", str(tmp_path / "bericht.json")]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Zu prüfen: 4 aus der Adresse verortete Einheiten" in out.out
    units = open_store(store).read().units
    # every row placed; every one short of exact listed for review
    assert len(units) == 6 and units.geometry.notna().all() and not units.geometry.is_empty.any()
    assert units["geocode_method"].eq("offline").all()
    report = json.loads((tmp_path / "bericht.json").read_text(encoding="utf-8"))
    listed = {r["unit_id"]: r["quality"] for r in report["review"]}
    inexact = units[units["geocode_quality"] != "exact"].set_index("unit_id")["geocode_quality"].to_dict()
    assert listed == inexact and len(listed) == 4
    assert units["ortsteil"].notna().sum() >= 1  # areas assigned from the placed points
    from geo.places.geocoding import review_units

    assert set(review_units(units)["unit_id"]) == set(listed)


def test_failed_geocoding_leaves_the_store_byte_identical(tmp_path, capsys):
    store = tmp_path / "register.gpkg"
    args = ["--store", str(store), "--geocode", "offline", "--addresses", str(OSM)]
    assert main(["import", str(write_list(tmp_path / "a.csv", PLACEABLE[:2])), *args]) == 0
    before = digest(store)
    bad = write_list(tmp_path / "b.csv", ["Hedwigstraße;11;;leer;;01.05.2025", "Xyzweg;3;;leer;;01.05.2025"])
    capsys.readouterr()
    assert main(["import", str(bad), *args]) == 2
    err = capsys.readouterr().err
    assert "Xyzweg 3" in err and "Adresse nicht gefunden" in err and "Traceback" not in err
    assert digest(store) == before
    # a first import that fails creates no store
    fresh = tmp_path / "neu.gpkg"
    assert (
        main(["import", str(bad), "--store", str(fresh), "--geocode", "offline", "--addresses", str(OSM)])
        == 2
    )
    assert not fresh.exists()


def test_unreachable_nominatim_fails_the_import_cleanly(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "nominatim_url", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(settings, "nominatim_timeout_s", 2.0)
    store = tmp_path / "register.gpkg"
    args = ["--store", str(store), "--geocode", "offline", "--addresses", str(OSM)]
    assert main(["import", str(write_list(tmp_path / "a.csv", PLACEABLE[:1])), *args]) == 0
    before = digest(store)
    capsys.readouterr()
    listing = write_list(tmp_path / "b.csv", PLACEABLE[1:2])
    assert main(["import", str(listing), "--store", str(store), "--geocode", "nominatim"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fehler: Nominatim ist nicht erreichbar") and "Traceback" not in err
    assert digest(store) == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--geocode", "offline"], "--geocode offline braucht Adressdateien"),
        (["--addresses", str(OSM)], "--addresses gilt nur mit --geocode offline"),
        (["--geocode", "nominatim", "--addresses", str(OSM)], "nicht mit Nominatim"),
    ],
)
def test_geocoding_options_are_checked(tmp_path, capsys, extra, message):
    store = tmp_path / "register.gpkg"
    assert (
        main(["import", str(write_list(tmp_path / "a.csv", PLACEABLE[:1])), "--store", str(store), *extra])
        == 2
    )
    assert message in capsys.readouterr().err and not store.exists()


def test_the_geocode_command_prints_json(capsys):
    assert main(["geocode", "Eisenbahnstr. 31, 04315 Leipzig", "--addresses", str(OSM)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["method"], data["quality"], data["matched"]) == (
        "offline",
        "exact",
        "Eisenbahnstraße 31, 04315",
    )
    assert 12.40 < data["lon"] < 12.41 and 51.34 < data["lat"] < 51.35
    assert main(["geocode", "Hedwigstraße 7", "Xyzweg 1", "--addresses", str(OSM)]) == 0
    both = json.loads(capsys.readouterr().out)
    assert [d["quality"] for d in both] == ["interpolated", "not_found"] and both[1]["lon"] is None


# -- the store -----------------------------------------------------------------------------------------


def test_an_older_store_gets_the_geocode_columns(tmp_path):
    store = tmp_path / "register.gpkg"
    assert main(["import", str(write_list(tmp_path / "a.csv", PLACEABLE[:1])), "--store", str(store),
                 "--geocode", "offline", "--addresses", str(OSM)]) == 0  # fmt: skip
    con = sqlite3.connect(store)
    con.executescript(
        "ALTER TABLE units DROP COLUMN geocode_method; ALTER TABLE units DROP COLUMN geocode_quality;"
        "DELETE FROM qm_migrations WHERE version >= 4;"  # step 4 added the columns
        "UPDATE qm_meta SET value = '3' WHERE key = 'schema_version';"
    )
    con.close()

    def columns() -> set[str]:
        with sqlite3.connect(store) as con:
            return {r[1] for r in con.execute("PRAGMA table_info(units)")}

    assert not {"geocode_method", "geocode_quality"} & columns()
    assert open_store(store).meta()["schema_version"] == str(SCHEMA_VERSION)
    assert {"geocode_method", "geocode_quality"} <= columns()  # added by the upgrade on open
    units = open_store(store).read().units
    assert units["geocode_method"].isna().all()  # the values dropped with the columns stay empty
