"""Outreach walks: stop selection, visit logging, QField round trip, follow-ups, CLI and pages."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from geo import settings
from geo.cli import walk as walk_cli
from geo.dates import local_today
from geo.errors import InputError
from geo.osm._synthetic import write_grid_osm
from geo.register.history import Register
from geo.register.model import VISIT_COLUMNS, VISIT_OUTCOME_LABELS
from geo.register.stats import status_at
from geo.register.store import ChangeSet, GeoPackageStore, normalise_visits, open_store
from geo.walks import outreach
from geo.walks.network import DEMO_NETWORK_CREDIT, OSM_CREDIT, SYNTHETIC_CREDIT, network_credit
from geo.walks.qfield import VisitImportRejected, export_qfield, import_qfield
from geo.walks.stops import RULE_CHECKS, Rule, select_stops
from geo.walks.visits import due_follow_ups, follow_up_table, log_visit, mark_follow_up_done
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

AT = date(2024, 5, 1)
TODAY = date(2024, 5, 3)
OSTEN = {"quarter": "Leipziger Osten", "ortsteil": "Volkmarsdorf"}
GRUENAU = {"quarter": "Grünau", "ortsteil": "Grünau-Mitte", "lon": 12.2930, "lat": 51.3198}
NASTY = 'Café & Bar "Zur <Ecke>"'

UNITS = [
    {"unit_id": "V1", "street": "Eisenbahnstraße", "housenumber": "1", **OSTEN},
    {"unit_id": "V2", "street": "Eisenbahnstraße", "housenumber": "2", **OSTEN},
    {"unit_id": "N1", "street": "Eisenbahnstraße", "housenumber": "3", **OSTEN},
    {"unit_id": "N2", "street": "Eisenbahnstraße", "housenumber": "4", **OSTEN},
    {"unit_id": "O1", "street": "Eisenbahnstraße", "housenumber": "5", **OSTEN,
     "owner_name": "Erika Eigentümerin", "contact_person": "Kurt Kontakt", "contact_phone": "0341 999"},
    {"unit_id": "D1", "street": "Eisenbahnstraße", "housenumber": "6", **OSTEN},
    {"unit_id": "G1", "street": "Stuttgarter Allee", "housenumber": "7", **GRUENAU},
    {"unit_id": "P1", "street": "Eisenbahnstraße", "housenumber": "8", **OSTEN},
]
OBSERVATIONS = [
    ("V1", "2023-01-10", "vacant"),
    ("V2", "2020-01-01", "occupied", "Alt"),
    ("V2", "2024-03-01", "vacant"),
    ("N1", "2022-01-01", "vacant"),
    ("N1", "2024-04-01", "occupied", NASTY),
    ("N2", "2018-01-01", "occupied", "Alt-Betrieb"),
    ("N2", "2024-03-15", "occupied", "Neu-Betrieb"),
    ("O1", "2019-01-01", "occupied", "Ost-Laden"),
    ("D1", "2021-01-01", "vacant"),
    ("D1", "2023-01-01", "demolished"),
    ("G1", "2020-02-01", "vacant"),
    ("P1", "2023-06-01", "probably_vacant"),
]
VISITS = [("N2", "2024-03-20", "spoken_tenant"), ("O1", "2023-01-05", "checked"), ("V1", "2024-02-01", "spoken_owner")]


def visit_frame(rows) -> pd.DataFrame:
    records = [
        {"visit_id": i, "unit_id": u, "visited_on": d, "outcome": o, "follow_up_done": False,
         "recorded_at": "2024-01-01T00:00:00Z"}
        for i, (u, d, o) in enumerate(rows, start=1)
    ]
    return normalise_visits(pd.DataFrame(records, columns=list(VISIT_COLUMNS)))


@pytest.fixture
def register() -> Register:
    return Register(make_units(UNITS), make_observations(OBSERVATIONS), visits=visit_frame(VISITS))


def write_store(path: Path, units: gpd.GeoDataFrame, observations: pd.DataFrame, visits=(), meta=None) -> Path:
    store = GeoPackageStore.create(path)
    store.write(ChangeSet(new_units=units, observations=observations.drop(columns=["obs_id"]), meta=meta))
    if visits:
        frame = pd.DataFrame([{"unit_id": u, "visited_on": pd.Timestamp(d), "outcome": o} for u, d, o in visits])
        store.write(ChangeSet(visits=frame))
    return path


@pytest.fixture
def store(tmp_path):
    path = write_store(tmp_path / "register.gpkg", make_units(UNITS), make_observations(OBSERVATIONS), VISITS)
    return open_store(path)


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def reasons(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["unit_id"], frame["reason"], strict=True))


# -- rules ---------------------------------------------------------------------------------------


def test_rule_parsing():
    assert Rule.parse("vacant>6m") == Rule("vacant", 6)
    assert Rule.parse(" NEW < 3 ") == Rule("new", 3)
    assert str(Rule.parse("unvisited>12m")) == "unvisited>12m"
    assert Rule("vacant", 6).label == "leer seit mehr als 6 Monaten"
    for bad in ("vacant<6m", "leer>6m", "vacant>", "unvisited>-1m"):
        with pytest.raises(InputError):
            Rule.parse(bad)


def test_vacant_rule(register):
    stops = select_stops(register, at=AT, rules=["vacant>6m"]).frame
    assert reasons(stops) == {
        "G1": "leer seit 02.2020 (50 Monate)",
        "V1": "leer seit 01.2023 (15 Monate)",
        "P1": "vermutlich leer seit 06.2023 (11 Monate)",
    }
    # longer vacancy ranks higher, a recent visit lowers (settings.walk_weight_*)
    assert list(stops["unit_id"]) == ["G1", "P1", "V1"]
    assert list(stops["priority"]) == [8.9, 4.9, 3.72]
    assert stops.loc[0, "ranking"] == "Dringlichkeit 8,9: Leerstand +2, 50 Monate leer +5,1, nie besucht +1,8"
    assert stops.loc[stops["unit_id"] == "V1", "state"].item() == "leer seit 01.2023"
    assert "D1" not in set(stops["unit_id"])  # vacant before, demolished now


def test_new_settlement_rule_skips_welcomed_units(register):
    stops = select_stops(register, at=AT, rules=["new<3m"]).frame
    assert reasons(stops) == {"N1": f"Neuansiedlung am 01.04.2024 ({NASTY}), noch nicht begrüßt"}
    assert stops["check"].item() == RULE_CHECKS["new"]
    # a visit after the settlement welcomes it
    welcomed = Register(register.units, register.observations, visits=visit_frame([*VISITS, ("N1", "2024-04-10", "spoken_tenant")]))
    assert select_stops(welcomed, at=AT, rules=["new<3m"]).frame.empty


def test_unvisited_rule(register):
    stops = select_stops(register, at=AT, rules=[Rule("unvisited", 12)]).frame
    assert reasons(stops) == {
        "G1": "noch nie besucht",
        "N1": "noch nie besucht",
        "O1": "zuletzt besucht am 05.01.2023",
        "P1": "noch nie besucht",
        "V2": "noch nie besucht",
    }
    assert stops["last_visit"].notna().sum() == 1


def test_priorities_add_up_and_picks_and_verify(register):
    verify = pd.DataFrame({"unit_id": ["V2", "XX"], "reason": ["Im Register leer, in OpenStreetMap Bäckerei", None]})
    selection = select_stops(
        register, at=AT, rules=["vacant>6m", "unvisited>12m"], picked=["O1"], verify=verify
    )
    stops = selection.frame
    assert list(stops["unit_id"]) == ["G1", "V2", "O1", "P1", "V1", "N1"]
    assert list(stops["priority"]) == [9.9, 7.0, 6.79, 5.9, 3.72, 2.8]
    assert stops.loc[2, "rules"] == "picked,unvisited"
    assert stops.loc[2, "reason"] == "ausgewählt; zuletzt besucht am 05.01.2023"
    assert stops.loc[2, "check"] == RULE_CHECKS["unvisited"]
    assert stops.loc[1, "reason"] == "Im Register leer, in OpenStreetMap Bäckerei; noch nie besucht"
    assert stops.loc[3, "reason"] == "vermutlich leer seit 06.2023 (11 Monate); noch nie besucht"
    assert stops.crs == "EPSG:4326" and (stops.geometry.geom_type == "Point").all()
    assert selection.notes == ("1 Einträge der Prüfliste ohne Einheit im Register übergangen.",)
    assert stops.attrs == {}  # the notes travel in the selection, not in DataFrame.attrs


def test_picks_never_include_demolished_units_and_unknown_ids_are_refused(register):
    selection = select_stops(register, at=AT, picked=["D1", "V2"])
    assert list(selection.frame["unit_id"]) == ["V2"]
    assert "D1" in selection.notes[0]
    with pytest.raises(InputError, match="Nicht im Register: NOPE"):
        select_stops(register, at=AT, picked=["NOPE"])


def test_area_limits_by_quarter_ortsteil_and_polygon(register):
    rules = ["vacant>6m"]
    assert set(select_stops(register, at=AT, rules=rules, area="Leipziger Osten").frame["unit_id"]) == {"V1", "P1"}
    assert set(select_stops(register, at=AT, rules=rules, area="gruenau").frame["unit_id"]) == {"G1"}
    assert set(select_stops(register, at=AT, rules=rules, area="Gruenau Mitte").frame["unit_id"]) == {"G1"}
    # V1 at 12.40, P1 at 12.4007 (make_units spaces units 1e-4 apart)
    polygon = box(12.39995, 51.3454, 12.40005, 51.3456)
    assert set(select_stops(register, at=AT, rules=rules, area=polygon).frame["unit_id"]) == {"V1"}
    geojson = {"type": "Feature", "geometry": polygon.__geo_interface__, "properties": {}}
    assert set(select_stops(register, at=AT, rules=rules, area=geojson).frame["unit_id"]) == {"V1"}
    # picks are kept outside the area
    picked = select_stops(register, at=AT, rules=rules, area=polygon, picked=["G1"]).frame
    assert set(picked["unit_id"]) == {"V1", "G1"}
    with pytest.raises(InputError, match="Atlantis"):
        select_stops(register, at=AT, rules=rules, area="Atlantis")
    with pytest.raises(InputError, match="EPSG:4326"):
        select_stops(register, at=AT, rules=rules, area=box(300000, 5600000, 301000, 5601000))


# -- logging visits --------------------------------------------------------------------------------


def test_log_visit_writes_visit_and_observation_atomically(store):
    before = store.read()
    result = log_visit(
        store, unit_id="V1", visited_on=date(2024, 5, 2), outcome="status_changed", status="occupied",
        business_name="Neue Bäckerei", note="Mietvertrag seit April", walk_id="BG-1", recorded_by="Test", today=TODAY,
    )
    after = store.read()
    assert len(after.observations) == len(before.observations) + 1
    assert len(after.visits) == len(before.visits) + 1
    visit = after.visits.iloc[-1]
    obs = after.observations.iloc[-1]
    assert visit["visit_id"] == result.visit_id and visit["obs_id"] == result.obs_id == obs["obs_id"]
    assert visit["walk_id"] == "BG-1" and visit["outcome"] == "status_changed"
    assert (obs["status"], obs["business_name"], obs["confidence"], obs["source"]) == (
        "occupied", "Neue Bäckerei", "confirmed_on_site", "Begehung",
    )
    row = status_at(after, date(2024, 5, 2)).set_index("unit_id").loc["V1"]
    assert (row["status"], row["business_name"]) == ("occupied", "Neue Bäckerei")
    assert status_at(after, date(2024, 5, 1)).set_index("unit_id").loc["V1", "status"] == "vacant"


def test_log_visit_without_change_writes_only_the_visit(store):
    n_obs = len(store.read().observations)
    result = log_visit(store, unit_id="O1", visited_on=date(2024, 5, 2), outcome="nobody_there", today=TODAY)
    assert result.obs_id is None
    # same status and business as in the register: no observation either
    same = log_visit(store, unit_id="O1", visited_on=date(2024, 5, 2), outcome="spoken_owner",
                              status="genutzt", business_name=" ost-laden ", today=TODAY)
    assert same.obs_id is None
    # a business alone makes a vacant unit occupied
    new = log_visit(store, unit_id="V2", visited_on=date(2024, 5, 2), outcome="spoken_tenant",
                             business_name="Späti", today=TODAY)
    reg = store.read()
    assert len(reg.observations) == n_obs + 1 and new.obs_id is not None
    assert status_at(reg, TODAY).set_index("unit_id").loc["V2", "status"] == "occupied"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_id": "NOPE", "outcome": "checked"}, "gibt es im Register nicht"),
        ({"unit_id": "V1", "outcome": "party"}, "Kein gültiges Ergebnis"),
        ({"unit_id": "V1", "outcome": "checked", "status": "open"}, "Kein gültiger Status"),
        ({"unit_id": "V1", "outcome": "follow_up"}, "Datum zum Nachfassen"),
        ({"unit_id": "V1", "outcome": "checked", "visited_on": date(2024, 5, 9)}, "Zukunft"),
    ],
)
def test_failing_log_leaves_the_store_unchanged(store, kwargs, message):
    before = digest(store.path)
    with pytest.raises(InputError, match=message):
        log_visit(store, **{"visited_on": date(2024, 5, 2), **kwargs}, today=TODAY)
    assert digest(store.path) == before


# -- QField round trip -------------------------------------------------------------------------------


def fill_visits(path: Path, rows: list[tuple]) -> None:
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO visits (unit_id, visited_on, outcome, status_new, business_new, follow_up_on, note)"
            " VALUES (?,?,?,?,?,?,?)",
            rows,
        )
    con.close()


def test_qfield_export_has_stops_and_an_empty_visit_table(register, tmp_path):
    stops = select_stops(register, at=AT, rules=["vacant>6m"], picked=["O1"]).frame
    path = export_qfield(stops, tmp_path / "walk.gpkg", walk_id="BG-X", at=AT)
    layers = dict(pyogrio.list_layers(path))
    assert layers["stops"] == "Point" and layers["visits"] is None and layers["info"] is None
    layer = gpd.read_file(path, layer="stops")
    assert layer.crs.to_epsg() == 4326
    assert list(layer["unit_id"]) == list(stops["unit_id"]) and list(layer["order"]) == [1, 2, 3, 4]
    assert {"address", "business", "reason", "state"} <= set(layer.columns)
    assert not {"owner_name", "contact_person", "contact_phone"} & set(layer.columns)
    info = pyogrio.read_info(path, layer="visits")
    assert dict(zip(info["fields"], info["ogr_types"], strict=True)) == {
        "unit_id": "OFTString", "visited_on": "OFTDate", "outcome": "OFTString", "status_new": "OFTString",
        "business_new": "OFTString", "follow_up_on": "OFTDate", "note": "OFTString",
    }
    assert info["features"] == 0
    con = sqlite3.connect(path)
    values = con.execute(
        "SELECT c.value FROM gpkg_data_columns d JOIN gpkg_data_column_constraints c"
        " ON c.constraint_name = d.constraint_name WHERE d.table_name = 'visits' AND d.column_name = 'outcome'"
    ).fetchall()
    con.close()
    assert {v for (v,) in values} == set(VISIT_OUTCOME_LABELS)
    internal = gpd.read_file(export_qfield(stops, tmp_path / "intern.gpkg", internal=True), layer="stops")
    assert "Erika Eigentümerin" in set(internal["owner_name"])


def test_qfield_round_trip_and_reimport_adds_nothing(store, tmp_path):
    stops = select_stops(store.read(), at=AT, rules=["vacant>6m"], picked=["O1", "N1"]).frame
    path = export_qfield(stops, tmp_path / "walk.gpkg", walk_id="BG-20240502-abc", at=AT)
    fill_visits(path, [
        ("V1", "2024-05-02", "spoken_owner", None, None, "2024-05-10", "Rückruf vereinbart"),
        ("N1", "2024-05-02", "status_changed", "vacant", None, None, None),
        ("O1", "02.05.2024", "niemand angetroffen", None, None, None, None),
    ])
    before = store.read()
    result = import_qfield(store, path, recorded_by="Test", today=TODAY)
    assert (result.rows_read, result.visits_added, result.observations_added, result.duplicates) == (3, 3, 1, 0)
    after = store.read()
    new = after.visits.iloc[len(before.visits):]
    assert list(new["unit_id"]) == ["V1", "N1", "O1"]
    assert list(new["outcome"]) == ["spoken_owner", "status_changed", "nobody_there"]
    assert set(new["walk_id"]) == {"BG-20240502-abc"}
    assert new["follow_up_on"].iloc[0] == pd.Timestamp("2024-05-10")
    assert new["obs_id"].iloc[1] == after.observations["obs_id"].iloc[-1]
    assert status_at(after, TODAY).set_index("unit_id").loc["N1", "status"] == "vacant"

    stamp = digest(store.path)
    again = import_qfield(store, path.read_bytes(), today=TODAY)
    assert (again.visits_added, again.observations_added, again.duplicates) == (0, 0, 3)
    assert digest(store.path) == stamp
    assert len(store.read().visits) == len(after.visits)


def test_bad_qfield_row_writes_nothing_and_names_row_column_value(store, tmp_path):
    stops = select_stops(store.read(), at=AT, picked=["V1"]).frame
    path = export_qfield(stops, tmp_path / "walk.gpkg")
    fill_visits(path, [
        ("V1", "2024-05-02", "checked", None, None, None, None),
        ("V1", "2024-05-02", "party", None, None, None, None),
        ("V1", "45.13.2024", "checked", None, None, None, None),
    ])
    before = digest(store.path)
    with pytest.raises(VisitImportRejected) as info:
        import_qfield(store, path, today=TODAY)
    message = str(info.value)
    assert "nichts geschrieben" in message
    assert "Zeile 2, Spalte „outcome“, Wert „party“" in message
    assert "Zeile 3, Spalte „visited_on“, Wert „45.13.2024“" in message
    assert info.value.errors[["Zeile", "Spalte", "Wert"]].values.tolist() == [
        [2, "outcome", "party"], [3, "visited_on", "45.13.2024"],
    ]
    assert digest(store.path) == before


def test_qfield_import_of_a_foreign_file_is_refused(store, tmp_path):
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(12.4, 51.3)], crs=4326).to_file(other, layer="x")
    with pytest.raises(InputError, match="Tabelle „visits“ fehlt"):
        import_qfield(store, other, today=TODAY)
    with pytest.raises(InputError, match="keine lesbare GeoPackage"):
        import_qfield(store, b"not a database at all" * 10, today=TODAY)


# -- follow-ups ------------------------------------------------------------------------------------


def test_due_follow_ups_and_marking_them_done(store):
    def log(unit, day, follow):
        return log_visit(store, unit_id=unit, visited_on=day, outcome="follow_up", follow_up_on=follow,
                                  today=date(2024, 6, 1)).visit_id

    overdue = log("V1", date(2024, 4, 10), date(2024, 4, 20))
    this_week = log("O1", date(2024, 5, 2), date(2024, 5, 10))
    log("P1", date(2024, 5, 2), date(2024, 6, 1))  # later
    due = due_follow_ups(store.read(), week_of=date(2024, 5, 8))
    assert list(due["visit_id"]) == [overdue, this_week]
    assert list(due["overdue"]) == [True, False]
    assert list(due["label"]) == ["Eisenbahnstraße 1", "Eisenbahnstraße 5"]
    assert due["state"].tolist() == ["leer seit 01.2023", "Ost-Laden"]
    table = follow_up_table(due, internal=False)
    assert "Notiz" not in table.columns and table["Fällig am"].tolist() == ["20.04.2024", "10.05.2024"]

    assert mark_follow_up_done(store, [overdue]) == 1
    assert mark_follow_up_done(store, [overdue]) == 0
    assert list(due_follow_ups(store.read(), week_of=date(2024, 5, 8))["visit_id"]) == [this_week]
    with pytest.raises(InputError, match="nicht gefunden"):
        mark_follow_up_done(store, [9999])
    with pytest.raises(InputError, match="ohne Nachfassen"):
        mark_follow_up_done(store, [1])


# -- planning on a synthetic network and the command line -----------------------------------------


@pytest.fixture(scope="module")
def grid_world(tmp_path_factory):
    """A synthetic OSM grid near the Arbeitsladen and a store whose units lie on it."""
    folder = tmp_path_factory.mktemp("walk")
    grid = write_grid_osm(folder / "grid.osm", nx=24, ny=24, spacing_m=50, seed=1)
    lon0, lat0, lon1, lat1 = grid.bounds
    rng = np.random.default_rng(5)
    rows, obs = [], []
    for i in range(10):
        rows.append({
            "unit_id": f"W-{i}", "street": "Längsstraße", "housenumber": str(i + 1), **OSTEN,
            "lon": float(rng.uniform(lon0 + 0.001, lon1 - 0.001)), "lat": float(rng.uniform(lat0 + 0.001, lat1 - 0.001)),
            "owner_name": f"Eigner {i}", "contact_person": f"Kontakt {i}",
        })
        if i % 2 == 0:
            obs.append((f"W-{i}", "2022-01-01", "vacant"))
        else:
            obs.append((f"W-{i}", "2022-01-01", "occupied", NASTY if i == 1 else f"Laden {i}"))
    path = write_store(folder / "store.gpkg", make_units(rows), make_observations(obs), meta={"demo": "true"})
    return grid, path


def walk_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo")
    walk_cli.add_cli(parser.add_subparsers(dest="command", required=True))
    return parser


def run_walk(*argv: str) -> int:
    return walk_cli.run_cli(walk_parser().parse_args(["walk", *argv]))


def test_cli_json_contract(grid_world, tmp_path, capsys):
    grid, store_path = grid_world
    out = tmp_path / "walk.json"
    rc = run_walk("--store", str(store_path), "--graph", str(grid.path), "--rule", "vacant>6m", "--stops", "W-1",
                  "--quarter", "Leipziger Osten", "--round-trip", "--at", "2024-05-03", "--out", str(out))
    assert rc == 0, capsys.readouterr().err
    data = json.loads(out.read_text(encoding="utf-8"))
    ids = [s["unit_id"] for s in data["stops"]]
    assert sorted(ids) == ["W-0", "W-1", "W-2", "W-4", "W-6", "W-8"]
    assert [s["order"] for s in data["stops"]] == list(range(1, 7))
    cumulative = [s["cumulative_m"] for s in data["stops"]]
    assert all(b > a for a, b in zip(cumulative, cumulative[1:], strict=False))
    assert data["total_m"] == pytest.approx(cumulative[-1] + data["final_leg_m"], abs=0.15)
    assert data["round_trip"] is True and data["start"]["name"] == "Arbeitsladen Leipziger Osten"
    assert data["walk_id"].startswith("BG-20240503-")
    w1 = next(s for s in data["stops"] if s["unit_id"] == "W-1")
    assert w1["reason"] == "ausgewählt"
    assert "Rundgang mit 6 Stopps" in capsys.readouterr().out


def test_cli_one_way_budget_and_other_formats(grid_world, tmp_path, capsys):
    grid, store_path = grid_world
    lon0, lat0, lon1, lat1 = grid.bounds
    end = f"{lon0 + 0.002:.5f},{lat0 + 0.002:.5f}"
    common = ["--store", str(store_path), "--graph", str(grid.path), "--rule", "vacant>6m", "--at", "2024-05-03"]
    out = tmp_path / "oneway.json"
    assert run_walk(*common, "--end", end, "--budget", "45", "--out", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["round_trip"] is False and data["end"]["name"] == "Ziel"
    assert data["dropped"] and data["total_min"] <= 45
    assert "Zeitbudget" in capsys.readouterr().err
    gpx = tmp_path / "walk.gpx"
    assert run_walk(*common, "--round-trip", "--out", str(gpx)) == 0
    assert len(ET.parse(gpx).getroot().findall("{http://www.topografix.com/GPX/1/1}wpt")) == 5
    gpkg = tmp_path / "walk.gpkg"
    assert run_walk(*common, "--round-trip", "--out", str(gpkg)) == 0
    assert {name for name, _ in pyogrio.list_layers(gpkg)} == {"stops", "visits", "info"}
    pdf = tmp_path / "walk.pdf"
    assert run_walk(*common, "--round-trip", "--out", str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stops", "NOPE"], "Nicht im Register: NOPE"),
        (["--rule", "vacant>6m", "--out-suffix", ".txt"], "Format unbekannt"),
        ([], "Keine Stopps gewählt"),
        (["--rule", "vacant>6m", "--round-trip", "--end", "12.41,51.345"], "Rundgang"),
        (["--rule", "vacant>6m", "--quarter", "Atlantis"], "Atlantis"),
    ],
)
def test_cli_bad_input_exits_2_with_one_german_message(grid_world, tmp_path, capsys, argv, message):
    grid, store_path = grid_world
    suffix = ".json"
    if "--out-suffix" in argv:
        i = argv.index("--out-suffix")
        suffix, argv = argv[i + 1], argv[:i] + argv[i + 2:]
    out = tmp_path / f"walk{suffix}"
    rc = run_walk("--store", str(store_path), "--graph", str(grid.path), *argv, "--out", str(out))
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("Fehler: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_cli_rejects_a_malformed_rule_before_running(capsys):
    with pytest.raises(SystemExit) as info:
        walk_parser().parse_args(["walk", "--graph", "g.osm", "--rule", "vacant<6m", "--out", "x.json"])
    assert info.value.code == 2
    assert "wird mit „>“ geschrieben" in capsys.readouterr().err


def test_network_credit(grid_world, tmp_path):
    grid, _ = grid_world
    assert network_credit(grid.path) == SYNTHETIC_CREDIT
    real = tmp_path / "leipzig.osm"
    real.write_text('<?xml version="1.0"?><osm version="0.6" generator="osmium/1.16"></osm>', encoding="utf-8")
    assert network_credit(real) == OSM_CREDIT


def test_route_map_is_offline_and_escaped(grid_world):
    from geo.outputs._assets import disallowed_urls
    from geo.walks.network import load_walk_graph

    grid, store_path = grid_world
    walk = outreach.plan_outreach(open_store(store_path).read(), load_walk_graph(grid.path), at="2024-05-03",
                                  picked=["W-1", "W-3"], area="Leipziger Osten")
    m = walk.route_map()
    # a layer added after the layer control breaks the map in the browser (JS error, zero-height frame)
    import folium
    from folium.map import Layer

    kinds = list(m._children.values())
    control = next(i for i, c in enumerate(kinds) if isinstance(c, folium.LayerControl))
    assert not any(isinstance(c, Layer) for c in kinds[control + 1:])
    html = m.get_root().render()
    assert not disallowed_urls(html)
    assert "&lt;Ecke&gt;" in html and "<Ecke>" not in html
    assert html.count('class=\\"qm-stop') == 2 and html.count('class=\\"qm-end') == 1
    assert outreach.stop_table(walk.plan)["Einheit"].tolist() == walk.plan.stops["unit_id"].tolist()


# -- the pages ---------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_copy(tmp_path, monkeypatch) -> Path:
    from tests.synthetic import synthetic_store

    target = tmp_path / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
    else:
        synthetic_store(target, n=120)
    monkeypatch.setenv("QM_STORE", str(target))
    monkeypatch.setenv("QM_OSM_CACHE", str(tmp_path / "osm-cache"))  # no saved real network
    monkeypatch.setattr(settings, "default_store_path", target)
    return target


def page(path: str, store: Path, **state):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    kinds = ("markdown", "caption", "title", "subheader", "info", "success", "error", "warning")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_begehung_page_on_the_demo_asks_for_a_network(demo_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "data_dir", tmp_path / "no-network")  # no demo network there
    at = page("pages/begehung.py", demo_copy)
    assert at.title[0].value == "Begehung planen"
    shown = texts(at)
    assert settings.demo_label in shown
    assert "Wegenetz" in shown and "Stopps ausgewählt" in shown
    plan_button = next(b for b in at.button if b.label == "Route planen")
    assert plan_button.disabled


def test_begehung_page_on_the_demo_plans_on_the_fictional_demo_network(demo_copy):
    demo_network = settings.data_dir / "demo-walk-network.osm"
    if not demo_network.is_file():
        pytest.skip("data/demo-walk-network.osm fehlt")
    at = page("pages/begehung.py", demo_copy)
    assert at.selectbox(key="b_network:").value == "demo"  # no real network saved: the demo's is the default
    assert DEMO_NETWORK_CREDIT in texts(at)
    next(b for b in at.button if b.label == "Route planen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    walk = at.session_state["qm_walk"]
    assert len(walk.plan.stops) > 0 and walk.network_credit == DEMO_NETWORK_CREDIT


def test_begehung_page_plans_a_walk(grid_world, tmp_path, monkeypatch):
    monkeypatch.setenv("QM_OSM_CACHE", str(tmp_path / "osm-cache"))  # no saved real network
    grid, store_path = grid_world
    monkeypatch.setattr(settings, "server_files_dir", grid.path.parent)  # the network is offered by name
    at = page("pages/begehung.py", store_path)
    at.selectbox(key="b_network:").set_value("file").run()
    at.selectbox(key="b_graph_file").set_value(grid.path.name).run()
    assert not at.exception, [e.value for e in at.exception]
    at.date_input(key="b_at").set_value(date(2024, 5, 3)).run()
    next(b for b in at.button if b.label == "Route planen").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    walk = at.session_state["qm_walk"]
    assert len(walk.plan.stops) > 0
    assert any("Rundgang mit" in s.value for s in at.success)
    labels = {b.label for b in at.get("download_button")}
    assert {"Laufzettel (PDF)", "GPX", "GeoPackage für QField", "JSON"} <= labels
    table = next(d.value for d in at.dataframe if "Nr." in d.value.columns)
    assert list(table["Einheit"]) == list(walk.plan.stops["unit_id"])


def test_besuch_page_records_a_visit_of_the_planned_walk(grid_world, tmp_path):
    from geo.walks.network import load_walk_graph

    grid, source = grid_world
    store_path = tmp_path / "besuch.gpkg"
    shutil.copyfile(source, store_path)
    walk = outreach.plan_outreach(open_store(store_path).read(), load_walk_graph(grid.path), at="2024-05-03",
                                  picked=["W-1", "W-2"], area="Leipziger Osten")
    at = page("pages/besuch.py", store_path, qm_walk=walk)
    assert at.title[0].value == "Besuche erfassen"
    first = walk.plan.stops["unit_id"].iloc[0]
    assert at.selectbox(key="v_stop").value == first
    at.radio(key="v_outcome").set_value("nobody_there")
    next(b for b in at.get("form_submit_button") if b.label == "Besuch speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    visits = open_store(store_path).read().visits
    assert list(visits["unit_id"]) == [first] and visits["walk_id"].iloc[0] == walk.walk_id
    assert at.selectbox(key="v_stop").value == walk.plan.stops["unit_id"].iloc[1]  # next stop
    assert any("gespeichert" in s.value for s in at.success)


def test_besuch_page_imports_qfield_and_closes_follow_ups(grid_world, tmp_path):
    grid, source = grid_world
    store_path = tmp_path / "besuch.gpkg"
    shutil.copyfile(source, store_path)
    stops = select_stops(open_store(store_path).read(), picked=["W-0"]).frame
    gpkg = export_qfield(stops, tmp_path / "walk.gpkg")
    today = local_today()
    fill_visits(gpkg, [("W-0", today.isoformat(), "follow_up", None, None, today.isoformat(), "anrufen")])
    at = page("pages/besuch.py", store_path)
    at.get("file_uploader")[0].set_value(("walk.gpkg", gpkg.read_bytes(), "application/geopackage+sqlite3")).run()
    next(b for b in at.button if b.label == "Übernehmen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("1 Besuche" in s.value for s in at.success)
    assert "anrufen" in texts(at)
    visit_id = int(open_store(store_path).read().visits["visit_id"].iloc[-1])
    at.button(key=f"v_done_{visit_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert bool(open_store(store_path).read().visits["follow_up_done"].iloc[-1])
    assert "Keine offenen Termine" in texts(at)


def _all_text(path: Path) -> str:
    """Every text a walk file holds: a PDF's page text, every column of every GeoPackage layer, else the file."""
    if path.suffix == ".pdf":
        from tests.walks.test_walksheet import text_of

        return " ".join(text_of(path.read_bytes()))
    if path.suffix == ".gpkg":
        layers = [gpd.read_file(path, layer=name) for name, _ in pyogrio.list_layers(path)]
        return " ".join(frame.drop(columns="geometry", errors="ignore").astype(str).to_csv() for frame in layers)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".json", ".gpx", ".gpkg", ".pdf"])
def test_cli_walk_files_hold_personal_data_only_when_asked_and_only_in_pdf_and_gpkg(grid_world, tmp_path, capsys,
                                                                                     suffix):
    grid, store_path = grid_world
    common = ["--store", str(store_path), "--graph", str(grid.path), "--rule", "vacant>6m", "--stops", "W-1,W-3",
              "--round-trip", "--at", "2024-05-03"]  # fmt: skip
    public, internal = tmp_path / f"public{suffix}", tmp_path / f"internal{suffix}"
    assert run_walk(*common, "--out", str(public)) == 0
    assert run_walk(*common, "--internal", "--out", str(internal)) == 0
    said = capsys.readouterr()
    personal = ("Eigner ", "Kontakt ")  # owner_name and contact_person of every unit in the store
    assert "W-1" in _all_text(public) and not any(p in _all_text(public) for p in personal)
    assert not any(p in said.out + said.err for p in personal)  # never on the console
    if suffix in (".pdf", ".gpkg"):
        assert "Eigner 1" in _all_text(internal) and "Kontakt 3" in _all_text(internal)
    else:  # asked for, but these formats never carry personal data: said so, not silently ignored
        assert not any(p in _all_text(internal) for p in personal)
        assert "--internal gilt nur für PDF und GeoPackage" in said.err
