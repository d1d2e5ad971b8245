"""Issue "Trust" in the app and the interactive write paths.

* dates: implausible dates in a store (01.01.0001, 1900, 9999) and in a URL
  never crash a page or a command; pages fall back to a plausible date with a
  notice naming the value, timelines refuse absurd period counts, forms and
  visit logging refuse dates before ``settings.earliest_date`` and overlong texts;
* missing values: NaN/None/NaT never become text ("nan", "None", "NaT") in a
  form, the store, a popup, a chart, a walk sheet or a report;
* maps: every map sets ``maxZoom`` itself, so the marker clusters work with
  every base map, „ohne Hintergrundkarte“ included.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from geo import cli, formats, settings
from geo.app.figures import first_observation, plausible_start
from geo.app.filters import Filters
from geo.app.mapdata import compare_map_data, view_map_data
from geo.app.units import history_table, search_units, unit_details, unit_label
from geo.dates import local_today
from geo.errors import InputError
from geo.formats import display_text, field_text, is_missing
from geo.osm._synthetic import write_grid_osm
from geo.outputs import building_maps as bm
from geo.outputs import charts, figures, maps, report
from geo.register import stats
from geo.register.history import Register
from geo.register.io import record_observation
from geo.register.model import OBSERVATION_COLUMNS
from geo.register.store import ChangeSet, open_store
from geo.walks import outreach, walksheet
from geo.walks.network import load_walk_graph, network_credit
from geo.walks.visits import log_visit
from pages import _router
from tests.conftest import make_observations, make_units
from tests.outputs.test_building_maps import analysis, boundaries, folder  # noqa: F401 - fixtures for the building map
from tests.signin import signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]

#: A unit with nothing but an id and a location: no address, area, business, sector, note or area names.
BARE = "X-LEER"
#: Observations whose dates an old, unchecked import left in the store.
ODD_DATES = {"S-0001": "0001-01-01", "S-0002": "1900-01-01", "S-0003": "9999-12-31"}
#: "nan", "None", "NaT" or "<NA>" as words: a missing value that became text.
MISSING_AS_TEXT = re.compile(r"\b(nan|None|NaT)\b|<NA>")

PAGES = [path for path, _, _ in _router.PAGES]


def _bare_observation(day: str) -> pd.DataFrame:
    row = {c: None for c in OBSERVATION_COLUMNS if c != "obs_id"}
    row.update(unit_id=BARE, observed_on=pd.Timestamp(day), status="vacant", business_name=np.nan,
               sector=np.nan, note=None, source=np.nan, new_settlement=False)
    return pd.DataFrame([row])


def _trust_store(path: Path) -> Path:
    """A synthetic store with the bare unit and three observations dated 0001, 1900 and 9999 (written raw)."""
    synthetic_store(path, n=30)
    store = open_store(path)
    store.write(ChangeSet(new_units=make_units([{"unit_id": BARE, "lon": 12.4105, "lat": 51.3452}]),
                          observations=_bare_observation("2015-01-02")))
    con = sqlite3.connect(path)
    try:
        info = con.execute('PRAGMA table_info("observations")').fetchall()
        columns = [r[1] for r in info if r[1] not in ("obs_id", "observed_on")]
        names = ", ".join(f'"{c}"' for c in columns)
        for unit_id, day in ODD_DATES.items():  # the store is append-only: add a copy of the unit's first one
            con.execute(
                f'INSERT INTO observations ("observed_on", {names}) SELECT ?, {names} FROM observations '
                "WHERE obs_id = (SELECT MIN(obs_id) FROM observations WHERE unit_id = ?)",
                (day, unit_id),
            )
        con.commit()
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def trust_store(tmp_path_factory) -> Path:
    """Read-only for the whole module."""
    return _trust_store(tmp_path_factory.mktemp("trust") / "trust.gpkg")


@pytest.fixture(scope="module")
def register(trust_store) -> Register:
    return open_store(trust_store).read()


@pytest.fixture
def work(trust_store, tmp_path) -> Path:
    """A fresh copy for tests that write."""
    return Path(shutil.copyfile(trust_store, tmp_path / "work.gpkg"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deep_link(store: Path, page: str, query: dict[str, str] | None = None) -> AppTest:
    """Open ``page`` directly (as a bookmark does) with ``query`` in the URL."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def no_missing_text(text: str) -> None:
    found = MISSING_AS_TEXT.search(text)
    assert found is None, text[max(found.start() - 120, 0) : found.end() + 120]


# -- the shared helper --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [None, np.nan, float("nan"), pd.NA, pd.NaT, np.float64("nan"), np.datetime64("NaT")]
)
def test_every_kind_of_missing_value_is_empty_text(value):
    assert is_missing(value)
    assert display_text(value) == "" and display_text(value, missing="–") == "–"
    assert field_text(value, label="Betrieb") is None
    assert maps.esc(value) == ""


def test_text_values_stay_text():
    assert not is_missing("") and not is_missing("nan") and not is_missing(0)
    assert display_text("  Bäckerei  ") == "Bäckerei" and display_text(0) == "0"
    assert field_text("   ", label="Notiz") is None
    with pytest.raises(InputError, match="Notiz: .* höchstens"):
        field_text("x" * (settings.max_field_chars + 1), label="Notiz")


# -- dates in the store and in URLs -----------------------------------------------------------------


def test_a_store_with_implausible_dates_reads(register):
    first = first_observation(register)
    assert first == date(1, 1, 1)
    assert formats.fmt_date(first) == "01.01.0001"
    start, notice = plausible_start(register)
    assert start == settings.earliest_date
    assert notice is not None and "01.01.0001" in notice and formats.fmt_date(settings.earliest_date) in notice


@pytest.mark.parametrize("page", PAGES)
def test_every_page_survives_implausible_dates_in_the_store(trust_store, page):
    at = deep_link(trust_store, page)
    assert at.title
    assert not at.error, [e.value for e in at.error]


def test_entwicklung_starts_at_the_plausible_date_and_says_why(trust_store):
    at = deep_link(trust_store, "pages/entwicklung.py")
    start = at.date_input(key="e_start")
    assert start.value == settings.earliest_date
    assert start.proto.min == settings.earliest_date.isoformat()
    assert any("01.01.0001" in i.value for i in at.info)
    assert sum("<svg" in m.value for m in at.markdown) >= 2  # yearly charts from 1990: a few dozen periods, not 2,026


TODAY = local_today()


@pytest.mark.parametrize(
    ("raw", "expected", "reason"),
    [
        ("1900-01-01", settings.earliest_date, "vor dem frühesten plausiblen Datum"),
        ("0001-01-01", settings.earliest_date, "vor dem frühesten plausiblen Datum"),
        ("9999-12-31", None, "nach heute"),
        ("abc", None, "kein lesbares Datum"),
        ("31.02.2024", None, "kein lesbares Datum"),
    ],
)
def test_url_dates_are_checked_and_the_value_is_named(raw, expected, reason):
    filters, notices = Filters.from_url({"stichtag": raw, "quartier": "Grünau"})
    assert filters.at == expected and filters.quarter == "Grünau"
    assert len(notices) == 1 and f"„{raw}“" in notices[0] and reason in notices[0]
    since, notices = Filters.from_url({"seit": raw})
    assert since.since == (expected or (TODAY if "nach heute" in reason else None))
    assert len(notices) == 1 and f"„{raw}“" in notices[0]


def test_plausible_url_dates_pass_unchanged():
    filters, notices = Filters.from_url({"stichtag": "2024-01-31", "seit": "01.02.2023"})
    assert (filters.at, filters.since, notices) == (date(2024, 1, 31), date(2023, 2, 1), [])


@pytest.mark.parametrize("page", ["pages/uebersicht.py", "pages/karte.py", "pages/entwicklung.py",
                                  "pages/praesentation.py", "pages/daten.py", "pages/osm.py"])
@pytest.mark.parametrize(("raw", "shown"), [("1900-01-01", settings.earliest_date), ("abc", TODAY),
                                            ("9999-12-31", TODAY)])
def test_every_page_survives_any_date_in_the_url(trust_store, page, raw, shown):
    at = deep_link(trust_store, page, {"stichtag": raw})
    assert any(f"„{raw}“" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.date_input(key="f_at").value == shown
    assert at.query_params.get("stichtag", TODAY.isoformat()) == shown.isoformat()
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", ["pages/karte.py", "pages/praesentation.py"])
def test_settlements_since_year_one_in_the_url(trust_store, page):
    at = deep_link(trust_store, page, {"seit": "0001-01-01"})
    assert any("„0001-01-01“" in w.value for w in at.warning)
    assert at.date_input(key="f_since").value == settings.earliest_date


def test_stichtag_at_the_earliest_date_keeps_the_settlement_widget_in_bounds(trust_store):
    """The default „seit“ is a year before the Stichtag: before the earliest date here."""
    at = deep_link(trust_store, "pages/karte.py", {"stichtag": settings.earliest_date.isoformat()})
    assert not at.warning
    assert at.date_input(key="f_since").value == settings.earliest_date
    assert "seit" not in at.query_params


def test_timeline_refuses_absurd_period_counts(register):
    with pytest.raises(InputError, match=r"01\.01\.0001 .* 24\.\d{3} Perioden"):
        stats.timeline(register, freq="month", start="0001-01-01", end="2024-12-31")
    with pytest.raises(InputError, match="Perioden"):
        stats.timeline(register, freq="quarter", start="2000-01-01", end="9999-12-31")
    line = stats.timeline(register, freq="year", end="2024-12-31")  # default start: first observation
    assert line["period"].iloc[0] == str(settings.earliest_date.year) and len(line) == 2024 - 1990 + 1
    assert len(stats.timeline(register, freq="month", start="2024-01-01", end="2024-12-31")) == 12


def test_cli_timeline_from_year_one_is_refused_with_exit_2(trust_store, capsys):
    code = cli.main(["timeline", "--store", str(trust_store), "--freq", "month", "--from", "0001-01-01"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Perioden" in err and "01.01.0001" in err and "Traceback" not in err
    assert cli.main(["timeline", "--store", str(trust_store), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["period"] == str(settings.earliest_date.year)
    for day in ("0001-01-01", "9999-12-31"):
        assert cli.main(["stats", "--store", str(trust_store), "--at", day]) == 0


# -- writing: record_observation and log_visit --------------------------------------------------------------


def test_record_observation_refuses_early_dates_and_long_texts(work):
    store, before = open_store(work), digest(work)
    with pytest.raises(InputError, match=r"01\.01\.1900 liegt vor dem frühesten plausiblen Datum"):
        record_observation(store, unit_id="S-0005", observed_on=date(1900, 1, 1), status="vacant")
    too_long = "x" * (settings.max_field_chars + 1)
    for field, label in (("business_name", "Betrieb"), ("note", "Notiz"), ("sector", "Branche")):
        with pytest.raises(InputError, match=f"{label}: .* höchstens"):
            record_observation(store, unit_id="S-0005", observed_on=date(2024, 1, 1), status="occupied",
                               **{field: too_long})
    assert digest(work) == before


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_record_observation_stores_missing_texts_as_null(work, missing):
    obs_id = record_observation(
        open_store(work), unit_id=BARE, observed_on=date(2024, 1, 1), status="vacant",
        business_name=missing, sector=missing, note=missing, source=missing, recorded_by=missing,
    )
    con = sqlite3.connect(work)
    try:
        row = con.execute("SELECT business_name, sector, note, source, recorded_by FROM observations "
                          "WHERE obs_id = ?", (obs_id,)).fetchone()
    finally:
        con.close()
    assert row == (None, None, None, None, None)


def test_log_visit_refuses_early_dates_and_long_texts(work):
    store, before = open_store(work), digest(work)
    with pytest.raises(InputError, match="vor dem frühesten plausiblen Datum"):
        log_visit(store, unit_id="S-0005", visited_on=date(1900, 1, 1), outcome="checked")
    for field in ("note", "business_name"):
        with pytest.raises(InputError, match="höchstens") as caught:
            log_visit(store, unit_id="S-0005", visited_on=date(2024, 1, 1), outcome="status_changed",
                               **{field: "x" * (settings.max_field_chars + 1)})
        assert len(str(caught.value)) < 400  # the text itself is not repeated in the message
    assert digest(work) == before


# -- missing values never become text ---------------------------------------------------------------


def test_bare_unit_in_details_labels_and_history(register):
    frame = stats.status_at(register, date(2024, 6, 30))
    row = frame.loc[frame["unit_id"] == BARE].iloc[0].to_dict()
    assert is_missing(row["business_name"])  # the store gives NaN for a missing business
    details = unit_details(frame, BARE, public=False)
    texts = details.texts()
    no_missing_text(" | ".join(texts))
    assert details.business == "–" and details.floor_area == "–"
    no_missing_text(unit_label(row) + formats.unit_address(row))
    assert formats.unit_address(row) == BARE
    table = history_table(register, BARE, public=False)
    no_missing_text(table.drop(columns=["Neuansiedlung", "ersetzt"]).to_string())
    no_missing_text(json.dumps(charts.unit_timeline_chart(register.unit_history(BARE)).to_dict()))
    hits = search_units(frame, "X-LEER")
    assert list(hits["unit_id"]) == [BARE]


def test_bare_unit_on_maps(register):
    data = view_map_data(register, Filters(at=date(2024, 6, 30)))
    bare = [r for r in json.loads(data.units.rows) if r[3] == BARE]
    assert len(bare) == 1
    no_missing_text(data.units.rows)
    html = maps.render_map(data, assets="linked", asset_base="/static/").get_root().render()
    no_missing_text(html)


def test_boundary_without_name_gets_no_label(register):
    nameless = register.boundaries.copy()
    nameless.loc[nameless.index[0], "name"] = None
    fig = figures.status_map(stats.status_at(register, date(2024, 6, 30)), boundaries=nameless,
                             at=date(2024, 6, 30), title="Test")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert texts
    no_missing_text(" | ".join(texts))


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> outreach.OutreachWalk:
    """A walk whose stops include a unit without address, business, contacts or area names."""
    grid = write_grid_osm(tmp_path_factory.mktemp("walk") / "grid.osm", nx=24, ny=24, spacing_m=50, seed=2)
    lon0, lat0, lon1, lat1 = grid.bounds
    units = [
        {"unit_id": BARE, "lon": lon0 + 0.003, "lat": lat0 + 0.003},
        {"unit_id": "S-1", "street": "Eisenbahnstraße", "housenumber": "3", "quarter": "Leipziger Osten",
         "ortsteil": "Volkmarsdorf", "lon": lon1 - 0.003, "lat": lat1 - 0.003},
    ]
    obs = [(BARE, "2020-03-01", "vacant", np.nan, {"note": np.nan, "sector": np.nan}),
           ("S-1", "2021-01-01", "occupied", "Laden 1")]
    register = Register(make_units(units), make_observations(obs), meta={"demo": "true"})
    return outreach.plan_outreach(register, load_walk_graph(grid.path), at=date(2024, 5, 3),
                                  picked=[BARE, "S-1"], network_credit=network_credit(grid.path))


def test_bare_unit_on_the_walk_sheet_and_route_map(walk):
    assert BARE in set(walk.plan.stops["unit_id"])
    for internal in (False, True):
        pdf = walksheet.walk_sheet_pdf(walk.plan, internal=internal, at=date(2024, 5, 3))
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert BARE in text
        no_missing_text(text)
    no_missing_text(" | ".join(outreach.stop_labels(walk.plan).values()))
    route = outreach.route_map(walk.plan, basemap="none", assets="linked", asset_base="/static/")
    no_missing_text(route.get_root().render())


def test_bare_unit_in_the_report_tables(register):
    """Internal report: the bare unit is the longest vacant one (no address, Ortsteil, area or owner)."""
    buffer = io.BytesIO()
    report.build_report(register, quarter=None, start=date(2024, 1, 1), end=date(2024, 12, 31), out=buffer,
                        public=False, dpi=60)
    pages = pypdf.PdfReader(io.BytesIO(buffer.getvalue())).pages
    text = " ".join(page.extract_text() or "" for page in pages)
    assert BARE in text
    no_missing_text(text)


def _karte_with_bare_unit(store: Path) -> AppTest:
    at = deep_link(store, "pages/karte.py")
    at.text_input(key="qm_unit_query").set_value(BARE).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="qm_unit").value == BARE
    return at


def test_karte_form_of_a_vacant_unit_prefills_nothing_missing_as_text(trust_store):
    at = _karte_with_bare_unit(trust_store)
    business = next(t for t in at.text_input if t.label == "Betrieb (Name)")
    assert business.value == ""
    assert next(s for s in at.selectbox if s.label == "Branche").value is None
    no_missing_text("\n".join(m.value for m in at.markdown))
    history = next(d for d in at.dataframe if not (d.key or "").startswith("qm_unit_list_"))  # not the unit list
    no_missing_text(history.value.drop(columns=["Neuansiedlung", "ersetzt"]).to_string())


def test_saving_the_prefilled_form_stores_no_nan(work):
    at = _karte_with_bare_unit(work)
    before = len(open_store(work).read().observations)
    next(b for b in at.get("form_submit_button") if b.label == "Beobachtung speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    con = sqlite3.connect(work)
    try:
        rows = con.execute("SELECT business_name, sector, note FROM observations WHERE unit_id = ? "
                           "ORDER BY obs_id DESC", (BARE,)).fetchall()
        stored = con.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
    finally:
        con.close()
    assert stored == before + 1
    assert rows[0] == (None, None, None)


# -- every map draws its units with every base map --------------------------------------------------

MAP_OPTIONS = re.compile(r'L\.map\(\s*"map_\w+",\s*\{(.*?)\}\s*\);', re.S)


def map_options(m) -> str:
    html = m.get_root().render()
    found = MAP_OPTIONS.search(html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("basemap", list(maps.BASEMAPS))
def test_every_map_sets_max_zoom(register, walk, analysis, boundaries, basemap):  # noqa: F811 - fixtures
    data = view_map_data(register, Filters())
    made = {
        "status": maps.render_map(data, basemap=basemap),
        "compare": maps.render_map(compare_map_data(register, before=date(2020, 1, 1),
                                                          after=date(2024, 1, 1))[0], basemap=basemap),
        "route": outreach.route_map(walk.plan, basemap=basemap),
        "buildings": bm.render_building_map(
            bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries), basemap=basemap
        ),
    }
    for name, m in made.items():
        assert f'"maxZoom": {maps.MAX_ZOOM}' in map_options(m), name
