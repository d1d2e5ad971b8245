"""Walks on real streets (issue 11): the saved walking network of a quarter, street names, office not entered.

Online parts talk to the stub Overpass of :mod:`tests.osm_stub` on 127.0.0.1, never the internet.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date

import numpy as np
import pypdf
import pytest

from geo import settings
from geo.cli import main
from geo.errors import InputError
from geo.osm._synthetic import write_grid_osm
from geo.places.areas import load_quarters
from geo.register.history import Register
from geo.register.store import ChangeSet, GeoPackageStore
from geo.walks import outreach
from geo.walks.network import DEMO_NETWORK_CREDIT, OSM_CREDIT, load_walk_graph
from geo.walks.quarter_network import cached_network, network_from_file, network_options
from geo.walks.tour import FIRST_STOP_NOTE, plan_walk
from tests.conftest import make_observations, make_units

pytest_plugins = ["tests.osm_stub"]  # fixtures osm_stub, osmnx_offline

OSTEN = {"quarter": "Leipziger Osten", "ortsteil": "Volkmarsdorf"}
GRUENAU = {"quarter": "Grünau", "ortsteil": "Grünau-Mitte"}
AT = date(2024, 5, 3)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def pdf_text(pdf: bytes) -> str:
    return " ".join(re.sub(r"\s+", " ", p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def grid_units(grid, prefix: str, area: dict, n: int, seed: int) -> list[dict]:
    lon0, lat0, lon1, lat1 = grid.bounds
    rng = np.random.default_rng(seed)
    return [
        {"unit_id": f"{prefix}{i}", "street": "Längsstraße", "housenumber": str(i + 1), **area,
         "lon": float(rng.uniform(lon0 + 0.002, lon1 - 0.002)), "lat": float(rng.uniform(lat0 + 0.002, lat1 - 0.002))}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def osten_grid(tmp_path_factory):
    """A synthetic OSM extract with named streets inside the Leipziger Osten."""
    return write_grid_osm(tmp_path_factory.mktemp("net") / "osten.osm", origin=(12.405, 51.345), nx=14, ny=14, seed=3)


@pytest.fixture(scope="module")
def gruenau_grid(tmp_path_factory):
    """The same in Grünau, whose office address is not entered (data/quarters.toml)."""
    return write_grid_osm(tmp_path_factory.mktemp("net") / "gruenau.osm", origin=(12.275, 51.315), nx=12, ny=12, seed=4)


# -- the network command against the stub Overpass --------------------------------------------------


def test_network_command_downloads_and_saves_the_network_with_its_osm_date(osm_stub, capsys):
    rc, out, err = run(capsys, "network", "--quarter", "Leipziger Osten")
    assert rc == 0, err
    assert "von OpenStreetMap geladen" in out
    assert "Datenstand laut Overpass: 30.06.2025 10:41 UTC" in out
    assert len(osm_stub.interpreter_requests()) == 1
    assert 'way["highway"]' in osm_stub.interpreter_requests()[0].query
    saved = cached_network("leipziger-osten")
    assert saved is not None and saved.path.parent == settings.osm_cache_folder()
    meta = json.loads(saved.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["data_date"] == "2025-06-30T10:41:00" and meta["date_source"] == "overpass"
    assert meta["source"] == f"{osm_stub.base}/api" and meta["fetched_at"]
    assert saved.credit == f"{OSM_CREDIT}, Datenstand 30.06.2025"
    graph = saved.load()
    names = {n for _, _, d in graph.edges(data=True) for n in np.atleast_1d(d.get("name", []))}
    assert {"Eisenbahnstraße", "Hermann-Liebmann-Straße"} <= names
    assert graph.graph["crs"] == settings.metric_crs


def test_second_call_reuses_the_saved_network_without_asking_online(osm_stub, capsys):
    assert run(capsys, "network", "--quarter", "Leipziger Osten")[0] == 0
    before = list(osm_stub.requests)
    osm_stub.stop()  # any request would now fail
    rc, out, err = run(capsys, "network", "--quarter", "leipziger-osten")
    assert rc == 0, err
    assert "bereits gespeichert" in out and "--refresh" in out
    assert osm_stub.requests == before  # not even the status probe


def test_refresh_while_offline_keeps_the_saved_network_and_says_so(osm_stub, capsys):
    assert run(capsys, "network", "--quarter", "Leipziger Osten")[0] == 0
    saved = cached_network("Leipziger Osten")
    content = saved.path.read_bytes()
    osm_stub.stop()
    rc, out, err = run(capsys, "network", "--quarter", "Leipziger Osten", "--refresh")
    assert rc == 2 and "Traceback" not in err
    assert err.startswith("Fehler: Das Straßennetz von Leipziger Osten wurde nicht erneuert")
    assert "nicht erreichbar" in err and "--from-file" in err
    assert saved.path.read_bytes() == content


def test_offline_without_a_saved_network_gives_one_german_message(osmnx_offline, capsys):
    rc, out, err = run(capsys, "network", "--quarter", "Grünau")
    assert rc == 2 and out == ""
    assert err.startswith("Fehler: Das Straßennetz von Grünau kann nicht geladen werden: OpenStreetMap ist nicht erreichbar")
    assert "--from-file" in err and "Traceback" not in err
    assert cached_network("Grünau") is None


def test_unknown_quarter_is_refused(osmnx_offline, capsys):
    rc, _, err = run(capsys, "network", "--quarter", "Atlantis")
    assert rc == 2 and "Unbekanntes Quartier „Atlantis“" in err


# -- from a local extract -----------------------------------------------------------------------------


def test_from_file_builds_the_network_for_offices_without_overpass(osmnx_offline, osten_grid, capsys):
    rc, out, err = run(capsys, "network", "--quarter", "Leipziger Osten", "--from-file", str(osten_grid.path))
    assert rc == 0, err
    assert f"aus {osten_grid.path.name} erstellt" in out
    saved = cached_network("Leipziger Osten")
    assert saved.source == f"Datei {osten_grid.path.name}"
    assert saved.date_source in ("file", "file_time") and saved.data_date is not None
    graph = saved.load()
    full = load_walk_graph(osten_grid.path)
    assert 0 < graph.number_of_edges() <= full.number_of_edges()
    assert any(str(d.get("name", "")).startswith("Längsstraße") for _, _, d in graph.edges(data=True))


def test_from_file_outside_the_quarter_is_refused(osmnx_offline, osten_grid):
    with pytest.raises(InputError, match="keine begehbaren Wege in Grünau"):
        network_from_file("Grünau", osten_grid.path)
    assert cached_network("Grünau") is None
    with pytest.raises(InputError, match="nicht gefunden"):
        network_from_file("Grünau", osten_grid.path.with_name("fehlt.osm"))


def test_walk_command_uses_the_saved_network_of_the_quarter(osmnx_offline, osten_grid, tmp_path, capsys):
    units = grid_units(osten_grid, "W", OSTEN, 5, seed=1)
    store = GeoPackageStore.create(tmp_path / "register.gpkg")
    obs = make_observations([(u["unit_id"], "2022-01-01", "vacant") for u in units]).drop(columns=["obs_id"])
    store.write(ChangeSet(new_units=make_units(units), observations=obs))
    out = tmp_path / "walk.json"
    args = ["walk", "--store", str(tmp_path / "register.gpkg"), "--rule", "vacant>6m", "--quarter",
            "Leipziger Osten", "--at", "2024-05-03", "--out", str(out)]  # fmt: skip
    rc, _, err = run(capsys, *args)
    assert rc == 2 and "python -m geo network --quarter Leipziger Osten" in err  # nothing saved yet
    network_from_file("Leipziger Osten", osten_grid.path)
    rc, _, err = run(capsys, *args)
    assert rc == 0, err
    assert "Hinweis: Wegenetz: OpenStreetMap-Straßennetz Leipziger Osten" in err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["stops"]) == 5
    assert any(s["streets"] for s in data["stops"])
    assert all(name.startswith(("Längsstraße", "Querstraße")) for s in data["stops"] for name in s["streets"])
    # an Ortsteil finds its quarter's network; --street narrows the stops
    args[args.index("Leipziger Osten")] = "Volkmarsdorf"
    rc, _, err = run(capsys, *args, "--street", "Längsstr.")
    assert rc == 0, err
    assert len(json.loads(out.read_text(encoding="utf-8"))["stops"]) == 5
    rc, _, err = run(capsys, *args, "--street", "Torgauer Straße")
    assert rc == 2 and "Straße „Torgauer Straße“: keine Einheit" in err


# -- street names on the walk sheet --------------------------------------------------------------------


def test_walk_sheet_names_the_streets_of_each_leg(osten_grid):
    graph = load_walk_graph(osten_grid.path)
    units = grid_units(osten_grid, "S", OSTEN, 4, seed=7)
    register = Register(make_units(units), make_observations([(u["unit_id"], "2023-01-01", "vacant") for u in units]))
    walk = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], area="Leipziger Osten",
                                  network_credit=OSM_CREDIT)
    stops = walk.plan.stops
    named = [s for s in stops["streets"] if s]
    assert named, "no leg named a street"
    assert any(" → " in s for s in named)  # a leg that turns into another street
    for text in named:
        parts = text.split(" → ")
        # a simplified edge over a corner without crossing joins two ways: "Querstraße 9 / Längsstraße 9"
        assert all(re.fullmatch(r"(Längs|Quer)straße \d+( / (Längs|Quer)straße \d+)*", p) for p in parts)
        assert all(a != b for a, b in zip(parts, parts[1:], strict=False))  # no repeats in a row
    pdf = pdf_text(walk.sheet_pdf())
    first = named[0].split(" → ")[0]
    assert "über " + first in pdf
    if walk.plan.final_leg_streets:
        assert "Zurück zum Start" in pdf and walk.plan.final_leg_streets[0] in pdf
    table = outreach.stop_table(walk.plan)
    assert list(table["Weg über"]) == list(stops["streets"])
    assert outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"]).to_json()["stops"][0]["streets"] == (
        stops["streets"].iloc[0].split(" → ") if stops["streets"].iloc[0] else []
    )


def test_a_network_without_names_gives_no_street_text(tmp_path):
    path = write_grid_osm(tmp_path / "grid.osm", nx=6, ny=6, seed=2).path
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'<tag k="name" v="[^"]*"\s*/>', "", text), encoding="utf-8")
    graph = load_walk_graph(path)
    lon0, lat0 = 12.40, 51.34
    plan = plan_walk(graph, make_units([{"unit_id": "A", "lon": lon0 + 0.001, "lat": lat0 + 0.001},
                                        {"unit_id": "B", "lon": lon0 + 0.003, "lat": lat0 + 0.002}]),
                     start=(lon0, lat0))  # fmt: skip
    assert list(plan.stops["streets"]) == ["", ""] and plan.final_leg_streets == ()


# -- office address not entered ---------------------------------------------------------------------------


def test_quarters_toml_says_explicitly_which_office_is_not_entered(tmp_path):
    quarters = load_quarters()
    assert quarters["Leipziger Osten"].office_configured is True
    assert quarters["Grünau"].office_configured is False
    assert "bitte eintragen" not in quarters["Grünau"].office_address
    base = '[quarters."X"]\nslug = "x"\nortsteile = ["A"]\n'
    bad = tmp_path / "bad.toml"
    bad.write_text(base + 'office = { name = "B", configured = "nein", lon = 12.4, lat = 51.34 }\n', encoding="utf-8")
    with pytest.raises(InputError, match="„office.configured“ muss true oder false sein"):
        load_quarters(bad)
    bad.write_text(base + 'office = { name = "B", lon = 12.4, lat = 51.34 }\n', encoding="utf-8")
    with pytest.raises(InputError, match="fehlt address"):
        load_quarters(bad)  # an entered office needs its address
    good = tmp_path / "good.toml"
    good.write_text(base + 'office = { name = "B", configured = false, lon = 12.4, lat = 51.34 }\n', encoding="utf-8")
    assert load_quarters(good)["X"].office_configured is False


@pytest.mark.parametrize("round_trip", [True, False])
def test_walk_in_a_quarter_without_office_address_starts_at_its_first_stop(gruenau_grid, round_trip):
    graph = load_walk_graph(gruenau_grid.path)
    units = grid_units(gruenau_grid, "G", GRUENAU, 5, seed=9)
    obs = [(u["unit_id"], d, "vacant") for u, d in zip(units, ["2020-01-01", "2023-01-01", "2023-02-01",
                                                               "2023-03-01", "2023-04-01"], strict=True)]
    register = Register(make_units(units), make_observations(obs))
    walk = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], area="Grünau", round_trip=round_trip)
    plan = walk.plan
    first = plan.stops.iloc[0]
    assert plan.start_note == FIRST_STOP_NOTE
    assert (plan.start.lon, plan.start.lat) == pytest.approx((first["lon"], first["lat"]))
    assert plan.start.name == f"erster Halt ({first['label']})"
    assert first["leg_m"] == pytest.approx(0.0, abs=0.01) and first["streets"] == ""  # no way to walk
    assert len(plan.stops) == 5
    if round_trip:
        assert first["unit_id"] == "G0"  # the most urgent stop: vacant since 2020
    assert plan.notes[0].startswith(FIRST_STOP_NOTE)
    pdf = pdf_text(walk.sheet_pdf())
    assert FIRST_STOP_NOTE in pdf
    assert walk.to_json()["start_note"] == FIRST_STOP_NOTE
    # an open walk begins where the shortest walk begins: never longer than starting at any given stop
    if not round_trip:
        for uid in ("G0", "G3"):
            row = plan.stops.set_index("unit_id").loc[uid]
            fixed = plan_walk(graph, make_units(units)[["unit_id", "geometry"]], start=(row["lon"], row["lat"]),
                              round_trip=False)  # fmt: skip
            assert plan.total_m <= fixed.total_m + 0.5


def test_an_entered_office_still_starts_the_walk(osten_grid):
    graph = load_walk_graph(osten_grid.path)
    units = grid_units(osten_grid, "O", OSTEN, 3, seed=5)
    register = Register(make_units(units), make_observations([(u["unit_id"], "2023-01-01", "vacant") for u in units]))
    plan = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], area="Leipziger Osten").plan
    assert plan.start_note is None and plan.start.name == "Arbeitsladen Leipziger Osten"
    assert FIRST_STOP_NOTE not in " ".join(plan.notes)


# -- what the page offers ------------------------------------------------------------------------------------


def test_network_options_put_the_saved_network_of_the_quarter_first(osmnx_offline, osten_grid, tmp_path):
    demo_net = tmp_path / "demo-walk-network.osm"
    demo_net.write_text("<osm/>", encoding="utf-8")
    keys = [o.key for o in network_options(quarter="Leipziger Osten", demo=True, demo_path=demo_net)]
    assert keys == ["demo", "file"]
    assert [o.key for o in network_options(quarter="Leipziger Osten", demo=False, demo_path=demo_net)] == ["file"]
    network_from_file("Leipziger Osten", osten_grid.path)
    options = network_options(quarter="Leipziger Osten", demo=True, demo_path=demo_net)
    assert [o.key for o in options] == ["quarter:Leipziger Osten", "demo", "file"]
    assert options[0].credit.startswith(OSM_CREDIT) and "Stand" in options[0].label
    assert options[1].credit == DEMO_NETWORK_CREDIT and "fiktives Demo-Straßennetz" in options[1].label
    # in Grünau the Osten network is offered after the demo network, never before it
    assert [o.key for o in network_options(quarter="Grünau", demo=True, demo_path=demo_net)] == [
        "demo", "quarter:Leipziger Osten", "file",
    ]  # fmt: skip


def test_network_help_is_german(capsys):
    with pytest.raises(SystemExit) as info:
        main(["network", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and out.startswith("Aufruf: python -m geo network")
    assert "--from-file" in out and "--refresh" in out and "Optionen:" in out


def test_the_fictional_demo_network_is_labelled_on_the_walk_sheet(tmp_path):
    from geo.osm._synthetic import DEMO_GENERATOR, GENERATOR
    from geo.walks.network import network_credit

    grid = write_grid_osm(tmp_path / "demo-walk-network.osm", origin=(12.405, 51.345), nx=12, ny=12, seed=1)
    path = grid.path
    path.write_text(path.read_text(encoding="utf-8").replace(GENERATOR, DEMO_GENERATOR), encoding="utf-8")
    assert network_credit(path) == DEMO_NETWORK_CREDIT
    units = grid_units(grid, "D", OSTEN, 2, seed=2)
    register = Register(make_units(units), make_observations([(u["unit_id"], "2023-01-01", "vacant") for u in units]))
    walk = outreach.plan_outreach(register, load_walk_graph(path), at=AT, rules=["vacant>6m"],
                                  start=(12.4052, 51.3452), network_credit=network_credit(path))  # fmt: skip
    text = pdf_text(walk.sheet_pdf())
    assert "fiktives Demo-Straßennetz" in text and OSM_CREDIT not in text
