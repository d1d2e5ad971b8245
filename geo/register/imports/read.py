"""Reading lists of units (stage 1 of an import): files to a :class:`RawTable` of text values.

:func:`read` checks the file (exists, type, size limits), lets the reader of
its format turn it into text values (:mod:`._csv`, :mod:`._xlsx`,
:mod:`._vector`) and tidies the result: blank rows dropped, empty columns
without a header dropped, header labels checked for a wrong encoding.
:func:`read_table` gives only its frame.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.register.imports._csv import read_csv
from geo.register.imports._limits import check_file_size, check_row_count
from geo.register.imports._table import MOJIBAKE_RE, RawTable, mojibake_hint, shorten
from geo.register.imports._vector import (
    GEOJSON_EXTENSIONS,
    GPKG_EXTENSIONS,
    SHAPE_EXTENSIONS,
    SUPPORTED,
    read_vector,
)
from geo.register.imports._xlsx import read_xlsx
from geo.register.imports.columns import UNNAMED_RE

__all__ = ["RawTable", "read", "read_table"]

_CSV_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
_XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})


def read(path: str | Path) -> RawTable:
    """Read a list of units into a :class:`RawTable` of raw text values.

    Parameters
    ----------
    path
        CSV (``;``, ``,`` or tab separated; UTF-8 with or without BOM, or
        Windows-1252, line by line), XLSX (first sheet), GeoJSON, GeoPackage
        (first layer) or zipped Shapefile. The extension decides the reader.

    Returns
    -------
    RawTable
        One row per data row or feature (see :class:`RawTable`), with the
        notes, issues and count of unread rows found while reading.

    Raises
    ------
    geo.errors.InputError
        If the file is missing, empty, of an unsupported type, not what its
        extension says, has no readable data row or exceeds a limit of
        :mod:`geo.settings` (``max_import_bytes``, ``max_import_rows``,
        ``max_expanded_bytes``, ``max_expansion_ratio``).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"Die Datei '{p}' gibt es nicht. Bitte Pfad und Dateinamen prüfen.")
    if p.is_dir():
        raise InputError(f"'{p}' ist ein Ordner, keine Datei. Bitte die Datei selbst angeben.")
    ext = p.suffix.lower()
    if ext == ".xls":
        raise InputError(
            f"'{p.name}' ist im alten Excel-Format (.xls). Bitte in Excel öffnen und als "
            "'Excel-Arbeitsmappe (.xlsx)' oder als CSV speichern."
        )
    known = _CSV_EXTENSIONS | _XLSX_EXTENSIONS | GEOJSON_EXTENSIONS | GPKG_EXTENSIONS
    if ext not in known | SHAPE_EXTENSIONS:
        raise InputError(
            f"Der Dateityp '{ext or '(ohne Endung)'}' von '{p.name}' wird nicht unterstützt. "
            f"Bitte als {SUPPORTED} speichern."
        )
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"Die Datei '{p.name}' ist leer (0 Byte). Bitte die richtige Datei wählen.")
    if ext == ".shp":
        size += sum(s.stat().st_size for s in (p.with_suffix(".dbf"), p.with_suffix(".shx")) if s.is_file())
    check_file_size(p, size)
    if ext in _CSV_EXTENSIONS:
        table = read_csv(p)
    elif ext in _XLSX_EXTENSIONS:
        table = read_xlsx(p)
    else:
        table = read_vector(p, ext)
    table = _tidy(table)
    if len(table.frame) == 0:
        errors = [i for i in table.issues if i.severity == "error"]
        if errors:
            shown = " ".join(f"{i.to_text()}." for i in errors[:5])
            more = f" (und {len(errors) - 5} weitere)" if len(errors) > 5 else ""
            raise InputError(
                f"Die Datei '{p.name}' enthält keine lesbare Datenzeile: {shown}{more} "
                "Bitte die Datei korrigieren."
            )
        raise InputError(
            f"Die Datei '{p.name}' enthält keine Datenzeilen (höchstens eine Kopfzeile). "
            "Bitte eine Liste mit mindestens einer Einheit wählen."
        )
    return table


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a list of units into a frame of raw values (:attr:`RawTable.frame` of :func:`read`).

    Parameters
    ----------
    path
        See :func:`read`.

    Returns
    -------
    pandas.DataFrame
        One row per data row or feature. Attribute values are text (missing
        values NaN; never the text "nan", "None" or "NaT"). Vector formats get
        float columns ``lon``/``lat`` from the geometry in EPSG:4326 (non-point
        geometries: a representative point). Column ``_row`` holds the row
        number the user sees: the spreadsheet row (CSV: the line) for CSV/XLSX
        (header is row 1), the feature number (from 1) for vector formats. The
        notes on how the file was read, the issues found while reading and the
        count of unreadable rows are fields of :func:`read`'s
        :class:`RawTable`, not of the frame.

    Raises
    ------
    geo.errors.InputError
        See :func:`read`.
    """
    return read(path).frame


def _tidy(table: RawTable) -> RawTable:
    """A freshly read table tidied: text stripped, blank rows and empty unnamed columns dropped.

    Raises
    ------
    geo.errors.InputError
        A header label is wrongly encoded (mojibake), or the table has more
        rows than :data:`geo.settings.max_import_rows`.
    """
    frame, name = table.frame, table.name  # the reader's fresh frame, tidied in place
    data_cols = [c for c in frame.columns if c != "_row"]
    for col in data_cols:
        label = str(col)
        if MOJIBAKE_RE.search(label) or "\ufffd" in label:
            raise InputError(
                f"Die Spaltenüberschrift '{shorten(label)}' in '{name}' ist falsch kodiert "
                f"({mojibake_hint(label)}): die Datei wurde mit einer anderen Zeichenkodierung "
                "gespeichert, als sie angibt. Bitte in Excel als 'CSV UTF-8' bzw. die Geodatei mit "
                "UTF-8 (Shapefile: mit .cpg-Datei) neu speichern."
            )
    text_cols = [c for c in data_cols if c not in ("lon", "lat") or frame[c].dtype.kind not in "f"]
    for col in text_cols:
        cleaned = frame[col].astype("str").str.strip()
        frame[col] = cleaned.mask(cleaned == "")
    empty_unnamed = [c for c in data_cols if UNNAMED_RE.fullmatch(str(c)) and frame[c].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    data_cols = [c for c in frame.columns if c != "_row"]
    blank = frame[data_cols].isna().all(axis=1) if data_cols else pd.Series(True, index=frame.index)
    frame = frame.loc[~blank].reset_index(drop=True)
    check_row_count(name, len(frame))
    return replace(table, frame=frame)
