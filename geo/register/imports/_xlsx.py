"""Reading XLSX workbooks: the first sheet, stored formula results, formulas without one reported.

Plumbing of :mod:`geo.register.imports.read`.
"""

from __future__ import annotations

import posixpath
import re
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from geo import settings
from geo.errors import InputError
from geo.register.imports._limits import check_archive, check_row_count
from geo.register.imports._table import RawTable, as_text, cell_text, shorten
from geo.register.imports.columns import header_names
from geo.register.imports.report import FormulaIssue, RowIssue

#: Errors openpyxl and the XML/zip layers raise on damaged workbooks (it has no error class).
_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    EOFError,
    SyntaxError,  # xml.etree.ElementTree.ParseError, lxml's XMLSyntaxError
    OverflowError,
    RecursionError,
    NotImplementedError,  # zipfile: unsupported compression or version
    zipfile.BadZipFile,
    zlib.error,
)


def read_xlsx(p: Path) -> RawTable:
    """Read the first sheet of an XLSX workbook (stored formula results; formulas without one reported)."""
    not_xlsx = InputError(
        f"'{p.name}' ist keine Excel-Datei im .xlsx-Format. Bitte in Excel öffnen und als "
        "'Excel-Arbeitsmappe (.xlsx)' speichern (alte .xls-Dateien und umbenannte Dateien "
        "gehen nicht)."
    )
    if not zipfile.is_zipfile(p):
        raise not_xlsx
    try:
        with zipfile.ZipFile(p) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise not_xlsx
            check_archive(p, archive)
            sheet_path = _first_sheet_path(archive)
            formulas = _formula_cells_without_value(archive, sheet_path) if sheet_path else []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles, dates out of range, ...
            book = openpyxl.load_workbook(p, read_only=True, data_only=True, keep_links=False)
            try:
                sheets = list(book.sheetnames)
                if not sheets:
                    raise not_xlsx
                sheet = book[sheets[0]]
                if not hasattr(sheet, "iter_rows"):
                    raise InputError(
                        f"Das erste Blatt '{sheets[0]}' von '{p.name}' ist ein Diagramm, keine "
                        "Tabelle. Bitte die Liste als erstes Tabellenblatt speichern."
                    )
                sheet.reset_dimensions()  # files not saved by Excel may state a wrong size
                rows = _sheet_rows(sheet, p.name)
            finally:
                book.close()
    except InputError:
        raise
    except _XLSX_ERRORS as exc:
        raise InputError(
            f"'{p.name}' lässt sich nicht als Excel-Datei lesen ({type(exc).__name__}). "
            "Bitte in Excel öffnen, prüfen und erneut als .xlsx speichern."
        ) from exc
    notes = [f"Excel-Tabellenblatt '{sheets[0]}' gelesen."]
    if len(sheets) > 1:
        others = ", ".join(f"'{s}'" for s in sheets[1:])
        notes.append(f"Weitere Tabellenblätter nicht gelesen: {others}.")
    if not rows:
        raise InputError(
            f"Das Tabellenblatt '{sheets[0]}' von '{p.name}' ist leer. Bitte die Liste ins erste "
            "Tabellenblatt schreiben."
        )
    header_row, header_cells = rows[0]
    width = max(len(values) for _, values in rows)
    labels = [(cell_text(v) or "").strip() for v in header_cells] + [""] * (width - len(header_cells))
    names = header_names(labels, p.name)
    data = [list(values) + [None] * (width - len(values)) for _, values in rows[1:]]
    raw = pd.DataFrame(data, columns=pd.Index(range(width)), dtype=object)
    frame = pd.DataFrame({names[i]: as_text(raw[i]) for i in range(width)}, index=raw.index)
    frame["_row"] = np.array([r for r, _ in rows[1:]], dtype="int64")
    issues: list[RowIssue] = []
    for row, col, formula in formulas:
        cell = f"{get_column_letter(col)}{row}"
        if row == header_row:
            raise InputError(
                f"Die Spaltenüberschrift in Zelle {cell} von '{p.name}' ist eine Formel ohne "
                "gespeichertes Ergebnis. Bitte die Datei in Excel öffnen und speichern oder die "
                "Überschrift als Text eintragen."
            )
        if row > header_row:
            issues.append(
                FormulaIssue(
                    row=row,
                    column=names[col - 1] if col <= len(names) else None,
                    value=shorten(formula),
                    reason=(
                        f"Zelle {cell} enthält eine Formel ohne gespeichertes Ergebnis (die Datei "
                        "wurde von einem Programm geschrieben, nicht mit Excel gespeichert); der Wert "
                        "fehlt und bleibt leer. Bitte die Datei in Excel öffnen und speichern oder den "
                        "Wert statt der Formel eintragen"
                    ),
                    severity="warning",
                )
            )
    return RawTable(frame, p.name, tuple(notes), tuple(issues))


def _sheet_rows(sheet: Any, name: str) -> list[tuple[int, tuple[Any, ...]]]:
    """Non-blank rows of a worksheet as ``(row number, values)``; stops beyond the row limit."""
    rows: list[tuple[int, tuple[Any, ...]]] = []
    limit = settings.max_import_rows + 1  # plus the header
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        filled = [
            i for i, v in enumerate(values) if v is not None and not (isinstance(v, str) and not v.strip())
        ]
        if filled:
            rows.append((number, tuple(values[: filled[-1] + 1])))  # empty (styled) cells at the end dropped
            if len(rows) > limit:
                check_row_count(name, len(rows) - 1, more=True)
    return rows


def _local(tag: str) -> str:
    """XML tag or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """Path of the first worksheet's XML inside an XLSX archive, or None when not found."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    sheet = next((e for e in book.iter() if _local(e.tag) == "sheet"), None)
    if sheet is None:
        return None
    rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if not target:
        return None
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return path if path in archive.namelist() else None


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _formula_cells_without_value(archive: zipfile.ZipFile, path: str) -> list[tuple[int, int, str]]:
    """Cells of a worksheet that hold a formula but no stored result.

    Excel stores the last result of every formula (``<v>``); files written by
    other programs often do not (no or an empty ``<v>``), and reading values
    then gives nothing. The
    sheet is scanned for formulas first (fast), and parsed only when it has some.

    Returns
    -------
    list of tuple
        ``(row, column, formula)``, 1-based, formula with a leading ``=``.
    """
    with archive.open(path) as handle:
        tail = b""
        while chunk := handle.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                break
            tail = chunk[-64:]
        else:
            return []
    found: list[tuple[int, int, str]] = []
    row, col = 0, 0
    with archive.open(path) as handle:
        for event, elem in ElementTree.iterparse(handle, events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "row":
                    r = elem.get("r")
                    row = int(r) if r and r.isdigit() else row + 1
                    col = 0
                continue
            if tag == "c":
                ref = elem.get("r")
                col = _column_index(ref) if ref else col + 1
                children = {_local(child.tag): child for child in elem}
                formula, value = children.get("f"), children.get("v")
                # an empty <v/> is a stored empty text only for text results (t="str")
                stored = "is" in children or (
                    value is not None and (bool(value.text) or elem.get("t") == "str")
                )
                if formula is not None and not stored:
                    found.append((row, col, "=" + (formula.text or "(geteilte Formel)")))
                elem.clear()
            elif tag == "row":
                elem.clear()
    return found


def _column_index(ref: str) -> int:
    """1-based column of a cell reference such as ``AB12``."""
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index
