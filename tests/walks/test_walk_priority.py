"""Walk planning journeys (issue 13): which stops come first, why each is in or out, area from *Karte*, street filter.

The pages are driven headless with Streamlit's AppTest; online parts use the stub Overpass of
:mod:`tests.osm_stub`.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.dates import local_today
from geo.errors import InputError
from geo.osm._synthetic import write_grid_osm
from geo.register.history import Register
from geo.register.model import VISIT_COLUMNS
from geo.register.stats import status_at
from geo.register.store import normalise_visits, open_store
from geo.walks import outreach
from geo.walks.network import DEMO_NETWORK_CREDIT, load_walk_graph
from geo.walks.plan import WalkPoint
from geo.walks.quarter_network import cached_network, network_from_file
from geo.walks.stops import select_stops
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

pytest_plugins = ["tests.osm_stub"]  # fixtures osm_stub, osmnx_offline

ROOT = Path(__file__).resolve().parents[2]
AT = date(2024, 5, 3)
OSTEN = {"quarter": "Leipziger Osten", "ortsteil": "Volkmarsdorf"}
START = WalkPoint("Start", 12.4005, 51.3405)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    # 20 x 20 crossings, 50 m apart, from (12.40, 51.34): about 1 km each way
    return write_grid_osm(tmp_path_factory.mktemp("prio") / "grid.osm", nx=20, ny=20, seed=8, drop_edges=0.0)


def visits(rows) -> pd.DataFrame:
    records = [
        {"visit_id": i, "unit_id": u, "visited_on": d, "outcome": "checked", "follow_up_on": f,
         "follow_up_done": done, "recorded_at": "2024-01-01T00:00:00Z"}
        for i, (u, d, f, done) in enumerate(rows, start=1)
    ]  # fmt: skip
    return normalise_visits(pd.DataFrame(records, columns=list(VISIT_COLUMNS)))


def budget_register() -> Register:
    """Five units empty for 7-9 months next to the start, one empty for 27 months at the far corner."""
    near = [
        {"unit_id": f"N{i}", "street": "Längsstraße", "housenumber": str(i + 1), **OSTEN,
         "lon": 12.4010 + 0.0007 * i, "lat": 51.3410}
        for i in range(5)
    ]  # fmt: skip
    far = {"unit_id": "LANG", "street": "Querstraße", "housenumber": "27", **OSTEN, "lon": 12.4120, "lat": 51.3470}
    days = ["2023-08-01", "2023-08-12", "2023-08-23", "2023-09-03", "2023-09-14"]  # no two equally urgent
    obs = [(f"N{i}", day, "vacant") for i, day in enumerate(days)] + [("LANG", "2022-01-20", "vacant")]
    return Register(make_units([*near, far]), make_observations(obs))


def pdf_text(pdf: bytes) -> str:
    return " ".join(re.sub(r"\s+", " ", p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


# -- priority under a time budget ---------------------------------------------------------------------


def test_the_longest_vacant_unit_is_kept_under_a_tight_budget(grid):
    graph = load_walk_graph(grid.path)
    register = budget_register()
    full = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], start=START)
    assert not full.plan.dropped and len(full.plan.stops) == 6
    budget = 0.7 * full.plan.total_min
    walk = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], start=START, time_budget_min=budget)
    plan = walk.plan
    kept = set(plan.stops["unit_id"])
    assert "LANG" in kept  # empty for 27 months: the most urgent stop, although the farthest
    assert plan.dropped and plan.total_min <= budget
    lang = plan.stops.set_index("unit_id").loc["LANG"]
    assert lang["ranking"].startswith("Dringlichkeit 6,5: Leerstand +2, 27 Monate leer +2,7")
    assert lang["decision"].startswith("eingeplant: Dringlichkeit 6,5 höher als die aller weggelassenen")
    for d in plan.dropped:
        assert d.unit_id.startswith("N") and d.label.startswith("Längsstraße ")
        assert "Passt nicht ins Zeitbudget" in d.reason and "niedriger als die aller eingeplanten" in d.reason
        assert d.ranking.startswith("Dringlichkeit ") and "Monate leer" in d.ranking
    # "Nicht eingeplant" names addresses: table, notes, sheet and JSON
    table = outreach.dropped_table(plan)
    assert list(table["Adresse"]) == [d.label for d in plan.dropped]
    assert list(table.columns) == ["Adresse", "Einheit", "Dringlichkeit", "Nicht eingeplant, weil"]
    assert all(d.label in plan.notes[-1] for d in plan.dropped)
    sheet = pdf_text(walk.sheet_pdf())
    assert "Nicht eingeplant" in sheet and f"{plan.dropped[0].label} ({plan.dropped[0].unit_id})" in sheet
    assert walk.to_json()["dropped"][0]["label"] == plan.dropped[0].label
    assert set(outreach.stop_table(plan)["Eingeplant, weil"].str.startswith("eingeplant"))  == {True}


def test_the_weights_are_settings_read_when_planning(grid, monkeypatch):
    graph = load_walk_graph(grid.path)
    register = budget_register()
    monkeypatch.setattr(settings, "walk_weight_vacant_month", 0.0)  # every vacancy weighs the same again
    full = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], start=START).plan
    plan = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], start=START,
                                  time_budget_min=0.7 * full.total_min).plan
    assert "LANG" in {d.unit_id for d in plan.dropped}  # the old outcome: the farthest of equals goes first
    monkeypatch.setattr(settings, "walk_rule_weights", {**settings.walk_rule_weights, "vacant": 7.5})
    assert set(select_stops(register, at=AT, rules=["vacant>6m"]).frame["priority"]) == {9.3}


def test_follow_ups_due_and_time_since_the_last_visit_rank_the_stops():
    units = [{"unit_id": u, "street": "Eisenbahnstraße", "housenumber": str(i), **OSTEN}
             for i, u in enumerate(["DUE", "NEVER", "RECENT", "DONE", "LATER"], start=1)]  # fmt: skip
    obs = [(u["unit_id"], "2023-05-03", "vacant") for u in units]
    register = Register(make_units(units), make_observations(obs), visits=visits([
        ("DUE", "2024-04-02", "2024-04-20", False),
        ("RECENT", "2024-04-02", None, False),
        ("DONE", "2024-04-02", "2024-04-20", True),
        ("LATER", "2024-04-02", "2024-06-01", False),
    ]))  # fmt: skip
    stops = select_stops(register, at=AT, rules=["vacant>6m"]).frame.set_index("unit_id")
    assert list(stops.index) == ["DUE", "NEVER", "RECENT", "DONE", "LATER"]  # the last three: by address
    assert stops.loc["DUE", "ranking"] == (
        "Dringlichkeit 6,3: Leerstand +2, 12 Monate leer +1,2, Nachfassen fällig seit 20.04.2024 +3, "
        "zuletzt besucht vor 1 Monat +0,1"
    )
    assert stops.loc["NEVER", "ranking"].endswith("nie besucht +1,8")
    assert "Nachfassen" not in stops.loc["DONE", "ranking"] and "Nachfassen" not in stops.loc["LATER", "ranking"]
    assert stops.loc["DUE", "follow_up_on"] == pd.Timestamp("2024-04-20")
    assert pd.isna(stops.loc["LATER", "follow_up_on"])
    assert stops.loc["NEVER", "priority"] > stops.loc["DONE", "priority"] == stops.loc["RECENT", "priority"]


def test_street_filter():
    units = [
        {"unit_id": "E1", "street": "Eisenbahnstraße", "housenumber": "1", **OSTEN},
        {"unit_id": "E2", "street": "Eisenbahnstraße", "housenumber": "2", **OSTEN},
        {"unit_id": "H1", "street": "Hermann-Liebmann-Straße", "housenumber": "3", **OSTEN},
    ]
    register = Register(make_units(units), make_observations([(u["unit_id"], "2022-01-01", "vacant") for u in units]))
    on = select_stops(register, at=AT, rules=["vacant>6m"], area="Leipziger Osten", street="eisenbahnstr.").frame
    assert sorted(on["unit_id"]) == ["E1", "E2"]
    picked = select_stops(register, at=AT, rules=["vacant>6m"], street="Eisenbahnstraße", picked=["H1"]).frame
    assert sorted(picked["unit_id"]) == ["E1", "E2", "H1"]  # a pick is kept off the street
    with pytest.raises(InputError, match="Straße „Torgauer Straße“: keine Einheit"):
        select_stops(register, at=AT, rules=["vacant>6m"], street="Torgauer Straße")


# -- the page ----------------------------------------------------------------------------------------


@pytest.fixture
def demo_store(tmp_path, monkeypatch) -> Path:
    from tests.synthetic import synthetic_store

    monkeypatch.setenv("QM_OSM_CACHE", str(tmp_path / "osm-cache"))  # no saved network unless a test saves one
    target = tmp_path / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=300)


def app(store: Path, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def selected_ids(at: AppTest) -> list[str]:
    table = next(d.value for d in at.dataframe if "Dringlichkeit" in d.value.columns and "Einheit" in d.value.columns)
    return list(table["Einheit"])


def test_ortsteil_and_street_chosen_on_karte_carry_over_to_begehung(demo_store):
    at = app(demo_store)
    at.switch_page("pages/karte.py").run()
    assert not at.exception, [e.value for e in at.exception]
    register = open_store(demo_store).read()
    ortsteil = at.selectbox(key="f_ortsteil").options[1]  # the first Ortsteil offered
    at.selectbox(key="f_ortsteil").set_value(ortsteil).run()
    at.switch_page("pages/begehung.py").run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert at.selectbox(key="f_ortsteil").value == ortsteil
    assert any(f"Gebiet: {ortsteil}" in c.value for c in at.caption)
    expected = select_stops(register, at=local_today(), rules=["vacant>6m", "new<3m"], area=ortsteil).frame
    assert selected_ids(at) == list(expected["unit_id"]) and len(expected)
    # the street filter narrows the stops to one street of the Ortsteil
    street = register.units.set_index("unit_id").loc[expected["unit_id"].iloc[0], "street"]
    at.selectbox(key="f_street").set_value(street).run()
    assert not at.exception and not at.error
    on_street = select_stops(register, at=local_today(), rules=["vacant>6m", "new<3m"], area=ortsteil,
                             street=street).frame  # fmt: skip
    assert selected_ids(at) == list(on_street["unit_id"]) and len(on_street) < len(expected)
    # and back on Karte the street is still chosen
    at.switch_page("pages/karte.py").run()
    assert at.selectbox(key="f_street").value == street


def test_page_uses_the_saved_real_network_of_the_quarter_by_default(demo_store, tmp_path):
    grid = write_grid_osm(tmp_path / "osten.osm", origin=(12.405, 51.345), nx=10, ny=10, seed=3)
    network_from_file("Leipziger Osten", grid.path)
    at = app(demo_store, query={"quartier": "Leipziger Osten"})
    at.switch_page("pages/begehung.py").run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    choice = at.selectbox(key="b_network:Leipziger Osten")
    assert choice.value == "quarter:Leipziger Osten"
    shown = " ".join(c.value for c in at.caption)
    saved = cached_network("Leipziger Osten")
    assert f"Verwendet: {saved.description}" in shown and f"{saved.data_date:%d.%m.%Y}" in shown
    if open_store(demo_store).read().meta.get("demo") == "true" and (settings.data_dir / "demo-walk-network.osm").is_file():
        assert DEMO_NETWORK_CREDIT in choice.options  # the fictional network stays on offer on the demo register
        choice.set_value("demo").run()
        assert "fiktives Demo-Straßennetz" in " ".join(c.value for c in at.caption)


def test_page_downloads_a_missing_network_and_uses_it(demo_store, osm_stub):
    from shapely.geometry import MultiPoint

    from geo.walks.quarter_network import quarter_outline

    answer = copy.deepcopy(osm_stub.overpass["walk"])  # the recorded streets, moved into Grünau
    for element in answer["elements"]:
        if element["type"] == "node":
            element["lon"], element["lat"] = element["lon"] - 0.12, element["lat"] - 0.03
    nodes = [(e["lon"], e["lat"]) for e in answer["elements"] if e["type"] == "node"]
    assert quarter_outline("Grünau").contains(MultiPoint(nodes))
    osm_stub.overpass["walk"] = answer
    at = app(demo_store, query={"quartier": "Grünau"})
    at.switch_page("pages/begehung.py").run()
    assert any("Für Grünau ist noch kein echtes Straßennetz gespeichert" in i.value for i in at.info)
    assert any("Start am ersten Halt – Büroadresse nicht eingetragen" in c.value for c in at.caption)
    at.button(key="b_fetch_network").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert cached_network("Grünau") is not None and len(osm_stub.interpreter_requests()) == 1
    assert at.selectbox(key="b_network:Grünau").value == "quarter:Grünau"
    assert "Datenstand laut Overpass: 30.06.2025" in " ".join(c.value for c in at.caption)


def test_page_offline_says_so_and_keeps_working(demo_store, osmnx_offline):
    at = app(demo_store, query={"quartier": "Grünau"})
    at.switch_page("pages/begehung.py").run()
    at.button(key="b_fetch_network").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("OpenStreetMap ist nicht erreichbar" in e.value and "--from-file" in e.value for e in at.error)
    assert any("Stopps ausgewählt" in c.value for c in at.caption)


def test_a_stop_too_far_for_the_budget_does_not_empty_the_walk(grid):
    graph = load_walk_graph(grid.path)
    register = budget_register()
    # LANG alone (there, back, visit) takes longer than the budget; the nearby stops still fit
    walk = outreach.plan_outreach(register, graph, at=AT, rules=["vacant>6m"], start=START, time_budget_min=35)
    plan = walk.plan
    assert len(plan.stops) >= 2 and "LANG" not in set(plan.stops["unit_id"])
    lang = next(d for d in plan.dropped if d.unit_id == "LANG")
    assert "zu weit für dieses Zeitbudget" in lang.reason and "Hin- und Rückweg" in lang.reason
    kept = plan.stops["priority"]
    others = [d.priority for d in plan.dropped if d.unit_id != "LANG"]
    assert not others or max(others) <= kept.min()  # among the stops that can fit, the most urgent are kept
    assert lang.too_far and not any(d.too_far for d in plan.dropped if d.unit_id != "LANG")
    decisions = set(plan.stops["decision"])
    assert all(", die passen könnten," in t or "allein zu weit" in t or "wie weggelassene" in t for t in decisions)


def test_a_unit_is_picked_by_searching_and_stays_picked_over_the_next_search(demo_store):
    """The walk's extra units: a search offers its best hits (not every unit of the register), a pick is a stop."""
    at = app(demo_store, query={"quartier": "Leipziger Osten"})
    at.switch_page("pages/begehung.py").run()
    register = open_store(demo_store).read()
    rules = select_stops(register, at=local_today(), rules=["vacant>6m", "new<3m"], area="Leipziger Osten").frame
    status = status_at(register, local_today())
    osten = status.loc[(status["quarter"] == "Leipziger Osten") & (status["status"] == "occupied")]
    extra = osten.loc[~osten["unit_id"].isin(rules["unit_id"])].iloc[0]
    address = f"{extra['street']} {extra['housenumber']}"
    assert at.multiselect(key="b_picked").options == []  # nothing offered before a search
    at.text_input(key="b_pick_query").set_value(address).run()
    offered = at.multiselect(key="b_picked").options
    assert 0 < len(offered) <= 20 and offered[0].startswith(f"{extra['unit_id']} – {address}")  # the address first
    at.multiselect(key="b_picked").select(extra["unit_id"]).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert selected_ids(at).count(extra["unit_id"]) == 1
    at.text_input(key="b_pick_query").set_value("Eisenbahnstraße").run()
    assert at.multiselect(key="b_picked").value == [extra["unit_id"]]  # kept while searching for the next
    assert extra["unit_id"] in selected_ids(at)


def test_unit_choices_keep_the_picks_first_and_drop_units_that_are_gone(demo_store):
    from geo.app.units import UnitChoices, unit_labels

    status = status_at(open_store(demo_store).read(), local_today())
    choices = UnitChoices.of(status.loc[status["status"] != "demolished"])
    gone = status.loc[status["status"] == "demolished", "unit_id"].iloc[0]
    first, second = choices.frame["unit_id"].iloc[:2]
    assert choices.known([second, gone, "NO-SUCH-UNIT", first]) == [second, first]
    assert choices.options("", [second]) == [second]  # no search: only the picks
    found = choices.options(first, [second])
    assert found == [second, first]  # an id typed in full finds that unit alone, after the picks
    assert len(choices.options("straße", limit=5)) == 5
    # labelled one by one as shown, exactly as all at once
    rows = choices.frame.iloc[[0, 1, len(choices.frame) - 1]]
    assert [choices.label(i) for i in rows["unit_id"]] == list(unit_labels(rows).values())
    assert choices.label(gone) == gone
