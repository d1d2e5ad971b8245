"""Journeys on the page Karte (issue 13): the unit list, visits in the history, the address search,
place names and the legend on the maps.

Driven headless with ``streamlit.testing.v1.AppTest`` on copies of the demo store or a synthetic
store; the maps are checked in the HTML they send (their behaviour in a browser:
``tests/app/test_browser_journeys.py``).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.access.roles import Role
from geo.app.filters import Filters
from geo.app.unitlist import DATE_COLUMN, LIST_COLUMNS, list_bytes, list_name, unit_list
from geo.app.units import history_table, search_units
from geo.dates import local_today
from geo.outputs import maps
from geo.places.areas import official_boundaries
from geo.register.model import PERSONAL_COLUMNS
from geo.register.stats import status_at
from geo.register.store import ChangeSet, GeoPackageStore, open_store
from geo.walks.visits import log_visit
from pages import _session
from tests.signin import signed_in
from tests.synthetic import synthetic_observations, synthetic_register, synthetic_store, synthetic_units

ROOT = Path(__file__).resolve().parents[2]

#: Eisenbahnstraße numbers of the first four Eisenbahnstraße units of the address store, in store order:
#: the exact address "1" comes last, after "10", "11" and "1a".
ADDRESSES = {"S-0000": "10", "S-0008": "11", "S-0016": "1a", "S-0024": "1"}


def _copy_demo(target: Path) -> Path:
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=300)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    """A read-only copy of the demo register for the module."""
    return _copy_demo(tmp_path_factory.mktemp("journeys") / "demo.gpkg")


@pytest.fixture
def work_store(tmp_path) -> Path:
    """A fresh copy for tests that write."""
    return _copy_demo(tmp_path / "work.gpkg")


@pytest.fixture(scope="module")
def address_store(tmp_path_factory) -> Path:
    """A synthetic store whose Eisenbahnstraße holds 10, 11, 1a and then 1 (see :data:`ADDRESSES`)."""
    units = synthetic_units(120)
    for unit_id, number in ADDRESSES.items():
        assert units.loc[units["unit_id"] == unit_id, "street"].item() == "Eisenbahnstraße"
        units.loc[units["unit_id"] == unit_id, "housenumber"] = number
    path = tmp_path_factory.mktemp("addresses") / "addresses.gpkg"
    store = GeoPackageStore.create(path)
    obs = synthetic_observations(units)
    store.write(ChangeSet(boundaries=official_boundaries(), new_units=units, observations=obs.drop(columns=["obs_id"])))
    return path


def app(store: Path, page: str | None = None, query: dict[str, str] | None = None,
        role: Role = Role.ADMIN) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state[_session.STORE] = str(store)
    signed_in(at, role)
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def unit_list_frame(at: AppTest):
    """The unit list element of page Karte (the dataframe keyed by :func:`pages._session.unit_list`)."""
    lists = [d for d in at.dataframe if d.key and d.key.startswith("qm_unit_list_")]
    assert len(lists) == 1, [d.key for d in at.dataframe]
    return lists[0]


def history_frame(at: AppTest) -> pd.DataFrame:
    frames = [d for d in at.dataframe if not (d.key and d.key.startswith("qm_unit_list_"))]
    assert len(frames) == 1
    return frames[0].value


def select_row(at: AppTest, row: int) -> AppTest:
    """Click row ``row`` of the unit list (what the browser sends: the selection state of the keyed dataframe)."""
    key = unit_list_frame(at).key
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


# -- the address search (issue: „Eisenbahnstraße 1“ preselected Eisenbahnstraße 10) ----------------


def _street_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["A-10", "A-11", "A-1a", "A-1", "B-1", "A-2"],
            "street": ["Eisenbahnstraße"] * 4 + ["Torgauer Straße", "Eisenbahnstraße"],
            "housenumber": ["10", "11", "1a", "1", "1", "2"],
            "business_name": [None, "Eisenbahnstraße 1 Imbiss", None, None, None, None],
        }
    )


@pytest.mark.parametrize("query", ["Eisenbahnstraße 1", "eisenbahnstraße 1", "Eisenbahnstr. 1", "Eisenbahnstrasse 1",
                                   "  Eisenbahnstraße  1 "])
def test_an_exact_address_is_the_first_hit(query):
    hits = search_units(_street_frame(), query)
    assert list(hits["unit_id"])[:4] == ["A-1", "A-1a", "A-10", "A-11"], list(hits["unit_id"])


def test_address_search_ranks_numbers_and_keeps_other_hits_after_them():
    frame = _street_frame()
    assert list(search_units(frame, "Eisenbahnstraße 1a")["unit_id"]) == ["A-1a"]
    assert list(search_units(frame, "Eisenbahnstraße 1 A")["unit_id"]) == ["A-1a"]
    assert list(search_units(frame, "Eisenbahnstraße 11")["unit_id"]) == ["A-11"]
    # a street without a number: all of it, numbers in numeric order (2 before 10)
    assert list(search_units(frame, "Eisenbahnstraße")["unit_id"]) == ["A-1", "A-1a", "A-2", "A-10", "A-11"]
    # the business named after the address is a hit too, after the addresses
    assert list(search_units(frame, "Eisenbahnstraße 1")["unit_id"])[-1] == "A-11"
    assert "A-11" in set(search_units(frame, "imbiss")["unit_id"])
    assert list(search_units(frame, "a-1")["unit_id"]) == ["A-1"]  # a unit id typed in full
    assert search_units(frame, " ").empty


def test_karte_search_preselects_the_exact_address(address_store):
    at = app(address_store, "pages/karte.py")
    at.text_input(key=_session.UNIT_QUERY).set_value("Eisenbahnstraße 1").run()
    assert not at.exception
    assert at.selectbox(key=_session.UNIT).value == "S-0024"
    # a new search forgets the unit chosen before and preselects its own best hit
    at.text_input(key=_session.UNIT_QUERY).set_value("Eisenbahnstraße 11").run()
    assert at.selectbox(key=_session.UNIT).value == "S-0008"


def test_visit_page_search_preselects_the_exact_address(address_store):
    at = app(address_store, "pages/besuch.py")
    at.text_input(key="v_query").set_value("Eisenbahnstraße 1").run()
    assert not at.exception
    assert at.selectbox(key=_session.VISIT_UNIT).value == "S-0024"
    at.text_input(key="v_query").set_value("Eisenbahnstraße 1a").run()
    assert at.selectbox(key=_session.VISIT_UNIT).value == "S-0016"


# -- the unit list ------------------------------------------------------------------------------


def test_karte_lists_the_filtered_units_with_german_headers(demo_store):
    at = app(demo_store, "pages/karte.py", query={"quartier": "Grünau"})
    table = unit_list_frame(at).value
    register = open_store(demo_store).read()
    in_quarter = register.units.loc[register.units["quarter"] == "Grünau", "unit_id"]
    assert list(table.columns) == list(LIST_COLUMNS)
    assert sorted(table["Kennung"]) == sorted(in_quarter)
    assert any(f"Einheiten in der Auswahl ({len(in_quarter)})" == s.value for s in at.subheader)
    # dates stay dates (sortable) and are shown TT.MM.JJJJ
    config = json.loads(unit_list_frame(at).proto.columns)
    assert config[DATE_COLUMN]["type_config"]["format"] == "DD.MM.YYYY"
    assert pd.api.types.is_datetime64_any_dtype(table[DATE_COLUMN]) or isinstance(
        table[DATE_COLUMN].dropna().iloc[0], date
    )
    labels = [b.proto.label for b in at.get("download_button")]
    assert "CSV" in labels and "XLSX" in labels


def test_clicking_a_row_selects_the_unit_like_clicking_its_dot(demo_store):
    at = app(demo_store, "pages/karte.py")
    table = unit_list_frame(at).value
    row = 7
    unit_id = table["Kennung"].iloc[row]
    at = select_row(at, row)
    assert not at.exception and not at.error
    assert at.text_input(key=_session.UNIT_QUERY).value == unit_id
    assert at.selectbox(key=_session.UNIT).value == unit_id
    assert any(unit_id in str(m.value) for m in at.markdown)  # the details table names the unit
    # the pick is handled once: a later search is not overridden by the still-selected row
    other = table["Kennung"].iloc[3]
    at.text_input(key=_session.UNIT_QUERY).set_value(other).run()
    assert at.selectbox(key=_session.UNIT).value == other
    # another row is a new pick
    at = select_row(at, 2)
    assert at.selectbox(key=_session.UNIT).value == table["Kennung"].iloc[2]


def test_a_new_view_starts_without_a_selected_row(demo_store):
    at = app(demo_store, "pages/karte.py")
    first = unit_list_frame(at).key
    at = select_row(at, 1)
    at.selectbox(key="f_quarter").set_value("Grünau").run()
    assert unit_list_frame(at).key != first  # the old selection cannot pick a unit of the new list


def test_public_list_never_shows_personal_fields(demo_store):
    at = app(demo_store, "pages/karte.py")  # the office's list is the public one too
    table = unit_list_frame(at).value
    units = open_store(demo_store).read().units
    private = {str(v) for c in PERSONAL_COLUMNS | {"address_note"} for v in units[c].dropna()}
    shown = {str(v) for v in table.astype(str).to_numpy().ravel()}
    assert private and not (private & shown)
    assert not any(private_value in cell for cell in shown for private_value in private if len(private_value) > 6)


def test_unit_list_is_public_and_in_address_order():
    register = synthetic_register(60)
    frame = status_at(register, date(2025, 6, 30)).assign(note="Notiz intern", recorded_by="XY",
                                                          address_note="bei Frau Z")
    table = unit_list(frame)
    text = table.astype(str).to_string()
    for secret in ("Eigentümerin", "Kontakt", "kontakt", "Notiz intern", "bei Frau Z", "0341"):
        assert secret not in text
    assert list(table.index) == list(range(len(table)))
    eisenbahn = table.loc[table["Adresse"].str.startswith("Eisenbahnstraße"), "Adresse"]
    numbers = [int(a.rsplit(" ", 1)[1]) for a in eisenbahn]
    assert numbers == sorted(numbers) and len(numbers) > 3
    assert "nan" not in text and "None" not in table.drop(columns=["Betrieb", DATE_COLUMN]).to_string()


def test_list_downloads_as_shown_formula_safe_with_german_dates():
    register = synthetic_register(30)
    table = unit_list(status_at(register, date(2025, 6, 30)))
    table.loc[0, "Betrieb"] = "=HYPERLINK(\"http://x\")"
    filters = Filters(quarter="Grünau", at=date(2025, 6, 30))

    text = list_bytes(table, "csv").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == ";".join(LIST_COLUMNS)
    assert len(lines) == len(table) + 1
    assert "'=HYPERLINK" in text
    since = table[DATE_COLUMN].dropna().iloc[0]
    assert since.strftime("%d.%m.%Y") in text and since.isoformat() not in text

    book = openpyxl.load_workbook(io.BytesIO(list_bytes(table, "xlsx", filters=filters, demo=True)))
    sheet = book["Einheiten"]
    assert [c.value for c in sheet[1]] == list(LIST_COLUMNS)
    assert sheet.max_row == len(table) + 1
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert any(isinstance(c.value, str) and c.value.startswith("'=HYPERLINK") for c in cells)
    col = LIST_COLUMNS.index(DATE_COLUMN) + 1
    dated = [sheet.cell(row=r, column=col) for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=col).value]
    assert dated and all(c.number_format == "DD.MM.YYYY" for c in dated)
    info = " ".join(str(c.value) for row in book["Info"].iter_rows() for c in row)
    assert settings.demo_label in info and "Grünau" in info

    assert list_name(filters, "csv") == "einheiten_gruenau_2025-06-30.csv"
    assert list_name(Filters(ortsteil="Grünau-Mitte", street="Straße des 18. Oktober", at=date(2025, 6, 30)),
                     "xlsx") == "einheiten_gruenau-mitte_strasse-des-18-oktober_2025-06-30.xlsx"
    assert list_name(Filters(at=date(2025, 6, 30)), "csv") == "einheiten_alle_2025-06-30.csv"
    with pytest.raises(Exception, match="unbekannt"):
        list_bytes(table, "ods")


# -- a logged visit in the unit's history ------------------------------------------------------------


def test_a_visit_logged_on_the_visit_page_appears_in_the_history_on_karte(work_store):
    unit_id = open_store(work_store).read().units["unit_id"].iloc[4]
    at = app(work_store, "pages/besuch.py")
    at.text_input(key="v_query").set_value(unit_id).run()
    assert at.selectbox(key=_session.VISIT_UNIT).value == unit_id
    at.radio(key="v_outcome").set_value("nobody_there")
    at.text_area(key="v_note").set_value("Frau Beispiel anrufen, 0341 999")
    next(b for b in at.get("form_submit_button") if b.label == "Besuch speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("gespeichert" in s.value for s in at.success)

    at.switch_page("pages/karte.py").run()
    at.text_input(key=_session.UNIT_QUERY).set_value(unit_id).run()
    history = history_frame(at)
    visits = history.loc[history["Eintrag"] == "Besuch"]
    assert len(visits) == 1
    assert visits["Besuch"].iloc[0] == "niemand angetroffen"
    assert visits["Datum"].iloc[0] == local_today().strftime("%d.%m.%Y")
    assert visits["Notiz"].iloc[0] == "Frau Beispiel anrufen, 0341 999"
    assert history["Datum"].iloc[-1] == local_today().strftime("%d.%m.%Y")  # the newest entry last

    # the role Stadt: the visit is there, its free-text note is not
    at = app(work_store, "pages/karte.py", role=Role.CITY)
    at.text_input(key=_session.UNIT_QUERY).set_value(unit_id).run()
    history = history_frame(at)
    assert "Besuch" in set(history["Eintrag"])
    assert "Notiz" not in history and "erfasst von" not in history
    assert "Frau Beispiel" not in history.to_string()


def test_history_table_merges_visits_by_date_and_hides_their_notes_in_public(work_store):
    store = open_store(work_store)
    unit_id = store.read().units["unit_id"].iloc[2]
    log_visit(store, unit_id=unit_id, visited_on=date(2024, 3, 5), outcome="follow_up",
              follow_up_on=date(2024, 3, 20), note="privat: Herr X", recorded_by="AB")
    register = store.read()
    internal = history_table(register, unit_id, public=False)
    row = internal.loc[internal["Eintrag"] == "Besuch"].iloc[0]
    assert row["Besuch"] == "Nachfassen nötig · Nachfassen am 20.03.2024"
    assert row["Notiz"] == "privat: Herr X" and row["erfasst von"] == "AB"
    days = pd.to_datetime(internal["Datum"], format="%d.%m.%Y")
    assert days.is_monotonic_increasing
    assert len(internal) == len(register.unit_history(unit_id)) + 1
    public = history_table(register, unit_id, public=True)
    assert "Notiz" not in public and "erfasst von" not in public
    assert "Herr X" not in public.to_string() and "AB" not in set(public.to_numpy().ravel())
    assert "None" not in internal.to_string() and "nan" not in internal.to_string()


# -- place names and legend on the maps ---------------------------------------------------------------


@pytest.fixture(scope="module")
def map_data():
    from geo.app.mapdata import view_map_data

    register = synthetic_register(120)
    register.boundaries = register.boundaries.assign(
        name=register.boundaries["name"].where(register.boundaries.index != 0, "<b>Ost & West</b>")
    )
    return view_map_data(register, Filters(at=date(2025, 6, 30)))


def test_maps_name_the_quarters_above_their_outlines_and_the_ortsteile(map_data):
    labels = json.loads(map_data.quarter_labels)
    names = {name for _, _, name in labels}
    assert {"Grünau", "Leipziger Osten"} <= names
    html = maps.render_map(map_data).get_root().render()
    assert 'className: "qm-label q"' in html and 'direction: "top"' in html  # quarter names: above the outline
    assert f"lo: 0, hi: {maps.QUARTER_LABELS_UNTIL_ZOOM}, q: true" in html
    assert f"lo: {maps.LABELS_FROM_ZOOM}, hi: {maps.MAX_ZOOM + 1}, q: false" in html
    # each label sits at the top of its quarter: north of every outline of the quarter
    register = synthetic_register(120)
    for lat, lon, name in labels:
        part = register.boundaries.loc[register.boundaries["quarter"] == name].to_crs(settings.storage_crs)
        west, south, east, north = part.total_bounds
        assert abs(lat - north) < 1e-4 and west < lon < east
    # names are escaped: an Ortsteil called "<b>Ost & West</b>" arrives as text
    assert "&lt;b&gt;Ost &amp; West&lt;/b&gt;" in map_data.ortsteil_labels
    assert "<b>Ost & West</b>" not in html
    # overlapping names are left out, controls and clusters count as taken
    assert ".marker-cluster" in html and ".leaflet-control" in html and "free(b, taken)" in html


def test_quarter_labels_need_boundaries_with_quarters():
    from geo.outputs._areas import _quarter_labels

    register = synthetic_register(20)
    assert _quarter_labels(None) is None
    assert _quarter_labels(register.boundaries.drop(columns="quarter")) is None
    assert _quarter_labels(register.boundaries.assign(quarter=None)) is None


def test_the_legend_keeps_off_the_map_it_explains(map_data):
    html = maps.render_map(map_data, legend="compact").get_root().render()
    # collapsed when open it would take more than LEGEND_MAX_SHARE of the map
    assert f"> {maps.LEGEND_MAX_SHARE} * size.x * size.y) {{ open.open = false; }}" in html
    assert 0 < maps.LEGEND_MAX_SHARE <= 0.25
    # the map is fitted with the legend's room kept free beside or below what it shows
    assert "paddingBottomRight: beside >= below ? [w, p] : [p, h]" in html
    assert "map.fitBounds(b, o);" in html
    legend_at = html.index("map.qmLegend = box;")
    assert legend_at < html.index("map.fitBounds(b, o);")  # the fit knows the legend's size
    # no plain folium fit that would ignore the legend
    assert "fitBounds(\n" not in html and not re.search(r"\.fitBounds\(\s*\[\[", html)
    # the compact legend is small
    css = re.search(r"\.qm-legend\.compact\{([^}]*)\}", html).group(1)
    assert "font-size:11px" in css


def test_the_list_has_no_date_where_the_status_has_none_and_dates_elsewhere(demo_store):
    status = status_at(open_store(demo_store).read(), local_today()).reset_index(drop=True)
    unknown = status["unit_id"].iloc[0]
    status.loc[0, "since"] = pd.NaT
    table = unit_list(status)
    row = table.loc[table["Kennung"] == unknown].iloc[0]
    assert row[DATE_COLUMN] is None  # not NaT, not "NaT" in an export
    others = table.loc[table["Kennung"] != unknown, DATE_COLUMN].dropna()
    assert len(others) and all(type(d) is date for d in others)
    assert set(table["Status"]) <= {"genutzt", "leer", "vermutlich leer", "Zwischennutzung", "Sanierung/Umbau",
                                    "entfallen", "unbekannt", "ohne Status"}  # fmt: skip
