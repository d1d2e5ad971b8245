"""Each stage of the import pipeline on its own (issue "Restructure for the people who carry it on").

:func:`geo.register.imports.plan_import` runs read -> map_columns -> screen_texts /
exact_duplicates -> parse_rows -> match_units -> check_* -> plan_changes. Here every
stage is called directly with a small typed input built by hand, so a failure points
at one stage.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.errors import InputError
from geo.register.imports import plan_import, read_table
from geo.register.imports._table import RawTable
from geo.register.imports.columns import MappedTable, map_columns
from geo.register.imports.match import StoredRegister, match_units, stored_register
from geo.register.imports.parse import ParsedRows, parse_rows
from geo.register.imports.plan import plan_changes
from geo.register.imports.read import read
from geo.register.imports.report import FormulaIssue, Issues, RowIssue, row_issues
from geo.register.imports.validate import (
    check_locations,
    check_missing_coordinates,
    check_same_day,
    exact_duplicates,
    place_read_issues,
    screen_texts,
)
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS

TODAY = date(2025, 6, 30)
EISENBAHN_66 = (12.403806, 51.345528)
TORGAUER_80 = (12.420571, 51.347652)


# -- helpers -------------------------------------------------------------------------


def raw(columns: dict[str, list], *, rows: list[int] | None = None, issues=(), unread: int = 0) -> RawTable:
    """A raw table as a reader hands it on (text values, ``_row`` from 2)."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in columns.items()})
    frame["_row"] = np.array(rows or range(2, n + 2), dtype="int64")
    return RawTable(frame=frame, name="liste.csv", issues=tuple(issues), unread=unread)


def mapped(columns: dict[str, list], **kwargs) -> MappedTable:
    return map_columns(raw(columns, **kwargs))


def parsed(columns: dict[str, list]) -> tuple[MappedTable, ParsedRows]:
    table = mapped(columns)
    return table, parse_rows(table, as_of=None, today=TODAY)


def empty_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in UNIT_COLUMNS}, geometry=gpd.GeoSeries([], crs=4326), crs=4326
    )


def empty_obs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})


def empty_store() -> StoredRegister:
    return stored_register(empty_units(), empty_obs())


def one_unit(
    *, business: str = "Café Eins", superseded_by: str | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Stored unit A-1 at Eisenbahnstraße 66 with one observation (optionally corrected by a second)."""
    units = gpd.GeoDataFrame(
        {c: pd.Series([None], dtype=object) for c in UNIT_COLUMNS},
        geometry=gpd.GeoSeries([Point(*EISENBAHN_66)], crs=4326),
        crs=4326,
    )
    units["unit_id"] = ["A-1"]
    units["street"] = ["Eisenbahnstraße"]
    units["housenumber"] = ["66"]
    rows = [{"obs_id": 1, "unit_id": "A-1", "status": "occupied", "business_name": business}]
    if superseded_by is not None:
        rows.append({"obs_id": 2, "unit_id": "A-1", "status": "occupied", "business_name": superseded_by})
    obs = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in OBSERVATION_COLUMNS})
    obs["observed_on"] = pd.Timestamp("2025-01-10")
    obs["recorded_at"] = pd.Timestamp("2025-01-11")
    obs["supersedes"] = pd.array([None, 1][: len(rows)], dtype="Int64")
    return units, obs


def one_unit_store(**kwargs) -> StoredRegister:
    return stored_register(*one_unit(**kwargs))


def alive(n: int) -> pd.Series:
    return pd.Series(True, index=range(n))


# -- stage 1: read -------------------------------------------------------------------


def test_read_returns_a_raw_table_with_notes_and_issues_in_fields_not_attrs(tmp_path: Path):
    path = tmp_path / "liste.csv"
    path.write_text("Nr.;Status\nA-1;leer\nA-2;leer;zu viel\n", encoding="utf-8")
    table = read(path)
    assert isinstance(table, RawTable)
    assert table.frame.attrs == {}  # the pipeline never passes metadata in attrs
    assert table.frame["_row"].tolist() == [2] and table.frame.loc[0, "Nr."] == "A-1"
    assert table.name == "liste.csv" and table.unread == 1
    [issue] = table.issues
    assert issue.row == 3 and "3 Felder, die Kopfzeile aber 2" in issue.reason
    assert any("Semikolon" in n for n in table.notes)
    # read_table is the same frame, and carries no metadata either
    frame = read_table(path)
    assert frame.equals(table.frame) and frame.attrs == {}


def test_read_drops_blank_rows_and_empty_unnamed_columns(tmp_path: Path):
    path = tmp_path / "liste.csv"
    path.write_text("Nr.;;Status\nA-1;;leer\n;;\nA-2;; genutzt \n", encoding="utf-8")
    table = read(path)
    assert list(table.frame.columns) == ["Nr.", "Status", "_row"]
    assert table.frame["_row"].tolist() == [2, 4]
    assert table.frame["Status"].tolist() == ["leer", "genutzt"]


# -- stage 2: columns ----------------------------------------------------------------


def test_map_columns_assigns_fields_and_notes_unused_columns():
    table = mapped({"Nr.": ["A-1"], "Straße": ["Eisenbahnstr."], "Farbe": ["rot"], "lon": ["12,4"]})
    # a lone coordinate column is dropped from the mapping with a file error
    assert dict(table.mapping) == {"unit_id": "Nr.", "street": "Straße"}
    assert [i.row for i in table.file_issues] == [None]
    assert "keine Spalte für Breitengrad" in table.file_issues[0].reason
    assert any("'Farbe'" in n for n in table.notes)
    assert table.rows.tolist() == [2]


def test_map_columns_refuses_a_table_without_a_unit_column():
    with pytest.raises(InputError, match="weder Nr./unit_id noch Straße/Adresse"):
        mapped({"Farbe": ["rot"]})


# -- stage 3: screening and copies ---------------------------------------------------


def test_screen_texts_blanks_bad_texts_and_reports_them_without_changing_its_input():
    table = mapped({"Nr.": ["A-1", "A-2"], "Betrieb": ["StraÃŸe", "NULL"]})
    screened, issues = screen_texts(table)
    frame = issues.frame()
    assert frame["pos"].tolist() == [0, 1] and set(frame["column"]) == {"Betrieb"}
    assert "falsch kodiert" in frame.loc[0, "reason"] and "Platzhalter" in frame.loc[1, "reason"]
    assert screened.frame["Betrieb"].isna().all()
    assert table.frame["Betrieb"].tolist() == ["StraÃŸe", "NULL"]  # the input table is unchanged


def test_exact_duplicates_warns_at_the_copy_naming_the_first_row():
    table = mapped({"Nr.": ["A-1", "A-2", "A-1"], "Status": ["leer", "leer", "leer"]})
    dup, issues = exact_duplicates(table)
    assert dup.tolist() == [False, False, True]
    frame = issues.frame()
    assert frame["pos"].tolist() == [2] and frame["severity"].tolist() == ["warning"]
    assert "exakte Kopie von Zeile 2" in frame.loc[0, "reason"]


def test_place_read_issues_sorts_read_problems_into_rows_file_and_unread():
    formula = FormulaIssue(
        row=2, column="Status", value="=A1", reason="Formel ohne Ergebnis", severity="warning"
    )
    note = FormulaIssue(row=3, column="Notiz", value="=B1", reason="Formel ohne Ergebnis", severity="warning")
    unread = RowIssue(row=9, column=None, value=None, reason="Zeile nicht lesbar")
    table = mapped({"Nr.": ["A-1", "A-2"], "Status": ["leer", "leer"], "Notiz": ["x", "y"]})
    issues, file, lost = place_read_issues((formula, note, unread), table)
    frame = issues.frame()
    # a formula in a field that decides the observation is an error; elsewhere a warning
    assert frame[["pos", "severity"]].values.tolist() == [[0, "error"], [1, "warning"]]
    assert "ohne Status würde" in frame.loc[0, "reason"]
    assert file == () and lost == (unread,)


# -- stage 4: parse ------------------------------------------------------------------


def test_parse_rows_types_every_field_and_reports_unreadable_values():
    table, rows = parsed(
        {
            "Nr.": ["A-1", "A-2", "A-3"],
            "Adresse": ["Torgauer Str. 80 a", "Eisenbahnstraße 66", "Eisenbahnstraße 66"],
            "Status": ["leer", "leerr", None],
            "Datum": ["01.03.2025", "03/2025", "01.03.2099"],
            "Betrieb": [None, "Café", "Café"],
            "Fläche": ["1.200", "85,5 m²", "-3"],
            "lon": ["12,420571", "12,403806", "51,3"],
            "lat": ["51,347652", "51,345528", "12,4"],
        }
    )
    w = rows.frame
    assert w["street"].tolist() == ["Torgauer Straße", "Eisenbahnstraße", "Eisenbahnstraße"]
    assert w["housenumber"].tolist() == ["80a", "66", "66"]
    assert w["status"].tolist()[0] == "vacant" and w["status"].isna().tolist()[1:] == [True, True]
    assert w["status_final"].tolist() == ["vacant", "occupied", "occupied"]  # default with a business
    assert w["date"].tolist()[:2] == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-01")]
    assert w["floor_area_m2"].tolist()[:2] == [1200.0, 85.5] and np.isnan(w["floor_area_m2"].iloc[2])
    assert w["lon"].round(6).tolist()[:2] == [12.420571, 12.403806] and np.isnan(w["lon"].iloc[2])
    assert w["mx"].notna().tolist() == [True, True, False]
    assert rows.status_given.tolist() == [True, True, False]
    assert rows.coord_columns and not rows.date_defaulted.any()
    assert any("Monat" in n for n in rows.notes) and any("zerlegt" in n for n in rows.notes)
    errors = rows.issues.frame()
    by_column = dict(zip(errors["column"], errors["pos"], strict=True))
    assert by_column == {"lon/lat": 2, "Status": 1, "Datum": 2, "Fläche": 2}
    assert "vertauscht" in errors.loc[errors["column"] == "lon/lat", "reason"].iloc[0]


def test_parse_rows_takes_the_default_date_when_there_is_no_date_column():
    table = mapped({"Nr.": ["A-1"]})
    rows = parse_rows(table, as_of=date(2025, 1, 31), today=TODAY)
    assert rows.frame["date"].tolist() == [pd.Timestamp("2025-01-31")]
    assert rows.date_defaulted.tolist() == [True] and not rows.coord_columns


# -- stage 5: match ------------------------------------------------------------------


def test_stored_register_leaves_out_superseded_observations():
    stored = one_unit_store(business="Alter Name", superseded_by="Neuer Name")
    assert stored.observations["business_name"].tolist() == ["Neuer Name"]
    assert stored.units["addr_key"].tolist() == ["eisenbahnstrasse|66"]
    assert stored.units["mx"].notna().all()


def test_match_units_by_number_by_address_and_new():
    _, rows = parsed(
        {
            "Nr.": ["A-1", None, None, "B-7"],
            "Straße": ["x", "Eisenbahnstr.", "Torgauer Straße", None],
            "Hausnummer": ["1", "66", "80", None],
        }
    )
    matched = match_units(rows, one_unit_store(), alive(4))
    w = matched.frame
    assert w["match"].tolist()[:2] == ["A-1", "A-1"]  # by number, and by address
    assert w["is_new"].tolist() == [False, False, True, True]
    assert w["unit"].tolist()[2:] == ["adr:torgauer strasse|80", "id:B-7"]
    assert any("2 Zeilen vorhandenen Einheiten zugeordnet" in n for n in matched.notes)
    assert "status_final" in w and "key" not in rows.frame  # the parsed stage is unchanged


def test_match_units_reports_rows_that_name_no_unit():
    _, rows = parsed({"Straße": ["Eisenbahnstraße", None], "Status": ["leer", "leer"]})
    matched = match_units(rows, empty_store(), alive(2))
    frame = matched.issues.frame()
    assert frame["pos"].tolist() == [1] and "weder Einheiten-Nr. noch Adresse" in frame.loc[0, "reason"]


# -- stage 6: checks across rows ------------------------------------------------------


def test_check_same_day_keeps_agreeing_rows_once_and_rejects_disagreeing_ones():
    table, rows = parsed(
        {
            "Nr.": ["A-1", "A-1", "B-1", "B-1"],
            "Status": ["leer", "leer", "leer", "genutzt"],
            "Datum": ["01.03.2025"] * 4,
        }
    )
    matched = match_units(rows, empty_store(), alive(4))
    obs_dup, issues = check_same_day(matched, table, alive(4))
    assert obs_dup.tolist() == [False, True, False, False]
    frame = issues.frame()
    assert frame[["pos", "severity"]].values.tolist() == [[1, "warning"], [2, "error"], [3, "error"]]
    assert "Widerspruch: Einheit 'B-1' steht am 01.03.2025 auch in Zeile 5" in frame.loc[1, "reason"]


def test_check_locations_against_the_file_and_the_store():
    table, rows = parsed(
        {
            "Nr.": ["A-1", "B-1", "B-1"],
            "lon": ["12,420571", "12,403806", "12,420571"],
            "lat": ["51,347652", "51,345528", "51,347652"],
        }
    )
    matched = match_units(rows, one_unit_store(), alive(3))
    frame = check_locations(matched, table, one_unit_store(), alive(3)).frame()
    assert frame["pos"].tolist() == [1, 2, 0]
    assert "hat in Zeile 4 einen anderen Ort" in frame.loc[0, "reason"]
    assert "vom gespeicherten Ort der Einheit 'A-1'" in frame.loc[2, "reason"]
    assert set(frame["column"]) == {"lon/lat"}


def test_check_missing_coordinates_for_new_units_only():
    _, rows = parsed({"Nr.": ["A-1", "N-1"]})
    matched = match_units(rows, one_unit_store(), alive(2))
    issues, file = check_missing_coordinates(matched, alive(2), coord_columns=rows.coord_columns)
    assert issues.frame()["pos"].tolist() == [1] and file == ()
    matched_new = match_units(rows, empty_store(), alive(2))
    _, file = check_missing_coordinates(matched_new, alive(2), coord_columns=False)
    assert len(file) == 1 and "keine Koordinatenspalten" in file[0].reason


# -- stage 7: plan and report ---------------------------------------------------------


def test_plan_changes_new_units_updates_and_unchanged_rows():
    table, rows = parsed(
        {
            "Nr.": ["A-1", "A-1", None],
            "Straße": ["Eisenbahnstraße", "Eisenbahnstraße", "Torgauer Straße"],
            "Hausnummer": ["66", "66", "80"],
            "Betrieb": ["Café Eins", "Café Eins", "Späti"],
            "Fläche": [None, "90", None],
            "Datum": ["10.01.2025", "01.03.2025", "01.03.2025"],
            "lon": [None, None, str(TORGAUER_80[0])],
            "lat": [None, None, str(TORGAUER_80[1])],
        }
    )
    stored = one_unit_store()
    matched = match_units(rows, stored, alive(3))
    changes = plan_changes(
        matched,
        rows,
        stored,
        alive(3),
        pd.Series(False, index=range(3)),
        source="liste.csv",
        recorded_by="test",
        as_of=None,
        today=TODAY,
    )
    assert changes.new_units["unit_id"].tolist() == ["QM-000001"]
    assert changes.unit_updates[["unit_id", "floor_area_m2"]].values.tolist() == [["A-1", 90.0]]
    # the first row repeats the stored state of A-1; the second only changes the area
    assert changes.unchanged == 2
    assert changes.observations["unit_id"].tolist() == ["QM-000001"]
    assert changes.observations["recorded_by"].tolist() == ["test"]
    assert any("Verlauf: 1 Einheit" in n for n in changes.notes)


def test_issues_are_immutable_and_row_issues_orders_by_row_then_severity():
    first = Issues().add([1], column="Status", value="x", reason="b", severity="warning")
    both = first.add([1, 0], column=None, value=None, reason=["a", "c"])
    assert len(first.frames) == 1 and len(both.frames) == 2
    assert both.error_mask(3).tolist() == [True, True, False]
    assert len(both.without_errors_at(np.array([1])).frame()) == 2
    issues = row_issues(both, np.array([5, 7, 9]))
    assert [(i.row, i.severity, i.reason) for i in issues] == [
        (5, "error", "c"),
        (7, "error", "a"),
        (7, "warning", "b"),
    ]


def test_pipeline_report_collects_the_notes_of_every_stage_in_order(tmp_path: Path):
    path = tmp_path / "liste.csv"
    path.write_text(
        "Nr.;Adresse;Datum;lon;lat\nA-1;Eisenbahnstraße 66;03/2025;12,403806;51,345528\n", encoding="utf-8"
    )
    report = plan_import(path, units=empty_units(), observations=empty_obs(), today=TODAY).report
    assert report.ok, report.to_text()
    order = [
        next(i for i, n in enumerate(report.notes) if key in n)
        for key in ("Semikolon", "Erkannte Spalten", "zerlegt", "nur mit Monat", "Stichtagsliste")
    ]
    assert order == sorted(order)


def test_business_names_are_compared_with_the_registers_name_key(tmp_path: Path):
    # one rule for "same business" (geo.text.name_key, as the register's settlement detection):
    # case, spacing, accents and umlaut spelling do not count
    path = tmp_path / "liste.csv"
    path.write_text(
        "Nr.;Betrieb;Datum\nA-1;Cafe Eins;01.03.2025\nA-1;CAFÉ  EINS;01.03.2025\n", encoding="utf-8"
    )
    units, obs = one_unit(business="Café Eins")
    result = plan_import(path, units=units, observations=obs, today=TODAY)
    assert result.report.ok, result.report.to_text()
    [warning] = result.report.warnings  # the second row repeats the first, no contradiction
    assert warning.row == 3 and "dieselbe Einheit am selben Datum" in warning.reason
    assert len(result.observations) == 0 and result.report.unchanged == 1  # the stored state
