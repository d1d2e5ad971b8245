"""Page-level helpers without Streamlit: filters and their URL form, figures, tables, import/export, charts."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo import formats
from geo.app.display import german_style, markdown_table, sector_choices, sector_text
from geo.app.exchange import (
    FIGURE_STEMS,
    export_bytes,
    export_name,
    figure_for,
    figure_name,
    import_upload,
    plan_upload,
)
from geo.app.figures import (
    KeyFigure,
    _neutral_zero,
    area_table,
    counts_note,
    events_summary,
    first_observation,
    key_figures,
    longest_vacant_table,
    register_counts,
    spells_between,
)
from geo.app.filters import Filters, apply_filters, describe, filter_options, sanitize
from geo.app.mapdata import compare_map_data, view_map_data
from geo.app.units import history_table, public_frame, search_units, unit_details
from geo.errors import InputError
from geo.outputs import charts
from geo.register import stats
from geo.register.model import INTERNAL_COLUMNS, PERSONAL_COLUMNS, STATUS_LABELS
from geo.register.store import open_store
from tests.synthetic import synthetic_register, synthetic_store

AT = date(2024, 1, 1)


@pytest.fixture(scope="module")
def reg():
    return synthetic_register(240)


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# -- filters and query parameters ------------------------------------------------------------


def test_default_filters_have_no_query_params():
    assert Filters().to_query_params() == {}
    assert Filters.from_query_params({}) == Filters()


def test_filters_round_trip_through_query_params():
    f = Filters(
        quarter="Grünau",
        ortsteil="Grünau-Mitte",
        street="Stuttgarter Allee",
        statuses=("vacant", "none"),
        use_classes=("retail", "food"),
        at=date(2023, 6, 30),
        since=date(2022, 1, 1),
        basemap="positron",
    )
    params = f.to_query_params()
    assert params["quartier"] == "Grünau"
    assert params["status"] == "vacant,none"
    assert params["stichtag"] == "2023-06-30"
    assert Filters.from_query_params(params) == f
    assert Filters.from_key(f.key()) == f


def test_from_query_params_tolerates_bad_bookmarks():
    f = Filters.from_query_params(
        {"stichtag": "31.12.2022", "seit": "gestern", "status": ["vacant", "quatsch"], "karte": "google", "x": "1"}
    )
    assert f.at == date(2022, 12, 31)
    assert f.since is None
    assert f.statuses == ("vacant",)
    assert f.basemap == "osm"


def test_key_resolves_today_and_period_start():
    f = Filters(quarter="Grünau")
    key = f.key(today=date(2024, 5, 2))
    assert "stichtag=2024-05-02" in key and "seit=2023-05-02" in key
    assert Filters(at=date(2024, 3, 1)).period_start() == date(2023, 3, 1)


def test_only_keeps_named_fields():
    f = Filters(quarter="Grünau", statuses=("vacant",), at=AT)
    assert f.only("quarter", "at") == Filters(quarter="Grünau", at=AT)


def test_apply_filters_changes_figures(reg):
    total = stats.stats(reg, at=AT).iloc[0]
    gruenau = apply_filters(reg, Filters(quarter="Grünau", at=AT))
    assert 0 < len(gruenau.units) < len(reg.units)
    assert set(gruenau.units["quarter"]) == {"Grünau"}
    sub = stats.stats(gruenau, at=AT).iloc[0]
    assert sub["units"] < total["units"]
    vacant = apply_filters(reg, Filters(statuses=("vacant",), at=AT))
    assert set(stats.status_at(vacant, AT)["status"]) == {"vacant"}
    # the status filter is ignored for vacancy figures
    assert len(apply_filters(reg, Filters(statuses=("vacant",), at=AT), by_status=False).units) == len(reg.units)
    uses = apply_filters(reg, Filters(use_classes=("retail",)))
    assert set(uses.units["use_class"]) == {"retail"}


def test_filter_options_follow_the_quarter_and_sanitize(reg):
    opts = filter_options(reg)
    assert opts.quarters == ("Leipziger Osten", "Grünau")
    gruenau = filter_options(reg, quarter="Grünau")
    assert gruenau.ortsteile and all("Grünau" in o or o == "Schönau" for o in gruenau.ortsteile)
    clean = sanitize(Filters(quarter="Grünau", ortsteil="Volkmarsdorf", statuses=("vacant",)), gruenau)
    assert clean.ortsteil is None and clean.quarter == "Grünau" and clean.statuses == ("vacant",)


def test_describe_names_the_view():
    text = describe(Filters(quarter="Grünau", statuses=("vacant",), at=AT))
    assert "Grünau" in text and "leer" in text and "01.01.2024" in text


# -- figures and tables --------------------------------------------------------------------------


def test_formatting_is_german():
    assert formats.fmt_int(12345) == "12.345"
    assert formats.fmt_pct(0.1234) == "12,3 %"
    assert formats.fmt_signed(1.234, digits=1, unit="Pp.") == "+1,2 Pp."
    assert formats.fmt_signed(0) == "±0"
    assert formats.fmt_signed(-3) == "-3"
    assert formats.fmt_date(pd.Timestamp("2024-12-31")) == "31.12.2024"
    assert formats.fmt_months(30) == "30 Tage" and formats.fmt_months(365.25) == "12,0 Monate"
    assert formats.fmt_int(None) == "–" and formats.fmt_pct(float("nan")) == "–"


def test_key_figures_change_with_date_and_filter(reg):
    figs = {f.label: f for f in key_figures(reg, at=AT)}
    assert list(figs) == [
        "Gewerbeeinheiten", "Leerstehend", "Leerstandsquote", "Neuansiedlungen (12 Monate)",
        "Schließungen (12 Monate)", "Mittlere Leerstandsdauer",
    ]
    row = stats.stats(reg, at=AT).iloc[0]
    assert figs["Leerstehend"].value == formats.fmt_int(row["vacant"])
    assert figs["Leerstandsquote"].value == formats.fmt_pct(row["vacancy_rate"])
    assert figs["Leerstandsquote"].delta.endswith("Pp.") and figs["Leerstandsquote"].delta_color == "inverse"
    earlier = {f.label: f.value for f in key_figures(reg, at=date(2018, 1, 1))}
    assert earlier != {k: f.value for k, f in figs.items()}
    gruenau = apply_filters(reg, Filters(quarter="Grünau"))
    assert {f.label: f.value for f in key_figures(gruenau, at=AT)} != {k: f.value for k, f in figs.items()}


def test_area_table_has_one_row_per_ortsteil(reg):
    table = area_table(reg, at=AT)
    assert set(table["Ortsteil"]) == set(reg.units["ortsteil"])
    assert table["Einheiten"].sum() == stats.stats(reg, at=AT).iloc[0]["units"]


def test_unit_details_show_personal_data_only_internally(reg):
    frame = stats.status_at(reg, AT)
    uid = frame["unit_id"].iloc[0]
    internal = unit_details(frame, uid, public=False)
    public = unit_details(frame, uid, public=True)
    assert internal.contact is not None and public.contact is None
    assert internal.contact.owner == frame["owner_name"].iloc[0]
    assert ("Eigentümer/in", frame["owner_name"].iloc[0]) in internal.contact.rows()
    flat = " ".join(public.texts())
    assert frame["owner_name"].iloc[0] not in flat and frame["contact_email"].iloc[0] not in flat
    with pytest.raises(InputError):
        unit_details(frame, "gibt-es-nicht", public=True)


def test_history_table_public_has_no_internal_fields(reg):
    uid = reg.units["unit_id"].iloc[5]
    public = history_table(reg, uid, public=True)
    internal = history_table(reg, uid, public=False)
    assert len(public) == len(reg.unit_history(uid))
    assert "Notiz" not in public and "erfasst von" not in public
    assert "Notiz" in internal


def test_longest_vacant_table_is_sorted_and_public(reg):
    table = longest_vacant_table(reg, at=AT, n=10)
    assert len(table) == 10
    assert table["Monate"].is_monotonic_decreasing
    assert not set(table.columns) & (PERSONAL_COLUMNS | INTERNAL_COLUMNS)


def test_search_units_finds_id_address_and_business(reg):
    frame = stats.status_at(reg, AT)
    assert list(search_units(frame, "s-0003")["unit_id"]) == ["S-0003"]
    assert len(search_units(frame, "Eisenbahnstraße")) > 1
    name = frame["business_name"].dropna().iloc[0]
    assert name in set(search_units(frame, name.upper()[2:])["business_name"])
    assert search_units(frame, "  ").empty


def test_public_frame_drops_personal_and_internal_columns(reg):
    frame = public_frame(stats.status_at(reg, AT).assign(note="x", recorded_by="y"))
    assert not set(frame.columns) & INTERNAL_COLUMNS


# -- import and export ------------------------------------------------------------------------------

BAD_CSV = (
    "Straße;Hausnummer;PLZ;Status;Datum;lat;lon\n"
    "Eisenbahnstraße;300;04315;leerr;01.02.2024;51.3456;12.4001\n"
    "Eisenbahnstraße;301;04315;leer;01.02.2099;51.3457;12.4002\n"
).encode()

GOOD_CSV = (
    "Straße;Hausnummer;PLZ;Status;Datum;Betrieb;lat;lon\n"
    "Eisenbahnstraße;300;04315;genutzt;01.02.2024;Neue Bäckerei;51.3456;12.4001\n"
).encode()


@pytest.fixture
def store_path(tmp_path):
    return synthetic_store(tmp_path / "reg.gpkg", n=60)


def test_plan_upload_reports_bad_rows_and_writes_nothing(store_path):
    before = digest(store_path)
    register = open_store(store_path).read()
    plan = plan_upload(register, data=BAD_CSV, name="liste.csv")
    assert not plan.accepted
    frame = plan.report.to_frame()
    assert list(frame.columns) == ["Zeile", "Spalte", "Wert", "Grund", "Art"]
    assert {2, 3} <= set(frame["Zeile"].dropna().astype(int))
    assert plan.report.file == "liste.csv"
    assert digest(store_path) == before


def test_plan_upload_reads_server_side_paths(store_path, tmp_path):
    source = tmp_path / "netz.csv"
    source.write_bytes(BAD_CSV)
    register = open_store(store_path).read()
    assert not plan_upload(register, path=source).accepted
    with pytest.raises(InputError, match="nicht gefunden"):
        plan_upload(register, path=tmp_path / "fehlt.csv")
    with pytest.raises(InputError, match="nicht unterstützt"):
        plan_upload(register, data=b"x", name="liste.pdf")


def test_import_upload_adds_rows(tmp_path):
    # a real register: a store flagged as demo refuses imports
    store = open_store(synthetic_store(tmp_path / "echt.gpkg", n=60, demo=False))
    n_obs = len(store.read().observations)
    plan = plan_upload(store.read(), data=GOOD_CSV, name="gut.csv")
    assert plan.accepted and plan.report.units_added == 1
    report = import_upload(store, data=GOOD_CSV, name="gut.csv")
    assert report.units_added == 1
    assert len(store.read().observations) == n_obs + 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg"])
def test_export_bytes_public_has_no_personal_data(reg, fmt):
    public = export_bytes(reg, fmt=fmt, at=AT, public=True, headers="en")  # the register's field names
    internal = export_bytes(reg, fmt=fmt, at=AT, public=False, headers="en")
    assert public and internal
    if fmt == "csv":
        header_public = public.decode("utf-8-sig").splitlines()[0].split(";")
        header_internal = internal.decode("utf-8-sig").splitlines()[0].split(";")
        assert not set(header_public) & INTERNAL_COLUMNS
        assert "owner_name" in header_internal
    if fmt == "xlsx":
        sheet = pd.read_excel(io.BytesIO(public), sheet_name="Einheiten")
        assert not set(sheet.columns) & INTERNAL_COLUMNS


def test_export_name_names_area_date_and_kind():
    name = export_name(Filters(quarter="Grünau", at=AT), "csv", public=True)
    assert name == "leerstand_gruenau_2024-01-01_oeffentlich.csv"


# -- charts ----------------------------------------------------------------------------------------


def test_charts_build_small_specs(reg):
    tl = stats.timeline(reg, freq="year", start="2016-01-01", end=AT, by="quarter")
    spec = charts.vacancy_rate_chart(tl).to_dict()
    assert spec["mark"]["type"] == "line" and spec["encoding"]["y"]["field"] == "Leerstandsquote"
    events = charts.events_chart(stats.timeline(reg, freq="year", start="2016-01-01", end=AT)).to_dict()
    assert events["mark"]["type"] == "bar"
    spells = stats.vacancy_spells(reg, at=AT)
    bins = stats.duration_bins(spells, bin_months=6)
    assert int(bins[["ongoing", "ended"]].to_numpy().sum()) == len(spells)
    histogram = charts.duration_histogram(spells).to_dict()
    shown = histogram["datasets"][histogram["data"]["name"]]
    assert sum(r["Anzahl"] for r in shown) == len(spells) and {r["Stand"] for r in shown} <= {"laufend", "beendet"}
    charts.duration_histogram(spells).to_dict()
    timeline = charts.unit_timeline_chart(reg.unit_history("S-0002"), until=AT).to_dict()
    assert timeline["mark"]["type"] == "bar"
    counts = charts.change_counts(stats.compare(reg, before="2019-01-01", after=AT))
    assert counts["Einheiten"].sum() == len(reg.units)


def test_view_map_data_follows_the_filters(reg):
    f = Filters(quarter="Grünau", at=AT, since=date(2023, 1, 1))
    sub = apply_filters(reg, f)
    data = view_map_data(sub, f)
    assert data.units.n == len(sub.units)
    assert data.demo and data.legend_title == "Status am 01.01.2024"
    settled = stats.events(sub, kind="settlement", start=date(2023, 1, 1), end=AT)
    assert data.settlements_count == settled["unit_id"].nunique()
    assert view_map_data(sub, f, settlements=False).settlements is None


def test_compare_map_data_checks_the_order_of_dates(reg):
    data, table = compare_map_data(reg, before=date(2020, 1, 1), after=AT)
    assert data.units.n == len(table) == len(reg.units)
    assert "geometry" not in table
    with pytest.raises(InputError, match="vor"):
        compare_map_data(reg, before=AT, after=date(2020, 1, 1))


def test_period_helpers(reg):
    assert first_observation(reg) == reg.observations["observed_on"].min().date()
    spells = spells_between(reg, start=date(2020, 1, 1), end=AT)
    assert (spells["start"] >= pd.Timestamp("2020-01-01")).all() and len(spells)
    tl = stats.timeline(reg, freq="year", start="2020-01-01", end=AT)
    text = events_summary(tl)
    assert text.startswith("Im Zeitraum: ") and f"{int(tl['new_settlements'].sum())} Neuansiedlungen" in text


# -- the review of the screenshots: zero deltas, German labels and numbers, downloads -------------------


def test_a_zero_change_is_neutral(reg):
    for fig in key_figures(reg, at=AT):
        if fig.delta is not None and fig.delta.startswith("±"):
            assert fig.delta_color == "off" and fig.delta_arrow == "off", fig
        else:
            assert fig.delta_arrow == "auto", fig
    zero = _neutral_zero(KeyFigure("x", "1", "±0", "inverse", ""))
    assert (zero.delta_color, zero.delta_arrow) == ("off", "off")
    assert _neutral_zero(KeyFigure("x", "1", "+1", "inverse", "")).delta_color == "inverse"


def test_counts_note_explains_register_versus_key_figure(reg):
    counts = register_counts(reg, at=AT)
    row = stats.stats(reg, at=AT).iloc[0]
    assert counts.known == row["units"]
    assert counts.total == len(reg.units)
    assert counts.known + counts.demolished + counts.unknown + counts.unobserved == counts.total
    assert counts.demolished == row["demolished"] and counts.unknown == row["unknown"]
    note = counts_note(reg, at=AT)
    assert note.startswith(f"{formats.fmt_int(len(reg.units))} Einheiten in der Auswahl, davon {formats.fmt_int(row['units'])}")
    help_text = next(f.help for f in key_figures(reg, at=AT) if f.label == "Gewerbeeinheiten")
    assert f"Im Register: {formats.fmt_int(len(reg.units))} Einheiten" in help_text


def test_sector_labels_are_german():
    assert sector_text("health") == "Gesundheit"
    assert sector_text("craft") == "Handwerk"
    assert sector_text("g") == "G Handel, Kfz-Reparatur"
    assert sector_text(None) == "–" and sector_text("") == "–"
    assert sector_text("Bäckerei") == "Bäckerei"


def test_history_table_has_no_none_and_german_sectors(reg):
    uid = reg.observations["unit_id"].value_counts().index[0]
    table = history_table(reg, uid, public=False)
    text = table.drop(columns=["Neuansiedlung", "ersetzt"])
    assert not text.isna().any().any()
    assert "None" not in text.to_string() and "nan" not in text.to_string()
    assert "–" in set(table["Branche"])  # the synthetic register has no sectors
    with_sector = reg.subset(reg.units["unit_id"] == uid)
    with_sector.observations = with_sector.observations.assign(sector="health")
    assert set(history_table(with_sector, uid, public=True)["Branche"]) == {"Gesundheit"}


def test_unit_details_show_german_sector(reg):
    frame = stats.status_at(reg, AT)
    uid = frame["unit_id"].iloc[0]
    assert unit_details(frame.assign(sector="craft"), uid, public=True).sector == "Handwerk"
    assert unit_details(frame.assign(sector="I"), uid, public=True).sector == "I Gastgewerbe"
    assert unit_details(frame.assign(sector=None), uid, public=True).sector == "–"


def test_unit_details_rows_carry_the_german_labels_in_display_order(reg):
    frame = stats.status_at(reg, AT)
    vacant = frame.loc[frame["vacant_days"].notna(), "unit_id"].iloc[0]
    occupied = frame.loc[frame["status"] == "occupied", "unit_id"].iloc[0]
    details = unit_details(frame, vacant, public=False)
    assert [label for label, _ in details.unit_rows()] == [
        "Kennung", "Adresse", "Lage", "Fläche", "Nutzungsart", "Ortsteil", "Quartier"
    ]
    assert [label for label, _ in details.state_rows()] == [
        "Status", "seit", "Betrieb", "Branche", "zuletzt beobachtet", "Sicherheit", "Leerstandsdauer"
    ]
    assert dict(details.unit_rows())["Kennung"] == vacant and details.vacancy_duration is not None
    assert [label for label, _ in details.contact.rows()] == ["Eigentümer/in", "Ansprechperson", "Telefon", "E-Mail"]
    settled = unit_details(frame, occupied, public=True)
    assert settled.vacancy_duration is None and "Leerstandsdauer" not in dict(settled.state_rows())
    assert settled.contact is None and len(settled.texts()) == 13


def test_markdown_table_escapes_user_input():
    text = markdown_table(("Merkmal", "Wert"), [("Betrieb", "A|B *fett* _x_ <b>[link](y)"), ("leer", None), ("", "")])
    lines = text.splitlines()
    assert lines[:2] == ["| Merkmal | Wert |", "|:--|:--|"] and len(lines) == 5
    assert lines[2] == r"| Betrieb | A\|B \*fett\* \_x\_ \<b\>\[link\](y) |"
    assert lines[3] == "| leer | – |" and lines[4] == "|  |  |"


def test_german_style_uses_decimal_comma():
    frame = pd.DataFrame({"Ort": ["A", "B"], "n": [1234, 5], "Quote": [12.345, None]})
    html = german_style(frame, {"Quote": "{:.1f} %"}).to_html()
    assert "1.234" in html and "12,3 %" in html and "–" in html


def test_charts_have_the_german_locale_and_big_text_for_the_projector(reg):
    tl = stats.timeline(reg, freq="year", start="2016-01-01", end=AT, by="quarter")
    spec = charts.vacancy_rate_chart(tl).to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["locale"]["number"]["percent"] == "\u00a0%"
    assert spec["config"]["locale"]["time"]["months"][6] == "Juli"
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
    assert "axis" not in spec["config"] or "labelFontSize" not in spec["config"]["axis"]
    big = charts.events_chart(stats.timeline(reg, freq="year", start="2016-01-01", end=AT), presentation=True).to_dict()
    assert big["config"]["axis"]["labelFontSize"] == charts.FONT_SIZES[True] > charts.FONT_SIZES[False]
    assert big["config"]["legend"]["labelFontSize"] == charts.FONT_SIZES[True]
    unit = charts.unit_timeline_chart(reg.unit_history("S-0002"), until=AT).to_dict()
    assert unit["encoding"]["x"]["axis"]["format"] == "%Y"
    assert unit["autosize"] == {"type": "fit-x", "contains": "padding"}  # legend not clipped
    assert set(unit["encoding"]["color"]["legend"]["values"]) <= set(STATUS_LABELS.values())


@pytest.mark.parametrize("kind", list(FIGURE_STEMS))
def test_figures_for_download(reg, kind):
    from geo.outputs.figures import figure_bytes

    f = Filters(quarter="Grünau", at=AT)
    sub = apply_filters(reg, f)
    fig = figure_for(kind, sub, f, start=date(2018, 1, 1), by="ortsteil", before=date(2022, 1, 1))
    png = figure_bytes(fig, fmt="png", dpi=60)
    assert png.startswith(b"\x89PNG")
    assert b"<svg" in figure_bytes(fig, fmt="svg")[:400]
    assert figure_name(kind, f, "svg") == f"{FIGURE_STEMS[kind]}_gruenau_2024-01-01.svg"


def test_figure_for_refuses_unknown_kinds_and_wrong_dates(reg):
    with pytest.raises(InputError, match="unbekannt"):
        figure_for("torte", reg, Filters(at=AT))
    with pytest.raises(InputError, match="vor"):
        figure_for("change_map", reg, Filters(at=AT), before=AT, after=date(2020, 1, 1))


def test_compare_map_data_is_unclustered_with_unchanged_hidden(reg):
    data, _ = compare_map_data(reg, before=date(2020, 1, 1), after=AT)
    assert not data.cluster
    assert [data.units.categories[i].code for i in data.hidden] == ["unchanged"]


def test_sector_choices_offer_use_classes_and_wz_sections_and_keep_free_text():
    codes = sector_choices("craft")
    assert codes[:2] == ["retail", "food"] and "craft" in codes and "G" in codes
    assert sector_choices("Späti-Kette")[0] == "Späti-Kette"
    assert sector_text("craft") == "Handwerk"
