"""Reading imports strictly (issue "Trust"): CSV structure, encodings, dates, limits, formulas.

Every test here failed on the reader before the issue: rows were shifted or swallowed,
mixed encodings stored mojibake, year 1 was a valid date, a 1 MB name was stored and
formulas without a stored result were read as empty without a word.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo import settings
from geo.errors import InputError
from geo.register.history import Register
from geo.register.imports import ImportPlan, plan_import, read, read_table
from geo.register.imports._table import cell_text as _cell_text

TODAY = date(2025, 6, 30)
HEADER = "Nr.;Straße;Hausnummer;Betrieb;Status;Datum;lon;lat\n"
ROWS = [
    "A-1;Eisenbahnstraße;66;Café Eins;genutzt;01.03.2025;12,403806;51,345528\n",
    "A-2;Eisenbahnstraße;31;Laden Zwei;leer;01.03.2025;12,399562;51,345978\n",
    "A-3;Torgauer Straße;80;Späti Drei;genutzt;01.03.2025;12,420571;51,347652\n",
]


def plan(path: Path, **kwargs) -> ImportPlan:
    empty = Register.empty()
    kwargs.setdefault("today", TODAY)
    return plan_import(path, units=empty.units, observations=empty.observations, **kwargs)


def write(tmp_path: Path, data: str | bytes, name: str = "liste.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def errors(result: ImportPlan) -> dict[int | None, list[str]]:
    out: dict[int | None, list[str]] = {}
    for issue in result.report.errors:
        out.setdefault(issue.row, []).append(issue.reason)
    return out


def frame_of(rows: dict[str, list], crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    n = len(next(iter(rows.values())))
    points = [Point(12.4038 + i * 1e-4, 51.3455) for i in range(n)]
    return gpd.GeoDataFrame(rows, geometry=points, crs="EPSG:4326").to_crs(crs)


def zipped_shapefile(tmp_path: Path, frame: gpd.GeoDataFrame, *, drop: tuple[str, ...] = (), **kw) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "einheiten.shp", **kw)
    archive = tmp_path / "einheiten.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in folder.iterdir():
            if part.suffix not in drop:
                zf.write(part, arcname=part.name)
    shutil.rmtree(folder)
    return archive


# -- 1. CSV structure ----------------------------------------------------------------


def test_extra_field_in_a_middle_row_is_that_rows_error_not_the_files(tmp_path):
    bad = "A-2;Eisenbahnstraße;31;Döner; Grill;leer;01.03.2025;12,399562;51,345978\n"
    path = write(tmp_path, HEADER + ROWS[0] + bad + ROWS[2])
    result = plan(path, on_error="skip")
    assert list(errors(result)) == [3]
    [reason] = errors(result)[3]
    assert "9 Felder, die Kopfzeile aber 8" in reason and "verschieben" in reason
    obs = result.observations.set_index("unit_id")
    assert sorted(obs.index) == ["A-1", "A-3"]  # the good rows are read as they are
    assert obs.loc["A-3", "business_name"] == "Späti Drei"
    assert result.report.rows_read == 3 and result.report.rows_rejected == 1


def test_extra_field_in_the_first_row_does_not_shift_the_columns(tmp_path):
    # pandas took the first column as the index here: every value moved one column
    bad = "A-1;Eisenbahnstraße;66;Café; Bar;genutzt;01.03.2025;12,403806;51,345528\n"
    path = write(tmp_path, HEADER + bad + ROWS[1])
    raw = read(path)
    table = raw.frame
    assert table["_row"].tolist() == [3]
    assert table.loc[0, "Nr."] == "A-2" and table.loc[0, "Status"] == "leer"
    [issue] = raw.issues
    assert issue.row == 2 and "Felder" in issue.reason
    assert not plan(path).accepted


def test_fewer_fields_than_the_header_are_an_error(tmp_path):
    path = write(tmp_path, HEADER + ROWS[0] + "A-2;Eisenbahnstraße;31;Laden Zwei;leer\n")
    [reason] = errors(plan(path))[3]
    assert "5 Felder, die Kopfzeile aber 8" in reason and "fehlen 3" in reason


def test_quote_closed_lines_later_does_not_swallow_the_next_row(tmp_path):
    swallow = (
        'A-2;Eisenbahnstraße;31;"Laden Zwei;leer;01.03.2025;12,399562;51,345978\n'
        'A-4;Eisenbahnstraße;33;Vier";leer;01.03.2025;12,399562;51,345978\n'
    )
    path = write(tmp_path, HEADER + ROWS[0] + swallow + ROWS[2])
    result = plan(path, on_error="skip")
    [issue] = result.report.errors
    assert (issue.row, issue.column) == (3, "Betrieb")
    assert "Zeile 3" in issue.reason and "Zeile 4" in issue.reason and "verschlucken" in issue.reason
    assert sorted(result.observations["unit_id"]) == ["A-1", "A-3"]
    assert result.new_units.set_index("unit_id").index.tolist() == ["A-1", "A-3"]


def test_quote_never_closed_names_the_rows_up_to_the_end(tmp_path):
    path = write(tmp_path, HEADER + ROWS[0] + 'A-2;Eisenbahnstraße;31;"Laden;leer\n' + ROWS[2])
    [issue] = plan(path).report.errors
    assert issue.row == 3 and "Dateiende" in issue.reason


def test_trailing_separator_on_every_line_is_harmless(tmp_path):
    with_header = HEADER.replace("\n", ";\n") + "".join(r.replace("\n", ";\n") for r in ROWS)
    rows_only = HEADER + "".join(r.replace("\n", ";\n") for r in ROWS)
    for name, text in (("a.csv", with_header), ("b.csv", rows_only)):
        result = plan(write(tmp_path, text, name))
        assert result.report.ok, (name, result.report.to_text())
        obs = result.observations.set_index("unit_id")
        assert obs.loc["A-2", "status"] == "vacant", name
        assert obs.loc["A-3", "business_name"] == "Späti Drei", name


def test_value_under_an_empty_trailing_header_is_an_error(tmp_path):
    text = HEADER.replace("\n", ";\n") + ROWS[0].replace("\n", ";\n") + ROWS[1].replace("\n", ";x\n")
    result = plan(write(tmp_path, text))
    [issue] = result.report.errors
    assert (issue.row, issue.column, issue.value) == (3, "Spalte 9 (ohne Überschrift)", "x")


def test_duplicate_header_of_a_field_is_refused(tmp_path):
    text = "Nr.;Status;Straße;Status;lon;lat\nA-1;leer;Eisenbahnstraße;genutzt;12,4038;51,3455\n"
    with pytest.raises(InputError, match=r"'Status' kommt in 'liste\.csv' zweimal vor \(Spalten 2 und 4\)"):
        read_table(write(tmp_path, text))


# -- 2. encodings and mojibake ----------------------------------------------------------


def test_mixed_utf8_and_cp1252_lines_are_each_decoded_with_a_warning(tmp_path):
    data = (HEADER + ROWS[0]).encode("utf-8") + ROWS[1].encode("cp1252") + ROWS[2].encode("utf-8")
    result = plan(write(tmp_path, data))
    units = result.new_units.set_index("unit_id")
    assert units.loc["A-1", "street"] == "Eisenbahnstraße"
    assert units.loc["A-2", "street"] == "Eisenbahnstraße"  # not "EisenbahnstraÃŸe"
    assert result.observations.set_index("unit_id").loc["A-3", "business_name"] == "Späti Drei"
    [warning] = result.report.warnings
    assert warning.row == 3 and "Windows-1252" in warning.reason
    assert any("Zeile 3 in Windows-1252" in n for n in result.report.notes)


#: Real names that look a little like mojibake but are not ("ß“" and "Ö–" are valid UTF-8 pairs).
LOOKALIKES = [
    "Groß“",
    "Ö–Laden",
    "Café »Blume«",
    "Åre Sushi",
    "ÇAY EVI",
    "Naïve",
    "Crème brûlée",
    "Ölmühle ©",
]


def test_mojibake_in_a_utf8_csv_is_rejected_by_field_and_real_names_pass(tmp_path):
    rows = [
        "A-1;EisenbahnstraÃŸe;66;Café Eins;genutzt;01.03.2025;12,403806;51,345528\n",
        "A-2;Eisenbahnstraße;31;Bäcker Ã¤;leer;01.03.2025;12,399562;51,345978\n",
        "A-3;Torgauer Straße;80;â€žSpätiâ€œ;genutzt;01.03.2025;12,420571;51,347652\n",
    ]
    rows += [
        f"B-{i};Eisenbahnstraße;{i};{name};genutzt;01.03.2025;12,4038;51,3455\n"
        for i, name in enumerate(LOOKALIKES)
    ]
    result = plan(write(tmp_path, HEADER + "".join(rows)), on_error="skip")
    found = {(i.row, i.column): i.reason for i in result.report.errors}
    assert set(found) == {(2, "Straße"), (3, "Betrieb"), (4, "Betrieb")}
    assert "'ÃŸ' statt 'ß'" in found[(2, "Straße")]
    assert "'â€ž' statt '„'" in found[(4, "Betrieb")]
    assert sorted(result.observations["business_name"]) == sorted(LOOKALIKES)


@pytest.mark.parametrize("fmt", ["xlsx", "geojson", "gpkg", "zip"])
def test_mojibake_is_rejected_in_every_format(tmp_path, fmt):
    values = {"Nr.": ["G-1", "G-2"], "Betrieb": ["StraÃŸen-Café", "Laden"], "Status": ["leer", "leer"]}
    if fmt == "xlsx":
        path = tmp_path / "liste.xlsx"
        book = openpyxl.Workbook()
        book.active.append(["Nr.", "Betrieb", "Status", "lon", "lat"])
        for i in range(2):
            book.active.append([values["Nr."][i], values["Betrieb"][i], "leer", 12.4038, 51.3455 + i * 1e-4])
        book.save(path)
    elif fmt == "zip":
        path = zipped_shapefile(tmp_path, frame_of({"Nr": values["Nr."], **values}).drop(columns="Nr."))
    else:
        path = tmp_path / f"liste.{fmt}"
        frame_of(values).to_file(path)
    result = plan(path)
    [issue] = result.report.errors
    assert (issue.row, issue.column, issue.value) == ((2 if fmt == "xlsx" else 1), "Betrieb", "StraÃŸen-Café")
    assert "falsch kodiert" in issue.reason


def test_shapefile_in_utf8_without_cpg_file_is_not_stored_as_mojibake(tmp_path):
    frame = frame_of({"Nr": ["S-1"], "Betrieb": ["Bäckerei"], "Status": ["leer"]})
    path = zipped_shapefile(tmp_path, frame, drop=(".cpg",), encoding="UTF-8")  # read as Latin-1
    [issue] = plan(path).report.errors
    assert issue.column == "Betrieb" and "falsch kodiert" in issue.reason and ".cpg" in issue.reason


# -- NaN never becomes text ------------------------------------------------------------


@pytest.mark.parametrize("value", [np.float32("nan"), pd.NA, np.datetime64("NaT")])
def test_missing_values_never_become_text(value):
    assert _cell_text(value) is None


def test_placeholder_texts_in_a_file_are_rejected(tmp_path):
    rows = [
        r.replace("Café Eins", "nan").replace("Laden Zwei", "None").replace("Späti Drei", "#NV") for r in ROWS
    ]
    result = plan(write(tmp_path, HEADER + "".join(rows)))
    reasons = [i.reason for i in result.report.errors]
    assert len(reasons) == 3 and all("Platzhalter" in r or "Excel-Fehlerwert" in r for r in reasons)


# -- 3. dates --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["01.01.0001", "1900-01-01", "31.12.1989", "01/1985", "01.01.85"])
def test_implausible_early_dates_are_rejected_naming_the_window(tmp_path, value):
    path = write(tmp_path, HEADER + ROWS[0].replace("01.03.2025", value))
    [issue] = plan(path).report.errors
    assert (issue.row, issue.column, issue.value) == (2, "Datum", value)
    assert "01.01.1990 bis heute (30.06.2025)" in issue.reason
    assert "settings.earliest_date" in issue.reason and "QM_EARLIEST_DATE" in issue.reason


def test_earliest_date_is_read_at_call_time(tmp_path, monkeypatch):
    path = write(tmp_path, HEADER + ROWS[0].replace("01.03.2025", "01.06.1999"))
    assert plan(path).report.ok
    monkeypatch.setattr(settings, "earliest_date", date(2000, 1, 1))
    [issue] = plan(path).report.errors
    assert "01.01.2000 bis heute" in issue.reason


def test_excel_date_cell_before_1990_is_rejected(tmp_path):
    path = tmp_path / "liste.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Nr.", "Status", "Datum", "lon", "lat"])
    book.active.append(["X-1", "leer", datetime(1900, 1, 1), 12.4038, 51.3455])
    book.save(path)
    [issue] = plan(path).report.errors
    assert (issue.column, issue.value) == ("Datum", "1900-01-01") and "nicht plausibel" in issue.reason


def test_as_of_before_the_earliest_date_is_refused(tmp_path):
    with pytest.raises(InputError, match="01.01.1980 liegt vor dem 01.01.1990"):
        plan(write(tmp_path, HEADER + ROWS[0]), as_of=date(1980, 1, 1))


# -- 9. limits -------------------------------------------------------------------------


def test_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "max_import_bytes", 100)
    with pytest.raises(
        InputError, match=r"erlaubt sind höchstens 100 Byte.*max_import_bytes.*QM_MAX_IMPORT_BYTES"
    ):
        read_table(write(tmp_path, HEADER + "".join(ROWS)))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg"])
def test_more_rows_than_the_limit_are_refused_before_reading(tmp_path, monkeypatch, fmt):
    if fmt == "csv":
        path = write(tmp_path, HEADER + "".join(ROWS))
    elif fmt == "xlsx":
        path = tmp_path / "liste.xlsx"
        book = openpyxl.Workbook()
        for row in [HEADER, *ROWS]:
            book.active.append(row.rstrip("\n").split(";"))
        book.save(path)
    else:
        path = tmp_path / "liste.gpkg"
        frame_of({"Nr.": ["G-1", "G-2", "G-3"]}).to_file(path)

        def no_reading(*args, **kwargs):
            raise AssertionError("features were read although the layer has too many")

        monkeypatch.setattr(pyogrio, "read_dataframe", no_reading)
    monkeypatch.setattr(settings, "max_import_rows", 2)
    with pytest.raises(InputError, match=r"höchstens 2 je Import.*max_import_rows.*QM_MAX_IMPORT_ROWS"):
        read_table(path)


def test_archive_expanding_beyond_the_limit_is_refused_from_its_directory(tmp_path, monkeypatch):
    path = tmp_path / "liste.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Nr.", "Status"])
    book.save(path)
    monkeypatch.setattr(settings, "max_expanded_bytes", 1000)
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("workbook was opened"))
    with pytest.raises(InputError, match=r"würde entpackt .*max_expanded_bytes.*QM_MAX_EXPANDED_BYTES"):
        read_table(path)


def test_zip_bomb_shapefile_is_refused_by_its_expansion_ratio(tmp_path):
    path = zipped_shapefile(tmp_path, frame_of({"Nr": ["S-1"], "Status": ["leer"]}))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("einheiten.txt", b"\0" * (20 * 1024 * 1024))  # 20 MB packed into about 20 kB
    with pytest.raises(InputError, match=r"-Fache.*max_expansion_ratio.*QM_MAX_EXPANSION_RATIO"):
        read_table(path)


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_huge_field_is_a_row_error(tmp_path, fmt):
    name = "Laden " + "x" * 1_000_000
    if fmt == "csv":
        path = write(tmp_path, HEADER + ROWS[0].replace("Café Eins", name) + ROWS[1])
        row = 2
    else:
        path = tmp_path / "liste.geojson"
        frame_of({"Nr.": ["G-1", "G-2"], "Betrieb": [name, "Laden"], "Status": ["leer", "leer"]}).to_file(
            path
        )
        row = 1
    result = plan(path, on_error="skip")
    [issue] = result.report.errors
    assert (issue.row, issue.column) == (row, "Betrieb")
    assert re.search(r"höchstens 2\.000|länger als", issue.reason) and "max_field_chars" in issue.reason
    assert len(issue.value) < 200  # the report quotes the start only
    assert result.observations["business_name"].str.len().max() < 100


def test_field_limit_is_read_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "max_field_chars", 5)
    [issue] = plan(write(tmp_path, HEADER + ROWS[0])).report.errors[:1]
    assert "höchstens 5 je Feld" in issue.reason


# -- 11. formulas in XLSX --------------------------------------------------------------


def _formula_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nr.", "Straße", "Hausnr.", "Status", "Datum", "Bemerkung", "lon", "lat"])
    sheet.append(["F-1", "Eisenbahnstraße", 66, '=IF(1,"leer","x")', "=TODAY()", "=A2&B2", 12.4038, 51.3455])
    sheet.append(["F-2", "Eisenbahnstraße", 31, "genutzt", datetime(2025, 3, 1), None, 12.3996, 51.3460])
    book.save(path)
    return path


def test_formulas_without_stored_result_are_reported_stored_results_are_values(tmp_path):
    path = _formula_book(tmp_path / "programm.xlsx")
    report = plan(path, on_error="skip").report
    found = {(i.row, i.column): (i.value, i.severity, i.reason) for i in report.issues}
    assert found[(2, "Status")][:2] == ('=IF(1,"leer","x")', "error")
    assert found[(2, "Datum")][:2] == ("=TODAY()", "error")
    assert found[(2, "Bemerkung")][:2] == ("=A2&B2", "warning")
    assert "Zelle D2" in found[(2, "Status")][2] and "ohne gespeichertes Ergebnis" in found[(2, "Status")][2]
    assert report.rows_rejected == 1 and report.observations_added == 1

    # the same file saved by Excel: every formula has its result stored, read as a value
    saved = tmp_path / "excel.xlsx"
    cached = {"D2": ('t="str"', "leer"), "E2": ('t="str"', "01.03.2025"), "F2": ('t="str"', "")}
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(saved, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                for cell, (kind, value) in cached.items():
                    text = re.sub(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/>',
                        lambda m, c=cell, k=kind, v=value: (
                            f'<c r="{c}"{m.group(1)} {k}><f>{m.group(2)}</f><v>{v}</v>'
                        ),
                        text,
                    )
                data = text.encode("utf-8")
            dst.writestr(item, data)

    result = plan(saved)
    assert result.report.ok and not result.report.warnings, result.report.to_text()
    obs = result.observations.set_index("unit_id")
    assert obs.loc["F-1", "status"] == "vacant"
    assert obs.loc["F-1", "observed_on"] == pd.Timestamp("2025-03-01")
