"""Import lists of commercial units: read, validate and plan.

The office keeps its own lists (spreadsheets, CSV exports, GIS layers). This
module reads such a list, checks every row and works out what would have to
be added to the register: new units, changed unit attributes and new
observations. It never writes the store; the caller writes an
:class:`ImportPlan` in one transaction (or raises
:class:`geo.errors.ImportRejected` with the plan's report).

Two steps:

* :func:`read_table` turns a file into a frame of raw text values.
* :func:`plan_import` maps the columns, validates the rows, matches them to
  the stored units and compares them with the stored observations.

File-level problems raise :class:`geo.errors.InputError`; row-level problems
go into the :class:`ImportReport`. Messages are German because users read
them as they are.
"""

from __future__ import annotations

import csv
import json
import posixpath
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pyogrio.errors
import pyproj.exceptions
import shapely
from openpyxl.utils import get_column_letter
from pyproj import Transformer

from geo import settings
from geo.errors import InputError
from geo.register import _columns as cols
from geo.register.model import OBSERVATION_COLUMNS, STATUS_LABELS, UNIT_COLUMNS

__all__ = ["ImportPlan", "ImportReport", "RowIssue", "plan_import", "read_table"]

OnError = Literal["reject", "skip"]

_CSV_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
_XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
_GEOJSON_EXTENSIONS = frozenset({".geojson", ".json"})
_GPKG_EXTENSIONS = frozenset({".gpkg"})
_SHAPE_EXTENSIONS = frozenset({".zip", ".shp"})
_SUPPORTED = (
    "CSV (.csv), Excel (.xlsx), GeoJSON (.geojson), GeoPackage (.gpkg) oder gezipptes Shapefile (.zip)"
)

#: Unit attributes an import may set or change (besides the location).
UNIT_ATTRIBUTES: tuple[str, ...] = (
    "street",
    "housenumber",
    "postcode",
    "address_note",
    "position",
    "floor_area_m2",
    "use_class",
    "owner_name",
    "contact_person",
    "contact_phone",
    "contact_email",
)

#: Columns of :attr:`ImportPlan.observations`.
PLAN_OBSERVATION_COLUMNS: tuple[str, ...] = tuple(
    c for c in OBSERVATION_COLUMNS if c not in {"obs_id", "recorded_at", "import_id"}
)

_PYOGRIO_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
)


# -- report ----------------------------------------------------------------------


@dataclass
class RowIssue:
    """One problem found in one row (or in the whole file when ``row`` is None).

    Attributes
    ----------
    row
        Row number as the user sees it (spreadsheet row; feature number for
        vector files); None for problems of the whole file.
    column
        Column name as in the file, if the problem belongs to one.
    value
        The offending value as text.
    reason
        German explanation, including what is allowed.
    severity
        ``"error"`` (the row is not imported) or ``"warning"``.
    """

    row: int | None
    column: str | None
    value: str | None
    reason: str
    severity: Literal["error", "warning"] = "error"

    def to_text(self) -> str:
        """One German line: ``Zeile 7, Spalte 'Status', Wert 'leerr': ...``."""
        parts = [f"Zeile {self.row}" if self.row is not None else "Datei"]
        if self.column is not None:
            parts.append(f"Spalte '{self.column}'")
        if self.value is not None:
            parts.append(f"Wert '{self.value}'")
        return ", ".join(parts) + f": {self.reason}"


@dataclass
class ImportReport:
    """What an import found and what it would do.

    Attributes
    ----------
    file
        The imported file as given.
    mode
        ``"reject"`` or ``"skip"``.
    rows_read
        Data rows in the file (blank rows not counted).
    issues
        Errors and warnings, ordered by row.
    notes
        German notes on the rules applied (defaults, ignored columns, ...).
    units_added
        New units in the plan.
    units_updated
        Stored units whose attributes the plan changes.
    observations_added
        Observations in the plan.
    unchanged
        Rows that repeat the unit's known state and add no observation.
    rows_rejected
        Rows with at least one error.
    """

    file: str
    mode: str
    rows_read: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    units_added: int = 0
    units_updated: int = 0
    observations_added: int = 0
    unchanged: int = 0
    rows_rejected: int = 0

    @property
    def errors(self) -> list[RowIssue]:
        """The issues of severity ``"error"``."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        """The issues of severity ``"warning"``."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Issues as a table with German column names.

        Returns
        -------
        pandas.DataFrame
            Columns ``Zeile`` (nullable integer), ``Spalte``, ``Wert``,
            ``Grund`` and ``Art`` (``Fehler`` or ``Warnung``).
        """
        frame = pd.DataFrame(
            {
                "Zeile": pd.array([i.row for i in self.issues], dtype="Int64"),
                "Spalte": pd.Series([i.column for i in self.issues], dtype=object),
                "Wert": pd.Series([i.value for i in self.issues], dtype=object),
                "Grund": pd.Series([i.reason for i in self.issues], dtype=object),
                "Art": pd.Series(
                    ["Fehler" if i.severity == "error" else "Warnung" for i in self.issues],
                    dtype=object,
                ),
            }
        )
        return frame

    def to_text(self) -> str:
        """The report as German text, one line per issue."""
        mode = "alles oder nichts" if self.mode == "reject" else "fehlerhafte Zeilen überspringen"
        lines = [
            f"Import '{self.file}' (Modus '{self.mode}': {mode})",
            f"Gelesen: {self.rows_read} Zeilen. Neue Einheiten: {self.units_added}, "
            f"geänderte Einheiten: {self.units_updated}, neue Beobachtungen: "
            f"{self.observations_added}, unverändert: {self.unchanged}, "
            f"abgelehnte Zeilen: {self.rows_rejected}.",
        ]
        if self.notes:
            lines.append("Hinweise:")
            lines.extend(f"- {n}" for n in self.notes)
        errors, warnings = self.errors, self.warnings
        if errors:
            lines.append(f"Fehler ({len(errors)}):")
            lines.extend(i.to_text() for i in errors)
        if warnings:
            lines.append(f"Warnungen ({len(warnings)}):")
            lines.extend(i.to_text() for i in warnings)
        if not errors and not warnings:
            lines.append("Keine Fehler, keine Warnungen.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain, JSON-serialisable data."""
        return {
            "file": self.file,
            "mode": self.mode,
            "ok": self.ok,
            "rows_read": self.rows_read,
            "units_added": self.units_added,
            "units_updated": self.units_updated,
            "observations_added": self.observations_added,
            "unchanged": self.unchanged,
            "rows_rejected": self.rows_rejected,
            "notes": list(self.notes),
            "issues": [
                {
                    "row": i.row,
                    "column": i.column,
                    "value": i.value,
                    "reason": i.reason,
                    "severity": i.severity,
                }
                for i in self.issues
            ],
        }


@dataclass
class ImportPlan:
    """What to write to the store for one import.

    Attributes
    ----------
    report
        Validation report.
    new_units
        New units: :data:`geo.register.model.UNIT_COLUMNS` plus ``geometry`` (points,
        EPSG:4326). ``ortsteil``, ``quarter`` and ``created_at`` are None;
        the caller fills them.
    unit_updates
        ``unit_id`` plus :data:`UNIT_ATTRIBUTES`; one row per stored unit
        with at least one changed attribute. NaN means leave as is.
    observations
        New observations: :data:`geo.register.model.OBSERVATION_COLUMNS` without
        ``obs_id``, ``recorded_at`` and ``import_id`` (the store fills
        those).
    """

    report: ImportReport
    new_units: gpd.GeoDataFrame
    unit_updates: pd.DataFrame
    observations: pd.DataFrame

    @property
    def accepted(self) -> bool:
        """True when the plan may be written (mode skip, or no errors)."""
        return self.report.mode == "skip" or self.report.ok


# -- reading ---------------------------------------------------------------------

#: German names of the CSV field separators.
_SEP_NAMES: dict[str, str] = {";": "Semikolon", ",": "Komma", "\t": "Tabulator"}

#: One physical line with its line break (CRLF, LF or CR); the last line may lack one.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")
_LINE_RE_BYTES = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")

#: An archive that expands to less than this is never treated as a zip bomb, whatever its
#: ratio: small archives of padded DBF files compress very well and are harmless.
_RATIO_MIN_EXPANDED = 10 * 1024 * 1024

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

#: Column label given to a column whose header cell is empty.
_UNNAMED = "Spalte {} (ohne Überschrift)"
_UNNAMED_RE = re.compile(r"Spalte \d+ \(ohne Überschrift\)")


class _FormulaIssue(RowIssue):
    """A spreadsheet formula without a stored result (a warning unless the field is needed)."""


def _fmt_int(n: int) -> str:
    """``1.048.576`` (German thousands separator)."""
    return f"{n:,}".replace(",", ".")


def _fmt_bytes(n: int) -> str:
    """``12,5 MB`` (German)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".", ",")
    return f"{n} Byte"


def _setting_text(name: str, env: str) -> str:
    """How to raise a limit: ``Einstellung settings.X, Umgebungsvariable QM_X``."""
    return f"Einstellung settings.{name}, Umgebungsvariable {env}"


def _shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, with the full length noted when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({_fmt_int(len(text))} Zeichen)"


def _check_row_count(name: str, n: int, *, more: bool = False) -> None:
    """Raise when ``n`` data rows exceed :data:`geo.settings.max_import_rows`."""
    limit = settings.max_import_rows
    if n > limit:
        count = f"mehr als {_fmt_int(limit)}" if more else _fmt_int(n)
        raise InputError(
            f"'{name}' hat {count} Datenzeilen; erlaubt sind höchstens {_fmt_int(limit)} je Import "
            f"({_setting_text('max_import_rows', 'QM_MAX_IMPORT_ROWS')}). Bitte die Liste "
            "aufteilen oder den Grenzwert erhöhen."
        )


def _check_archive(p: Path, archive: zipfile.ZipFile) -> None:
    """Refuse archives that would expand too much, from their directory alone (nothing unpacked).

    Raises
    ------
    geo.errors.InputError
        Above :data:`geo.settings.max_expanded_bytes`, or above
        :data:`geo.settings.max_expansion_ratio` (for archives expanding to
        more than 10 MB).
    """
    expanded = sum(max(info.file_size, 0) for info in archive.infolist())
    limit = settings.max_expanded_bytes
    if expanded > limit:
        raise InputError(
            f"'{p.name}' würde entpackt {_fmt_bytes(expanded)} groß; erlaubt sind höchstens "
            f"{_fmt_bytes(limit)} ({_setting_text('max_expanded_bytes', 'QM_MAX_EXPANDED_BYTES')}). "
            "Bitte die Datei prüfen (beschädigt oder absichtlich aufgebläht?), die Liste aufteilen "
            "oder den Grenzwert erhöhen."
        )
    ratio = expanded / max(p.stat().st_size, 1)
    if expanded > _RATIO_MIN_EXPANDED and ratio > settings.max_expansion_ratio:
        raise InputError(
            f"'{p.name}' würde sich beim Entpacken auf das {ratio:.0f}-Fache vergrößern "
            f"({_fmt_bytes(expanded)}); erlaubt ist höchstens das {settings.max_expansion_ratio}-Fache "
            f"({_setting_text('max_expansion_ratio', 'QM_MAX_EXPANSION_RATIO')}). So stark "
            "gepackte Dateien sind meist beschädigt oder Zip-Bomben; bitte die Datei prüfen oder den "
            "Grenzwert erhöhen."
        )


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a list of units into a frame of raw values.

    Parameters
    ----------
    path
        CSV (``;``, ``,`` or tab separated; UTF-8 with or without BOM, or
        Windows-1252, line by line), XLSX (first sheet), GeoJSON, GeoPackage
        (first layer) or zipped Shapefile. The extension decides the reader.

    Returns
    -------
    pandas.DataFrame
        One row per data row or feature. Attribute values are text (missing
        values NaN; never the text "nan", "None" or "NaT"). Vector formats get
        float columns ``lon``/``lat`` from the geometry in EPSG:4326
        (non-point geometries: a representative point). Column ``_row`` holds
        the row number the user sees: the spreadsheet row (CSV: the line) for
        CSV/XLSX (header is row 1), the feature number (from 1) for vector
        formats. ``DataFrame.attrs["notes"]`` lists German notes on how the
        file was read; ``attrs["issues"]`` lists :class:`RowIssue` found while
        reading (rows that cannot be split into the header's columns, formulas
        without a stored result, lines in another encoding); ``attrs["unread"]``
        counts data rows left out because they could not be read.

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
    known = _CSV_EXTENSIONS | _XLSX_EXTENSIONS | _GEOJSON_EXTENSIONS | _GPKG_EXTENSIONS
    if ext not in known | _SHAPE_EXTENSIONS:
        raise InputError(
            f"Der Dateityp '{ext or '(ohne Endung)'}' von '{p.name}' wird nicht unterstützt. "
            f"Bitte als {_SUPPORTED} speichern."
        )
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"Die Datei '{p.name}' ist leer (0 Byte). Bitte die richtige Datei wählen.")
    if ext == ".shp":
        size += sum(s.stat().st_size for s in (p.with_suffix(".dbf"), p.with_suffix(".shx")) if s.is_file())
    if size > settings.max_import_bytes:
        raise InputError(
            f"'{p.name}' ist {_fmt_bytes(size)} groß; erlaubt sind höchstens "
            f"{_fmt_bytes(settings.max_import_bytes)} je Import "
            f"({_setting_text('max_import_bytes', 'QM_MAX_IMPORT_BYTES')}). Bitte die Liste "
            "aufteilen oder den Grenzwert erhöhen."
        )
    if ext in _CSV_EXTENSIONS:
        frame = _read_csv(p)
    elif ext in _XLSX_EXTENSIONS:
        frame = _read_xlsx(p)
    else:
        frame = _read_vector(p, ext)
    if len(frame) == 0:
        errors = [i for i in frame.attrs.get("issues", []) if i.severity == "error"]
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
    return frame


# -- CSV -------------------------------------------------------------------------


def _read_csv(p: Path) -> pd.DataFrame:
    data = p.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            f"'{p.name}' ist keine CSV-Datei, sondern eine ZIP- oder Excel-Datei. Bitte mit "
            "der richtigen Endung (.xlsx) einlesen oder in Excel als 'CSV (Trennzeichen-"
            "getrennt)' speichern."
        )
    text, notes, issues = _decode_csv(p, data)
    if re.search(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]", text[:100_000]):
        raise _binary_csv_error(p)
    lines = _LINE_RE.findall(text)
    offset, header = _first_nonblank_line(lines, 0)
    if header is None:
        raise InputError(f"Die Datei '{p.name}' enthält nur Leerzeilen. Bitte die richtige Datei wählen.")
    sep: str | None = None
    sep_match = re.fullmatch(r'"?sep=(.)"?\s*', header, flags=re.IGNORECASE)
    if sep_match:
        sep = sep_match.group(1)
        if sep in '"\r\n ':
            raise InputError(
                f"Die erste Zeile von '{p.name}' nennt das Trennzeichen {sep!r}, das nicht geht. "
                "Bitte 'sep=;' schreiben oder die Zeile löschen."
            )
        offset, header = _first_nonblank_line(lines, offset + 1)
        if header is None:
            raise InputError(f"Die Datei '{p.name}' enthält keine Daten. Bitte die richtige Datei wählen.")
    if sep is None:
        counts = {s: header.count(s) for s in (";", "\t", ",")}
        sep = max(counts, key=lambda s: counts[s]) if max(counts.values()) else ";"
    if len(lines) - offset - 1 > settings.max_import_rows:  # cheap: count before splitting fields
        _check_row_count(p.name, sum(1 for line in lines[offset + 1 :] if line.strip()))
    names, rows, row_issues, unread = _split_csv(lines, offset, sep, p.name, notes)
    issues.extend(row_issues)
    frame = pd.DataFrame([f for _, f in rows], columns=pd.Index(range(len(names))), dtype=object)
    frame.columns = names
    frame["_row"] = np.array([r for r, _ in rows], dtype="int64")
    notes.append(f"CSV mit Trennzeichen {_SEP_NAMES.get(sep, repr(sep))} gelesen.")
    return _finish_table(frame, notes, issues=issues, unread=unread, name=p.name)


def _decode_csv(p: Path, data: bytes) -> tuple[str, list[str], list[RowIssue]]:
    """Text of a CSV file, German notes and warnings on its encoding.

    UTF-16 (with BOM) and UTF-8 files are decoded whole. Otherwise every line
    is decoded on its own: as UTF-8 when it is valid UTF-8, else as
    Windows-1252. A file mixing both gets a warning for every Windows-1252
    line, so no line is stored as mojibake ("StraÃŸe").
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ["Zeichenkodierung UTF-16 erkannt."], []
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise _binary_csv_error(p)
    try:
        return data.decode("utf-8-sig"), [], []
    except UnicodeDecodeError:
        pass
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    parts: list[str] = []
    cp1252_lines: list[int] = []
    utf8_lines = 0
    for number, line in enumerate(_LINE_RE_BYTES.findall(body), start=1):
        if line.isascii():
            parts.append(line.decode("ascii"))
            continue
        try:
            parts.append(line.decode("utf-8"))
            utf8_lines += 1
        except UnicodeDecodeError:
            # undefined bytes become U+FFFD, which the field check rejects
            parts.append(line.decode("cp1252", errors="replace"))
            cp1252_lines.append(number)
    text = "".join(parts)
    if not utf8_lines:
        return text, ["Zeichenkodierung Windows-1252 (ANSI) erkannt."], []
    notes = [
        f"Zeichenkodierung gemischt: {_rows_text(cp1252_lines)} in Windows-1252 (ANSI), die "
        "übrigen in UTF-8; jede Zeile in ihrer eigenen Kodierung gelesen."
    ]
    warnings_ = [
        RowIssue(
            row=number,
            column=None,
            value=None,
            reason=(
                "Zeile ist in Windows-1252 (ANSI) kodiert, die übrige Datei in UTF-8; Umlaute so "
                "gelesen. Bitte prüfen und die Datei einheitlich als 'CSV UTF-8' speichern"
            ),
            severity="warning",
        )
        for number in cp1252_lines
    ]
    return text, notes, warnings_


def _first_nonblank_line(lines: list[str], skip: int) -> tuple[int, str | None]:
    """Index and text (without line break) of the first non-blank line at or after ``skip``."""
    for index in range(skip, len(lines)):
        if lines[index].strip():
            return index, lines[index].rstrip("\r\n")
    return len(lines), None


def _split_csv(
    lines: list[str], offset: int, sep: str, name: str, notes: list[str]
) -> tuple[list[str], list[tuple[int, tuple[str, ...]]], list[RowIssue], int]:
    """Split CSV lines into fields, checking every row against the header.

    Parameters
    ----------
    lines
        Physical lines with their line breaks.
    offset
        Index of the header line.

    Returns
    -------
    names : list of str
        Column labels (see :func:`_header_names`).
    rows : list of tuple
        ``(line number, fields)`` of the rows that fit the header.
    issues : list of RowIssue
        One error per row left out: more or fewer fields than the header, a
        quoted field over several lines, a stray quote.
    unread : int
        Number of rows left out.
    """
    sep_name = _SEP_NAMES.get(sep, repr(sep))
    reader = csv.reader(iter(lines[offset:]), delimiter=sep, quotechar='"', doublequote=True, strict=True)
    header: list[str] | None = None
    records: list[tuple[int, tuple[str, ...]]] = []  # tuples of str: the GC stops tracking them
    issues: list[RowIssue] = []
    consumed = unread = 0

    while True:
        problem: str | None = None
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            fields, problem = [], str(exc)
        start, end = offset + consumed + 1, offset + reader.line_num
        consumed = reader.line_num
        if header is None:
            if problem is not None or end > start:
                raise InputError(
                    f"Die Kopfzeile (Zeile {start}) von '{name}' ist nicht lesbar: ein Anführungszeichen "
                    "ist nicht geschlossen oder falsch gesetzt. Bitte die Spaltennamen ohne "
                    'Anführungszeichen oder mit paarigen "…" schreiben.'
                )
            header = [f.strip() for f in fields]
            continue
        if problem is not None:
            reason = _csv_error_reason(problem, start, end, sep_name)
            column, value = None, None
            if "field limit" in problem and start == end and '"' not in lines[start - 1]:
                # a field too long for the csv module: without quotes, a plain split finds it
                parts = lines[start - 1].rstrip("\r\n").split(sep)
                longest = max(range(len(parts)), key=lambda i: len(parts[i]))
                column = header[longest] if longest < len(header) and header[longest] else None
                value = _shorten(parts[longest])
            issues.append(RowIssue(row=start, column=column, value=value, reason=reason))
            unread += 1
            continue
        if end > start:
            where = next((i for i, f in enumerate(fields) if "\n" in f or "\r" in f), 0)
            swallowed = f"Zeile {end}" if end == start + 1 else f"die Zeilen {start + 1} bis {end}"
            issues.append(
                RowIssue(
                    row=start,
                    column=header[where] if where < len(header) and header[where] else None,
                    value=_shorten(fields[where].splitlines()[0] if fields[where].strip() else ""),
                    reason=(
                        f"ein Anführungszeichen öffnet in Zeile {start} und schließt erst in Zeile "
                        f"{end}; der Wert enthält einen Zeilenumbruch und würde {swallowed} "
                        "verschlucken. Nicht gelesen. Bitte das fehlende Anführungszeichen ergänzen "
                        "oder den Zeilenumbruch aus der Zelle entfernen"
                    ),
                )
            )
            unread += 1
            continue
        if "".join(fields).strip():  # blank lines and lines of empty fields are no rows
            records.append((start, tuple(fields)))
    if header is None or not any(header):
        raise InputError(
            f"Die Kopfzeile von '{name}' enthält keine Spaltennamen. Bitte in die erste Zeile die "
            "Spaltennamen schreiben (z. B. Nr.;Straße;Hausnummer;Status)."
        )
    n_header = len(header)
    n_named = max(i + 1 for i, h in enumerate(header) if h)
    # Every row must have as many fields as the header. One exception: all rows (at least two)
    # agree on one other count and the surplus fields are empty, as when every line ends with a
    # separator. A single longer row is never trusted: it is the signature of a separator inside
    # an unquoted value, which would shift every following column.
    expected = n_header
    widths = {len(f) for _, f in records}
    if len(widths) == 1:
        width = widths.pop()
        if n_named <= width < n_header or (
            width > n_header
            and len(records) >= 2
            and not any("".join(f[n_header:]).strip() for _, f in records)
        ):
            expected = width
            if width > n_header:
                notes.append(
                    f"Jede Datenzeile hat {_count(width - n_header, 'leeres Feld', 'leere Felder')} mehr "
                    "als die Kopfzeile (Trennzeichen am Zeilenende); ignoriert."
                )
    rows: list[tuple[int, tuple[str, ...]]] = []
    for start, record in records:
        n = len(record)
        if n != expected:
            if n > expected:
                reason = (
                    f"die Zeile hat {n} Felder, die Kopfzeile aber {expected}: {n - expected} "
                    f"{sep_name} zu viel (z. B. in einem Namen ohne Anführungszeichen) würde alle "
                    "folgenden Spalten verschieben. Nicht gelesen. Bitte den Wert in Anführungszeichen "
                    "setzen oder das Trennzeichen entfernen"
                )
            else:
                reason = (
                    f"die Zeile hat {n} Felder, die Kopfzeile aber {expected}: es fehlen "
                    f"{expected - n} (Zeile abgeschnitten oder Trennzeichen fehlt). Nicht gelesen. "
                    f"Bitte die fehlenden Felder ergänzen (leere Felder mit {sep_name} trennen)"
                )
            issues.append(RowIssue(row=start, column=None, value=None, reason=reason))
            continue
        extra = next((i for i in range(n_named, n) if record[i].strip()), None) if n > n_named else None
        if extra is not None:
            issues.append(
                RowIssue(
                    row=start,
                    column=_UNNAMED.format(extra + 1),
                    value=_shorten(record[extra]),
                    reason=(
                        f"Wert in Spalte {extra + 1}, die keine Überschrift hat: vermutlich ein "
                        f"{sep_name} zu viel in der Zeile. Nicht gelesen. Bitte das Trennzeichen "
                        "entfernen oder der Spalte eine Überschrift geben"
                    ),
                )
            )
            continue
        rows.append((start, record[:n_named]))
    names = _header_names(header[:n_named], name)
    return names, rows, issues, unread + len(records) - len(rows)


def _csv_error_reason(problem: str, start: int, end: int, sep_name: str) -> str:
    """German reason for an error of :mod:`csv` in the rows ``start`` to ``end``."""
    if "expected after" in problem:
        return (
            f"Anführungszeichen falsch gesetzt: nach dem schließenden Anführungszeichen folgt kein "
            f'{sep_name}. Nicht gelesen. Ein Anführungszeichen im Text bitte verdoppeln ("") oder '
            "den ganzen Wert in Anführungszeichen setzen"
        )
    if "end of data" in problem:
        return (
            f"ein Anführungszeichen in Zeile {start} wird bis zum Dateiende (Zeile {end}) nicht "
            f"geschlossen; die Zeilen {start} bis {end} wurden nicht gelesen. Bitte das fehlende "
            "Anführungszeichen ergänzen"
        )
    if "field limit" in problem:
        return (
            f"ein Feld ist länger als {_fmt_int(csv.field_size_limit())} Zeichen (erlaubt: "
            f"{_fmt_int(settings.max_field_chars)}; "
            f"{_setting_text('max_field_chars', 'QM_MAX_FIELD_CHARS')}). Nicht gelesen. Bitte kürzen"
        )
    return "die Zeile lässt sich nicht in Felder zerlegen. Nicht gelesen. Bitte Trennzeichen und Anführungszeichen prüfen"


def _header_names(labels: list[str], name: str) -> list[str]:
    """Column labels from header cells: empty ones named by position, repeated ones numbered.

    Raises
    ------
    geo.errors.InputError
        If a label that names a field (e.g. ``Status``) appears twice: which
        column holds the values is unclear.
    """
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        if not label:
            names.append(_UNNAMED.format(index + 1))
        elif label not in seen:
            seen[label] = index
            names.append(label)
        elif cols.field_of(label) is not None:
            raise InputError(
                f"Die Spalte '{label}' kommt in '{name}' zweimal vor (Spalten {seen[label] + 1} und "
                f"{index + 1}); unklar, welche gilt. Bitte eine der beiden umbenennen oder löschen."
            )
        else:
            names.append(f"{label} ({sum(1 for other in labels[:index] if other == label) + 1})")
    return names


def _binary_csv_error(p: Path) -> InputError:
    return InputError(
        f"'{p.name}' ist keine Textdatei (CSV), sondern enthält Binärdaten. Bitte die Liste in "
        "Excel öffnen und als 'CSV UTF-8 (durch Trennzeichen getrennt)' oder als .xlsx speichern."
    )


# -- XLSX ------------------------------------------------------------------------


def _read_xlsx(p: Path) -> pd.DataFrame:
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
            _check_archive(p, archive)
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
    labels = [(_cell_text(v) or "").strip() for v in header_cells] + [""] * (width - len(header_cells))
    names = _header_names(labels, p.name)
    data = [list(values) + [None] * (width - len(values)) for _, values in rows[1:]]
    raw = pd.DataFrame(data, columns=pd.Index(range(width)), dtype=object)
    frame = pd.DataFrame({names[i]: _as_text(raw[i]) for i in range(width)}, index=raw.index)
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
                _FormulaIssue(
                    row=row,
                    column=names[col - 1] if col <= len(names) else None,
                    value=_shorten(formula),
                    reason=(
                        f"Zelle {cell} enthält eine Formel ohne gespeichertes Ergebnis (die Datei "
                        "wurde von einem Programm geschrieben, nicht mit Excel gespeichert); der Wert "
                        "fehlt und bleibt leer. Bitte die Datei in Excel öffnen und speichern oder den "
                        "Wert statt der Formel eintragen"
                    ),
                    severity="warning",
                )
            )
    return _finish_table(frame, notes, issues=issues, name=p.name)


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
                _check_row_count(name, len(rows) - 1, more=True)
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


# -- vector formats --------------------------------------------------------------


def _read_vector(p: Path, ext: str) -> pd.DataFrame:
    notes: list[str] = []
    layer: str | None = None
    source: str = str(p)
    drop_feature_id = False
    n_features: int | None = None
    if ext in _GEOJSON_EXTENSIONS:
        drop_feature_id, n_features = _check_geojson(p)
    elif ext in _GPKG_EXTENSIONS:
        with p.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise InputError(
                    f"'{p.name}' ist keine GeoPackage-Datei (.gpkg). Bitte in QGIS als "
                    "GeoPackage exportieren oder die richtige Endung verwenden."
                )
        layers = _list_layers(p, p.name)
        if not layers:
            raise InputError(
                f"Das GeoPackage '{p.name}' enthält keinen Layer. Bitte die richtige Datei wählen."
            )
        layer = layers[0]
        if len(layers) > 1:
            notes.append(f"GeoPackage hat {len(layers)} Layer; nur der erste ('{layer}') wurde gelesen.")
    elif ext == ".zip":
        if not zipfile.is_zipfile(p):
            raise InputError(
                f"'{p.name}' ist keine ZIP-Datei. Ein Shapefile bitte mit allen Teildateien "
                "(.shp, .shx, .dbf, .prj) in ein ZIP packen."
            )
        try:
            with zipfile.ZipFile(p) as archive:
                _check_archive(p, archive)
                shapes = [
                    n
                    for n in archive.namelist()
                    if n.lower().endswith(".shp") and not n.startswith("__MACOSX")
                ]
        except InputError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise InputError(
                f"'{p.name}' ist keine lesbare ZIP-Datei ({type(exc).__name__}). Bitte das Shapefile "
                "neu packen."
            ) from exc
        if not shapes:
            raise InputError(
                f"Das ZIP '{p.name}' enthält kein Shapefile (.shp). Bitte die Dateien .shp, .shx, "
                ".dbf und .prj zusammen packen."
            )
        if len(shapes) > 1:
            notes.append(f"ZIP enthält {len(shapes)} Shapefiles; nur '{shapes[0]}' wurde gelesen.")
        source = f"/vsizip/{p.resolve()}/{shapes[0]}"
    try:
        if n_features is None:
            n_features = int(pyogrio.read_info(source, layer=layer, force_feature_count=True)["features"])
        _check_row_count(p.name, n_features)
        frame = pyogrio.read_dataframe(source, layer=layer)
    except _PYOGRIO_ERRORS as exc:
        raise InputError(
            f"'{p.name}' lässt sich nicht als Geodatei lesen: {exc}. Bitte die Datei in QGIS "
            f"prüfen und als {_SUPPORTED} speichern."
        ) from exc
    except UnicodeDecodeError as exc:  # GDAL stops at the first text not in the stated encoding
        text = exc.object[:120].decode(exc.encoding, errors="replace") if exc.object else ""
        raise InputError(
            f"'{p.name}' enthält Text, der nicht in der angegebenen Zeichenkodierung ({exc.encoding}) "
            f"vorliegt, z. B. '{text.strip()}'. Bitte die Datei in QGIS mit der richtigen Kodierung "
            "neu speichern (Shapefile: .cpg-Datei mit der Kodierung der .dbf, z. B. 'UTF-8')."
        ) from exc
    if drop_feature_id and "id" in frame.columns:
        frame = frame.drop(columns="id")
        notes.append(
            "Die Objekt-IDs der GeoJSON-Features ('id') wurden nicht als Einheiten-Nr. "
            "verwendet; nur Eigenschaften (properties) zählen."
        )
    lon: pd.Series | None = None
    lat: pd.Series | None = None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geo = _to_storage_crs(frame, p.name, notes)
        geoms = geo.geometry.values
        present = ~(geo.geometry.isna() | geo.geometry.is_empty).to_numpy()
        points = shapely.get_type_id(geoms) == 0
        non_point = present & ~points
        if non_point.any():
            notes.append(
                f"{_count(int(non_point.sum()), 'Objekt ist', 'Objekte sind')} keine Punkte; Ort ist ein Punkt "
                "innerhalb der Fläche/Linie (representative point)."
            )
        pts = np.where(non_point, shapely.point_on_surface(geoms), geoms)
        xs = np.full(len(frame), np.nan)
        ys = np.full(len(frame), np.nan)
        xs[present] = shapely.get_x(pts[present])
        ys[present] = shapely.get_y(pts[present])
        lon = pd.Series(xs, index=frame.index)
        lat = pd.Series(ys, index=frame.index)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    text = pd.DataFrame({str(c): _as_text(frame[c]) for c in frame.columns}, index=frame.index)
    if lon is not None and lat is not None:
        for name in ("lon", "lat"):
            if name in text.columns:
                text = text.rename(columns={name: f"{name} (Attribut)"})
                notes.append(
                    f"Attribut '{name}' umbenannt in '{name} (Attribut)'; der Ort kommt aus der Geometrie."
                )
        text["lon"] = lon.to_numpy()
        text["lat"] = lat.to_numpy()
    else:
        notes.append("Die Daten haben keine Geometrie; Koordinaten nur aus Spalten.")
    text["_row"] = np.arange(len(text), dtype="int64") + 1
    return _finish_table(text, notes, name=p.name)


def _check_geojson(p: Path) -> tuple[bool, int]:
    """Validate a GeoJSON file.

    Returns
    -------
    tuple
        True when ``id`` is a feature-level id only; the number of features.
    """
    try:
        content = json.loads(p.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(
            f"'{p.name}' ist kein gültiges GeoJSON (kein lesbares JSON: {exc}). "
            "Bitte die Datei in QGIS als GeoJSON exportieren."
        ) from exc
    if not isinstance(content, dict) or content.get("type") not in {
        "FeatureCollection",
        "Feature",
    }:
        raise InputError(
            f'\'{p.name}\' ist JSON, aber kein GeoJSON (erwartet: "type": "FeatureCollection"). '
            "Bitte die Datei in QGIS als GeoJSON exportieren."
        )
    features = content.get("features", [content]) if content["type"] == "FeatureCollection" else [content]
    if not isinstance(features, list):
        raise InputError(f"'{p.name}': 'features' ist keine Liste. Bitte als GeoJSON neu exportieren.")
    has_feature_id = False
    has_property_id = False
    for feat in features:
        if isinstance(feat, dict):
            has_feature_id = has_feature_id or "id" in feat
            props = feat.get("properties")
            has_property_id = has_property_id or (isinstance(props, dict) and "id" in props)
    return has_feature_id and not has_property_id, len(features)


def _list_layers(p: Path, name: str) -> list[str]:
    try:
        layers = pyogrio.list_layers(p)
    except _PYOGRIO_ERRORS as exc:
        raise InputError(
            f"'{name}' lässt sich nicht als GeoPackage öffnen: {exc}. Bitte in QGIS prüfen."
        ) from exc
    return [str(row[0]) for row in layers]


def _to_storage_crs(frame: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    if frame.crs is None:
        bounds = frame.total_bounds
        if np.isfinite(bounds).all() and bounds[0] > 1000 and bounds[1] > 1_000_000:
            notes.append(f"'{name}' hat kein Koordinatenbezugssystem; Meterwerte als EPSG:25833 gelesen.")
            return frame.set_crs(settings.metric_crs).to_crs(settings.storage_crs)
        notes.append(f"'{name}' hat kein Koordinatenbezugssystem; als EPSG:4326 (lon/lat) gelesen.")
        return frame.set_crs(settings.storage_crs)
    if not frame.crs.equals(settings.storage_crs):
        try:
            converted = frame.to_crs(settings.storage_crs)
        except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError) as exc:
            raise InputError(
                f"Das Koordinatenbezugssystem von '{name}' ({frame.crs.name}) lässt sich nicht nach "
                f"EPSG:4326 umrechnen ({exc}). Bitte die Datei in QGIS mit EPSG:4326 oder EPSG:25833 "
                "neu speichern (Shapefile: .prj-Datei prüfen)."
            ) from exc
        notes.append(f"Koordinaten von {frame.crs.to_string()} nach EPSG:4326 umgerechnet.")
        return converted
    return frame


# -- values ----------------------------------------------------------------------


def _as_text(values: pd.Series) -> pd.Series:
    """Raw values as text: dates ISO, whole floats without ``.0``, missing NaN (never "nan")."""
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.notna() & np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))
        whole = finite & (values == np.floor(values)) & (values.abs() < 1e15)
        out = values.astype("str")
        out = out.where(~whole, values.where(whole).astype("Int64").astype("str"))
        return out.mask(values.isna())
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("str").mask(values.isna())
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return values.astype("str").mask(values.isna())
    # objects, dates, booleans (also nullable ones): value by value
    return pd.Series([_cell_text(v) for v in values], index=values.index, dtype="str")


def _cell_text(value: object) -> str | None:
    """One raw value as text; None for every kind of missing value (None, NaN, NaT, NA)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")  # U+FFFD is rejected later
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    missing = pd.isna(value)  # an array for lists (e.g. a GeoJSON list property)
    if isinstance(missing, (bool, np.bool_)) and missing:
        return None
    if isinstance(value, datetime):
        day = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        if value.hour == value.minute == value.second == 0:
            return day
        return f"{day} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return str(number)
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _finish_table(
    frame: pd.DataFrame,
    notes: list[str],
    *,
    issues: list[RowIssue] | None = None,
    unread: int = 0,
    name: str,
) -> pd.DataFrame:
    """Tidy a freshly read table and attach notes and read issues (see :func:`read_table`)."""
    data_cols = [c for c in frame.columns if c != "_row"]
    for col in data_cols:
        label = str(col)
        if _MOJIBAKE_RE.search(label) or "\ufffd" in label:
            raise InputError(
                f"Die Spaltenüberschrift '{_shorten(label)}' in '{name}' ist falsch kodiert "
                f"({_mojibake_hint(label)}): die Datei wurde mit einer anderen Zeichenkodierung "
                "gespeichert, als sie angibt. Bitte in Excel als 'CSV UTF-8' bzw. die Geodatei mit "
                "UTF-8 (Shapefile: mit .cpg-Datei) neu speichern."
            )
    text_cols = [c for c in data_cols if c not in ("lon", "lat") or frame[c].dtype.kind not in "f"]
    for col in text_cols:
        cleaned = frame[col].astype("str").str.strip()
        frame[col] = cleaned.mask(cleaned == "")
    empty_unnamed = [c for c in data_cols if _UNNAMED_RE.fullmatch(str(c)) and frame[c].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    data_cols = [c for c in frame.columns if c != "_row"]
    blank = frame[data_cols].isna().all(axis=1) if data_cols else pd.Series(True, index=frame.index)
    frame = frame.loc[~blank].reset_index(drop=True)
    _check_row_count(name, len(frame))
    frame.attrs["notes"] = notes
    frame.attrs["issues"] = list(issues or [])
    frame.attrs["unread"] = unread
    return frame


def _cp1252_char(byte: int) -> str:
    """The character Windows-1252 shows for ``byte`` (Latin-1 for its five undefined bytes)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


#: A UTF-8 continuation byte (0x80-0xBF) as Windows-1252 or as Latin-1 (C1 controls) shows it.
_CONTINUATION = re.escape(
    "".join(sorted({_cp1252_char(b) for b in range(0x80, 0xC0)} | {chr(b) for b in range(0x80, 0xC0)}))
)

#: UTF-8 text read as Windows-1252/Latin-1: "Ã¤" for "ä", "ÃŸ" for "ß", "â€ž" for "„",
#: "Ä±"/"ÅŸ" (Turkish), "Ð"/"Ñ" (Cyrillic), "Ø"/"Ù" (Arabic) followed by a continuation byte.
#: German text never has these pairs ("ß“" or "Ö–" are not matched: their lead bytes are left out).
_MOJIBAKE_RE = re.compile(f"[ÂÃÄÅÐÑØÙÚÛ][{_CONTINUATION}]|[âï][{_CONTINUATION}]{{2}}")

#: Characters no list should contain: C0/C1 control characters except tab and line breaks.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: Texts programs write for an empty cell (compared casefolded).
_PLACEHOLDERS = frozenset({"nan", "none", "nat", "null", "<na>"})

#: Error values of Excel formulas (English and German Excel).
_EXCEL_ERRORS = frozenset(
    {
        "#N/A",
        "#NV",
        "#DIV/0!",
        "#VALUE!",
        "#WERT!",
        "#REF!",
        "#BEZUG!",
        "#NAME?",
        "#NUM!",
        "#ZAHL!",
        "#NULL!",
        "#LEER!",
        "#SPILL!",
        "#ÜBERLAUF!",
        "#CALC!",
        "#BERECHNEN!",
    }
)


def _mojibake_hint(text: str) -> str:
    """``'ÃŸ' statt 'ß'`` for the first mojibake in ``text``."""
    found = _MOJIBAKE_RE.search(text)
    if found is None:
        return "enthält das Ersatzzeichen '\ufffd'"
    bad = found.group()
    raw = b"".join(_cp1252_byte(ch) for ch in bad)
    good = raw.decode("utf-8", errors="replace").replace("\ufeff", "BOM")
    shown = "".join(f"\\x{ord(ch):02x}" if _CONTROL_RE.match(ch) else ch for ch in bad)
    return f"'{shown}' statt '{good}'"


def _cp1252_byte(ch: str) -> bytes:
    """The byte Windows-1252 (Latin-1 for its undefined bytes) encodes ``ch`` as."""
    try:
        return ch.encode("cp1252")
    except UnicodeEncodeError:
        return ch.encode("latin-1")


def _text_problem(text: str) -> str | None:
    """German reason why a field's text must not be stored, or None.

    Too long (:data:`geo.settings.max_field_chars`), a control character, the
    replacement character U+FFFD, mojibake (UTF-8 read as Windows-1252), a
    placeholder a program wrote for an empty cell ("nan", "None", "NaT",
    "NULL") or an Excel error value ("#NV").
    """
    limit = settings.max_field_chars
    if len(text) > limit:
        return (
            f"Text ist {_fmt_int(len(text))} Zeichen lang; erlaubt sind höchstens {_fmt_int(limit)} "
            f"je Feld ({_setting_text('max_field_chars', 'QM_MAX_FIELD_CHARS')}). Bitte kürzen"
        )
    if "\ufffd" in text:
        return (
            "Text enthält das Ersatzzeichen '\ufffd': beim Speichern oder Umwandeln ging ein Zeichen "
            "verloren. Bitte den Text korrigieren und die Datei als UTF-8 speichern"
        )
    if _MOJIBAKE_RE.search(text):
        return (
            f"Text ist falsch kodiert ({_mojibake_hint(text)}): UTF-8 wurde als Windows-1252 oder "
            "Latin-1 gelesen. Bitte den Text korrigieren und die Datei als UTF-8 speichern "
            "(Shapefile: mit .cpg-Datei 'UTF-8')"
        )
    control = _CONTROL_RE.search(text)
    if control is not None:
        return (
            f"Text enthält ein unsichtbares Steuerzeichen (U+{ord(control.group()):04X}); die Datei ist "
            "vermutlich beschädigt. Bitte das Zeichen entfernen oder den Text neu eintippen"
        )
    word = text.strip()
    if word.casefold() in _PLACEHOLDERS:
        return (
            f"Platzhalter '{word}' statt eines Werts (so schreiben Programme eine leere Zelle). "
            "Bitte die Zelle leeren oder den richtigen Wert eintragen"
        )
    if word.upper() in _EXCEL_ERRORS:
        return (
            f"Excel-Fehlerwert '{word}' statt eines Werts (eine Formel ohne gültiges Ergebnis). "
            "Bitte die Formel korrigieren oder den Wert eintragen"
        )
    return None


# -- planning --------------------------------------------------------------------


class _Issues:
    """Collects issues as frames of positions (vectorised)."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def add(
        self,
        positions: np.ndarray | pd.Index | list[int],
        *,
        column: str | None | list[str | None],
        value: Any,
        reason: Any,
        severity: str = "error",
    ) -> None:
        pos = np.asarray(positions, dtype="int64")
        if len(pos) == 0:
            return
        if isinstance(value, pd.Series):
            value = value.to_numpy(dtype=object, na_value=None)
        if isinstance(reason, pd.Series):
            reason = reason.to_numpy(dtype=object)
        self.frames.append(
            pd.DataFrame(
                {
                    "pos": pos,
                    "column": column,
                    "value": value,
                    "reason": reason,
                    "severity": severity,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.frames:
            return pd.DataFrame(
                {
                    "pos": pd.Series(dtype="int64"),
                    "column": pd.Series(dtype=object),
                    "value": pd.Series(dtype=object),
                    "reason": pd.Series(dtype=object),
                    "severity": pd.Series(dtype=object),
                }
            )
        return pd.concat(self.frames, ignore_index=True)

    def error_positions(self) -> np.ndarray:
        f = self.frame()
        return f.loc[f["severity"] == "error", "pos"].unique()


def plan_import(
    path: str | Path,
    *,
    units: gpd.GeoDataFrame,
    observations: pd.DataFrame,
    as_of: date | None = None,
    on_error: OnError = "reject",
    today: date | None = None,
    source: str | None = None,
    recorded_by: str | None = None,
) -> ImportPlan:
    """Read, validate and plan the import of a list of units.

    Parameters
    ----------
    path
        File to import (see :func:`read_table`).
    units
        The store's units: :data:`geo.register.model.UNIT_COLUMNS` plus ``geometry``
        in EPSG:4326 (may be empty).
    observations
        The store's observations: :data:`geo.register.model.OBSERVATION_COLUMNS`
        (may be empty).
    as_of
        Date for rows without a date; defaults to ``today``.
    on_error
        ``"reject"``: any error rejects the whole file (the plan is empty
        and :attr:`ImportPlan.accepted` is False). ``"skip"``: rows with
        errors are left out and reported.
    today
        The current date (for defaults and the future-date check);
        defaults to :func:`datetime.date.today`.
    source
        Source of the observations when a row names none; defaults to the
        file name.
    recorded_by
        Who imports (stored with every observation).

    Returns
    -------
    ImportPlan
        New units, unit updates and observations, with the report.

    Raises
    ------
    geo.errors.InputError
        If the file cannot be read or has no usable columns, or an option
        is invalid.
    """
    if on_error not in ("reject", "skip"):
        raise InputError(
            f"Unbekannter Fehlermodus '{on_error}'. Erlaubt: 'reject' (alles oder nichts) "
            "oder 'skip' (fehlerhafte Zeilen überspringen)."
        )
    today = today or date.today()
    if as_of is not None and as_of > today:
        raise InputError(
            f"Der Stichtag {as_of:%d.%m.%Y} liegt in der Zukunft (heute: {today:%d.%m.%Y}). "
            "Bitte ein Datum bis heute angeben."
        )
    if as_of is not None and as_of < settings.earliest_date:
        raise InputError(
            f"Der Stichtag {as_of:%d.%m.%Y} liegt vor dem {settings.earliest_date:%d.%m.%Y} und ist nicht "
            f"plausibel. Erlaubt: {settings.earliest_date:%d.%m.%Y} bis heute ({today:%d.%m.%Y}); die "
            "untere Grenze ist einstellbar (Einstellung settings.earliest_date, Umgebungsvariable "
            "QM_EARLIEST_DATE)."
        )
    p = Path(path)
    raw = read_table(p)
    # taken out of attrs, which pandas deep-copies with every derived frame
    read_issues: list[RowIssue] = raw.attrs.pop("issues", [])
    report = ImportReport(file=str(path), mode=on_error, rows_read=len(raw) + int(raw.attrs.pop("unread", 0)))
    report.notes.extend(raw.attrs.get("notes", []))
    planner = _Planner(
        raw,
        report,
        units=units,
        observations=observations,
        as_of=as_of,
        today=today,
        source=source if source is not None else p.name,
        recorded_by=recorded_by,
        file_name=p.name,
        read_issues=read_issues,
    )
    return planner.run()


#: Fields that decide which unit a row describes and what it says; a formula without a
#: stored result there is an error, not a warning.
_NEEDED_FIELDS: dict[str, str] = {
    "unit_id": "ohne Einheiten-Nr. würde die Zeile einer geratenen Einheit zugeordnet",
    "street": "ohne Straße würde die Zeile einer geratenen Einheit zugeordnet",
    "housenumber": "ohne Hausnummer würde die Zeile einer geratenen Einheit zugeordnet",
    "address": "ohne Adresse würde die Zeile einer geratenen Einheit zugeordnet",
    "status": "ohne Status würde 'genutzt' oder 'unbekannt' angenommen",
    "observed_on": "ohne Datum würde der Stichtag (sonst heute) angenommen",
}

_LON_RANGE = (settings.leipzig_bbox[0], settings.leipzig_bbox[2])
_LAT_RANGE = (settings.leipzig_bbox[1], settings.leipzig_bbox[3])


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _fmt_date(value: pd.Timestamp | date) -> str:
    return f"{value:%d.%m.%Y}"


def _fmt_m(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


class _Planner:
    """One import run; splits :func:`plan_import` into readable steps."""

    def __init__(
        self,
        raw: pd.DataFrame,
        report: ImportReport,
        *,
        units: gpd.GeoDataFrame,
        observations: pd.DataFrame,
        as_of: date | None,
        today: date,
        source: str,
        recorded_by: str | None,
        file_name: str,
        read_issues: list[RowIssue],
    ) -> None:
        self.raw = raw.reset_index(drop=True)
        self.read_issues = read_issues
        self.unread_issues: list[RowIssue] = []  # issues of rows that could not be read at all
        self.report = report
        self.units = units
        self.stored_obs = observations
        self.as_of = as_of
        self.today = today
        self.today_ts = pd.Timestamp(today)
        self.source = source
        self.recorded_by = recorded_by
        self.file_name = file_name
        self.issues = _Issues()
        self.n = len(self.raw)
        self.w = pd.DataFrame({"_row": self.raw["_row"].to_numpy()})
        self.mapping: dict[str, str] = {}
        self.file_issues: list[RowIssue] = []
        self.coord_columns = False

    # -- main ---------------------------------------------------------------------

    def run(self) -> ImportPlan:
        self._map_columns()
        self._check_values()
        dup = self._exact_duplicates()
        self._parse_fields()
        # field errors of exact copies are reported once, at the first copy
        if dup.any() and self.issues.frames:
            dup_pos = set(np.flatnonzero(dup.to_numpy()))
            self.issues.frames = [
                f[~(f["pos"].isin(dup_pos) & (f["severity"] == "error"))] for f in self.issues.frames
            ]
        self._add_read_issues()
        alive = ~dup & ~self._error_mask()
        self._identify_units(alive)
        alive &= ~self._error_mask()
        self._check_conflicts(alive)
        alive &= ~self._error_mask()
        self._check_missing_coordinates(alive)
        good = alive & ~self._error_mask()
        plan = self._plan(good)
        self._finish_report(plan)
        return plan

    def _error_mask(self) -> pd.Series:
        mask = np.zeros(self.n, dtype=bool)
        mask[self.issues.error_positions()] = True
        return pd.Series(mask, index=self.w.index)

    # -- columns ------------------------------------------------------------------

    def _map_columns(self) -> None:
        mapping, ignored, doubled = cols.match_columns(self.raw.columns)
        notes = self.report.notes
        self.mapping = mapping
        if not ({"unit_id", "street", "address"} & set(mapping)):
            found = ", ".join(f"'{c}'" for c in self.raw.columns if c != "_row")
            raise InputError(
                f"In '{self.file_name}' fehlt eine Spalte, die die Einheiten benennt: weder "
                "Nr./unit_id noch Straße/Adresse gefunden. Gefundene Spalten: "
                f"{found}. Bitte eine Spalte 'Nr.' (Einheiten-Nr.) oder 'Straße' und 'Hausnummer' "
                "(oder 'Adresse') ergänzen."
            )
        used = ", ".join(f"'{col}' → {cols.FIELD_LABELS[fld]}" for fld, col in mapping.items())
        notes.append(f"Erkannte Spalten: {used}.")
        if "unit_id" in mapping and "street" in mapping and not {"housenumber", "address"} & set(mapping):
            notes.append(
                f"Spalte '{mapping['unit_id']}' wird als Einheiten-Nr. gelesen, nicht als "
                "Hausnummer. Steht darin die Hausnummer, bitte die Spalte in 'Hausnr.' umbenennen."
            )
        if ignored:
            notes.append("Nicht verwendete Spalten: " + ", ".join(f"'{c}'" for c in ignored) + ".")
        for col, used_col in doubled:
            notes.append(
                f"Spalte '{col}' nicht verwendet: '{used_col}' liefert schon "
                f"{cols.FIELD_LABELS[cols.field_of(col)]}."
            )
        for a, b in (("lon", "lat"), ("x", "y")):
            if (a in mapping) != (b in mapping):
                have, miss = (a, b) if a in mapping else (b, a)
                self._file_issue(
                    f"Spalte '{mapping[have]}' ({cols.FIELD_LABELS[have]}) gefunden, aber keine "
                    f"Spalte für {cols.FIELD_LABELS[miss]}. Bitte beide Koordinatenspalten angeben."
                )
                del mapping[have]

    def _check_values(self) -> None:
        """Reject texts of used columns that must not reach the store (see :func:`_text_problem`).

        The offending values are reported with their row and column and
        replaced by missing values, so no later step sees them.
        """
        for col in dict.fromkeys(self.mapping.values()):
            values = self.raw[col]
            if values.dtype.kind == "f":
                continue
            problems = cols.map_unique(values.astype("str"), lambda u: u.map(_text_problem))
            bad = problems.notna().to_numpy()
            if not bad.any():
                continue
            pos = np.flatnonzero(bad)
            shown = [_shorten(str(v)) for v in values.iloc[pos]]
            self.issues.add(pos, column=col, value=shown, reason=problems.iloc[pos].to_numpy(dtype=object))
            self.raw[col] = values.mask(pd.Series(bad, index=values.index))

    def _add_read_issues(self) -> None:
        """Add the issues :func:`read_table` found, at their rows.

        A formula without a stored result is an error where the field decides
        the unit or the observation (number, address, status, date): without
        it the row would be matched or dated by guess.
        """
        if not self.read_issues:
            return
        field_of = {col: fld for fld, col in self.mapping.items()}
        position = dict(zip(self.w["_row"].tolist(), range(self.n), strict=True))
        rows: dict[str, tuple[list[int], list[str | None], list[str | None], list[str]]] = {
            "error": ([], [], [], []),
            "warning": ([], [], [], []),
        }
        for issue in self.read_issues:
            severity, reason = issue.severity, issue.reason
            fld = field_of.get(issue.column) if issue.column is not None else None
            if isinstance(issue, _FormulaIssue) and fld in _NEEDED_FIELDS:
                severity = "error"
                reason += f"; {_NEEDED_FIELDS[fld]}, daher wird die Zeile nicht übernommen"
            if issue.row is None:
                self.file_issues.append(replace(issue, reason=reason, severity=severity))
            elif issue.row in position:
                target = rows[severity]
                target[0].append(position[issue.row])
                target[1].append(issue.column)
                target[2].append(issue.value)
                target[3].append(reason)
            else:
                self.unread_issues.append(
                    RowIssue(issue.row, issue.column, issue.value, reason, severity)  # type: ignore[arg-type]
                )
        for level, (pos, columns, values, reasons) in rows.items():
            self.issues.add(pos, column=columns, value=values, reason=reasons, severity=level)

    def _file_issue(self, reason: str, severity: Literal["error", "warning"] = "error") -> None:
        self.file_issues.append(RowIssue(row=None, column=None, value=None, reason=reason, severity=severity))

    def _col(self, fld: str) -> pd.Series | None:
        col = self.mapping.get(fld)
        if col is None:
            return None
        values = self.raw[col]
        if values.dtype.kind == "f":
            return values
        return cols.clean_text(values)

    def _raw_text(self, fld: str) -> pd.Series:
        col = self.mapping[fld]
        values = self.raw[col]
        if values.dtype.kind == "f":
            return _as_text(values)
        return values.astype("str")

    def _exact_duplicates(self) -> pd.Series:
        used = list(dict.fromkeys(self.mapping.values()))
        data = self.raw[used]
        dup = data.duplicated(keep="first")
        if dup.any():
            hashes = pd.util.hash_pandas_object(data, index=False)
            first_row = self.w["_row"].groupby(hashes.to_numpy()).transform("first")
            pos = np.flatnonzero(dup.to_numpy())
            reasons = [
                f"exakte Kopie von Zeile {int(r)} (in allen verwendeten Spalten); nur einmal übernommen"
                for r in first_row.to_numpy()[pos]
            ]
            self.issues.add(pos, column=None, value=None, reason=reasons, severity="warning")
        return pd.Series(dup.to_numpy(), index=self.w.index)

    # -- fields -------------------------------------------------------------------

    def _bad(self, mask: pd.Series, fld: str, reason: Any) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        pos = np.flatnonzero(mask.to_numpy())
        values = self._raw_text(fld).iloc[pos]
        if isinstance(reason, pd.Series):
            reason = reason.iloc[pos]
        self.issues.add(pos, column=self.mapping[fld], value=values, reason=reason)

    def _parse_fields(self) -> None:
        w = self.w
        text_na = pd.Series(np.nan, index=w.index, dtype="str")

        # unit id
        uid = self._col("unit_id")
        w["uid"] = uid.astype("str") if uid is not None else text_na

        self._parse_address()
        self._parse_coordinates()

        # business, sector
        business = self._col("business_name")
        w["business_name"] = business.astype("str") if business is not None else text_na
        w["biz_key"] = cols.text_key(w["business_name"])
        sector = self._col("sector")
        if sector is not None:
            sector = sector.astype("str")
            letter = sector.str.fullmatch(r"[A-Ua-u]").fillna(False).astype(bool)
            sector = sector.where(~letter, sector.str.upper())
            w["sector"] = sector
        else:
            w["sector"] = text_na
        w["sector_key"] = cols.text_key(w["sector"])

        self._parse_status()
        self._parse_dates()

        # floor area
        area = self._col("floor_area_m2")
        if area is not None:
            num = cols.parse_number(area, area=True)
            self._bad(
                area.notna() & num.isna(),
                "floor_area_m2",
                "Fläche ist keine Zahl. Bitte Quadratmeter als Zahl angeben, z. B. 85 oder 85,5",
            )
            self._bad(num < 0, "floor_area_m2", "Fläche ist negativ. Bitte eine Fläche ab 0 m² angeben")
            w["floor_area_m2"] = num.where(num >= 0)
        else:
            w["floor_area_m2"] = np.nan

        self._parse_vocabulary(
            "position", cols.position_lookup, f"unbekannte Lage. Erlaubt: {cols.POSITION_HELP}"
        )
        self._parse_vocabulary(
            "confidence",
            lambda s: cols.lookup(s, cols.CONFIDENCE_WORDS),
            f"unbekannte Sicherheit. Erlaubt: {cols.CONFIDENCE_HELP}",
        )
        words = cols.use_class_words()
        self._parse_vocabulary(
            "use_class",
            lambda s: cols.lookup(s, words),
            f"unbekannte Nutzungsart. Erlaubt: {cols.USE_CLASS_HELP}",
        )

        # new settlement
        flag = self._col("new_settlement")
        if flag is not None:
            words_ns = cols.map_unique(flag, cols.normalise_word)
            yes = words_ns.isin(cols.YES_WORDS)
            no = words_ns.isin(cols.NO_WORDS)
            self._bad(
                flag.notna() & ~yes & ~no,
                "new_settlement",
                f"unbekannter Wert für Neuansiedlung. Erlaubt: {cols.YES_NO_HELP}",
            )
            w["new_settlement"] = yes.to_numpy()
        else:
            w["new_settlement"] = False

        for fld in (
            "address_note",
            "source",
            "note",
            "owner_name",
            "contact_person",
            "contact_phone",
            "contact_email",
        ):
            values = self._col(fld)
            w[fld] = values.astype("str") if values is not None else text_na

    def _parse_vocabulary(self, fld: str, func: Any, reason: str) -> None:
        values = self._col(fld)
        if values is None:
            self.w[fld] = pd.Series(np.nan, index=self.w.index, dtype="str")
            return
        mapped = func(values.astype("str"))
        self._bad(values.notna() & mapped.isna(), fld, reason)
        self.w[fld] = mapped.astype("str")

    def _parse_address(self) -> None:
        w = self.w
        fields = [f for f in ("street", "housenumber", "postcode", "address") if f in self.mapping]
        raw = pd.DataFrame({f: self.raw[self.mapping[f]].astype("str") for f in fields}, index=w.index)
        # work on the distinct address combinations only, then spread back
        if fields:
            codes = raw.groupby(fields, dropna=False, sort=False).ngroup().to_numpy()
            _, first = np.unique(codes, return_index=True)
            distinct = raw.iloc[first].reset_index(drop=True)
        else:
            codes = np.zeros(len(w), dtype="int64")
            distinct = pd.DataFrame(index=range(1))
        parts = _address_parts(distinct).iloc[codes].reset_index(drop=True)
        parts.index = w.index
        for col in ("street", "housenumber", "postcode", "addr_key"):
            w[col] = parts[col]
        if "address" in self.mapping:
            msg = f"Spalte '{self.mapping['address']}' in Straße, Hausnummer und PLZ zerlegt"
            no_number = int(parts["split_without_number"].sum())
            if no_number:
                msg += f"; {_count(no_number, 'Adresse', 'Adressen')} ohne Hausnummer"
            self.report.notes.append(msg + ".")

    def _parse_coordinates(self) -> None:
        w = self.w
        lon = pd.Series(np.nan, index=w.index)
        lat = pd.Series(np.nan, index=w.index)
        self.coord_columns = False
        if "lon" in self.mapping and "lat" in self.mapping:
            self.coord_columns = True
            lon, lat = self._parse_pair("lon", "lat")
        if "x" in self.mapping and "y" in self.mapping:
            self.coord_columns = True
            x_lon, x_lat = self._parse_pair("x", "y")
            use = lon.isna() & x_lon.notna()
            lon = lon.where(~use, x_lon)
            lat = lat.where(~use, x_lat)
        w["lon"] = lon.to_numpy()
        w["lat"] = lat.to_numpy()
        tx = _transformer(settings.storage_crs, settings.metric_crs)
        mx, my = tx.transform(w["lon"].to_numpy(), w["lat"].to_numpy())
        w["mx"] = np.where(w["lon"].notna(), mx, np.nan)
        w["my"] = np.where(w["lat"].notna(), my, np.nan)

    def _parse_pair(self, fa: str, fb: str) -> tuple[pd.Series, pd.Series]:
        """Parse one coordinate pair; returns lon/lat in EPSG:4326, NaN where invalid."""
        ca, cb = self.mapping[fa], self.mapping[fb]
        ra, rb = self.raw[ca], self.raw[cb]
        a = cols.parse_number(ra)
        b = cols.parse_number(rb)
        ta, tb = self._raw_text(fa), self._raw_text(fb)
        column = f"{ca}/{cb}"
        value = ta.fillna("") + "; " + tb.fillna("")
        given_a, given_b = ra.notna(), rb.notna()
        issues: list[tuple[pd.Series, str]] = []
        partial = given_a ^ given_b
        issues.append((partial, "unvollständige Koordinaten: nur ein Wert angegeben. Bitte beide ergänzen"))
        not_num = given_a & given_b & (a.isna() | b.isna())
        issues.append((not_num, "Koordinate ist keine Zahl. Bitte Dezimalzahlen angeben, z. B. 12,3745"))
        ok = a.notna() & b.notna()
        if fa == "lon":
            lon, lat = a, b
            in_lon = lon.between(*_LON_RANGE)
            in_lat = lat.between(*_LAT_RANGE)
            swapped = ok & ~(in_lon & in_lat) & lon.between(*_LAT_RANGE) & lat.between(*_LON_RANGE)
            metric = ok & ~(in_lon & in_lat) & (lon.abs() > 1000) & (lat.abs() > 1000)
            issues.append(
                (
                    swapped,
                    "Längen- und Breitengrad sehen vertauscht aus (Länge ≈ 51, Breite ≈ 12). "
                    "Bitte die beiden Spalten tauschen",
                )
            )
            other = metric
            issues.append(
                (
                    metric,
                    "die Werte sehen wie Meter-Koordinaten (EPSG:25833) aus, nicht wie Längen-/"
                    "Breitengrad. Bitte die Spalten 'x' und 'y' (Rechtswert/Hochwert) nennen",
                )
            )
        else:
            tx = _transformer(settings.metric_crs, settings.storage_crs)
            xs, ys = tx.transform(a.fillna(0).to_numpy(), b.fillna(0).to_numpy())
            lon = pd.Series(np.where(ok, xs, np.nan), index=a.index)
            lat = pd.Series(np.where(ok, ys, np.nan), index=a.index)
            in_lon = lon.between(*_LON_RANGE)
            in_lat = lat.between(*_LAT_RANGE)
            swapped = ok & ~(in_lon & in_lat) & a.between(5.0e6, 6.5e6) & b.between(1.0e5, 9.0e5)
            degrees = ok & ~(in_lon & in_lat) & (a.abs() <= 180) & (b.abs() <= 90)
            issues.append(
                (
                    swapped,
                    "Rechts- und Hochwert sehen vertauscht aus (x ≈ 5.700.000, y ≈ 320.000). "
                    "Bitte die beiden Spalten tauschen",
                )
            )
            other = degrees
            issues.append(
                (
                    degrees,
                    "die Werte sehen wie Längen-/Breitengrad aus, nicht wie Meter in EPSG:25833. "
                    "Bitte die Spalten 'lon' und 'lat' nennen",
                )
            )
        inside = in_lon & in_lat
        explained = swapped | other
        if fa == "lon":
            where = (
                f"Länge {_LON_RANGE[0]:.2f} bis {_LON_RANGE[1]:.2f}, "
                f"Breite {_LAT_RANGE[0]:.2f} bis "
                f"{_LAT_RANGE[1]:.2f}".replace(".", ",")
            )
        else:
            where = "x/y in Metern, EPSG:25833 (ETRS89/UTM 33N)"
        issues.append((ok & ~inside & ~explained, f"Ort liegt außerhalb Leipzigs (erwartet: {where})"))
        bad = pd.Series(False, index=a.index)
        for mask, reason in issues:
            mask = mask.fillna(False).astype(bool) & ~bad
            if mask.any():
                pos = np.flatnonzero(mask.to_numpy())
                self.issues.add(pos, column=column, value=value.iloc[pos], reason=reason)
                bad |= mask
        good = ok & inside
        return lon.where(good), lat.where(good)

    def _parse_status(self) -> None:
        w = self.w
        status = self._col("status")
        self.status_given = pd.Series(False, index=w.index)
        if status is None:
            w["status"] = pd.Series(np.nan, index=w.index, dtype="str")
            return
        status = status.astype("str")
        col = self.mapping["status"]
        mapped = cols.lookup(status, cols.STATUS_WORDS)
        if cols.normalise_name(col) == "leerstand":
            words = cols.map_unique(status, cols.normalise_word)
            mapped = mapped.where(~words.isin(cols.YES_WORDS), "vacant")
            mapped = mapped.where(~words.isin(cols.NO_WORDS), "occupied")
            self.report.notes.append(
                f"Spalte '{col}' als Leerstand gelesen: ja/x/1 → leer, nein/0 → genutzt."
            )
            reason = (
                f"unbekannter Wert für Leerstand. Erlaubt: {cols.YES_NO_HELP} oder ein Status: "
                f"{cols.STATUS_HELP}"
            )
        else:
            reason = f"unbekannter Status. Erlaubt: {cols.STATUS_HELP}"
        self._bad(status.notna() & mapped.isna(), "status", reason)
        w["status"] = mapped.astype("str")
        self.status_given = status.notna()

    def _parse_dates(self) -> None:
        w = self.w
        raw = self._col("observed_on")
        default = pd.Timestamp(self.as_of or self.today)
        if raw is None:
            w["date"] = pd.Series(default, index=w.index).astype("datetime64[us]")
            self.date_defaulted = pd.Series(True, index=w.index)
            return
        raw = raw.astype("str")
        codes, uniques = pd.factorize(raw)
        parsed = [_parse_date_text(u, self.today) for u in uniques]
        values = np.array([p[0] for p in parsed] + [np.datetime64("NaT", "us")], dtype="datetime64[us]")
        month = np.array([p[1] for p in parsed] + [False], dtype=bool)
        dates = pd.Series(values[codes], index=w.index)  # code -1 picks the NaT slot
        month_only = pd.Series(month[codes], index=w.index)
        self._bad(
            raw.notna() & dates.isna(),
            "observed_on",
            "Datum nicht lesbar. Erlaubt: TT.MM.JJJJ (z. B. 01.03.2024), JJJJ-MM-TT, TT.MM.JJ oder MM/JJJJ",
        )
        self._bad(
            dates > self.today_ts,
            "observed_on",
            f"Datum liegt in der Zukunft (heute ist der {_fmt_date(self.today)}). Bitte prüfen",
        )
        earliest = settings.earliest_date
        self._bad(
            dates < pd.Timestamp(earliest),
            "observed_on",
            f"Datum vor dem {_fmt_date(earliest)} ist nicht plausibel. Erlaubt: {_fmt_date(earliest)} "
            f"bis heute ({_fmt_date(self.today)}); die untere Grenze ist einstellbar (Einstellung "
            "settings.earliest_date, Umgebungsvariable QM_EARLIEST_DATE). Bitte das Datum prüfen",
        )
        if month_only.any():
            self.report.notes.append(
                f"{_count(int(month_only.sum()), 'Datumsangabe', 'Datumsangaben')} nur mit Monat (MM/JJJJ): als "
                "Monatserster gelesen."
            )
        self.date_defaulted = raw.isna()
        w["date"] = dates.where(~self.date_defaulted, default).astype("datetime64[us]")

    # -- units --------------------------------------------------------------------

    def _stored_units(self) -> pd.DataFrame:
        units = self.units
        su = pd.DataFrame(
            {"unit_id": units["unit_id"].astype("str") if "unit_id" in units else pd.Series(dtype="str")}
        )
        for col in UNIT_ATTRIBUTES:
            su[col] = units[col].to_numpy() if col in units.columns else np.nan
        su["addr_key"] = (
            cols.street_key(su["street"].astype("str"))
            + "|"
            + cols.housenumber_key(su["housenumber"].astype("str"))
        )
        su.loc[cols.street_key(su["street"].astype("str")) == "", "addr_key"] = ""
        mx = np.full(len(su), np.nan)
        my = np.full(len(su), np.nan)
        if len(su) and isinstance(units, gpd.GeoDataFrame) and units.geometry.name in units.columns:
            geo = units.geometry
            if geo.crs is not None and not geo.crs.equals(settings.storage_crs):
                geo = geo.to_crs(settings.storage_crs)
            arr = geo.values
            present = ~(geo.isna() | geo.is_empty).to_numpy()
            if present.any():
                pts = np.asarray(arr[present])
                non_point = shapely.get_type_id(pts) != 0
                pts = np.where(non_point, shapely.point_on_surface(pts), pts)
                tx = _transformer(settings.storage_crs, settings.metric_crs)
                x, y = tx.transform(shapely.get_x(pts), shapely.get_y(pts))
                mx[present] = x
                my[present] = y
        su["mx"] = mx
        su["my"] = my
        return su

    def _live_stored_obs(self) -> pd.DataFrame:
        obs = self.stored_obs
        cols = [
            "obs_id",
            "unit_id",
            "observed_on",
            "status",
            "business_name",
            "sector",
            "recorded_at",
            "supersedes",
        ]
        if len(obs) == 0:
            return pd.DataFrame(
                {
                    "obs_id": pd.Series(dtype="float64"),
                    "unit_id": pd.Series(dtype="str"),
                    "observed_on": pd.Series(dtype="datetime64[us]"),
                    "status": pd.Series(dtype="str"),
                    "business_name": pd.Series(dtype="str"),
                    "sector": pd.Series(dtype="str"),
                    "recorded_at": pd.Series(dtype="datetime64[us]"),
                    "supersedes": pd.Series(dtype="Int64"),
                }
            )
        obs = obs.reset_index(drop=True)
        frame = pd.DataFrame(
            {c: obs[c] if c in obs.columns else pd.Series(np.nan, index=obs.index) for c in cols}
        )
        frame["unit_id"] = frame["unit_id"].astype("str")
        superseded = pd.to_numeric(frame["supersedes"], errors="coerce").dropna().unique()
        frame["obs_id"] = pd.to_numeric(frame["obs_id"], errors="coerce")
        if len(superseded):
            frame = frame[~frame["obs_id"].isin(superseded)]
        frame["observed_on"] = pd.to_datetime(frame["observed_on"]).dt.normalize().astype("datetime64[us]")
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], errors="coerce")
        return frame.reset_index(drop=True)

    def _identify_units(self, alive: pd.Series) -> None:
        w = self.w
        su = self._stored_units()
        self.su = su
        self.live_obs = self._live_stored_obs()
        stored_ids = su["unit_id"].dropna().unique()

        has_uid = w["uid"].notna()
        no_key = alive & ~has_uid & (w["addr_key"] == "")
        if no_key.any():
            pos = np.flatnonzero(no_key.to_numpy())
            self.issues.add(
                pos,
                column=None,
                value=None,
                reason="weder Einheiten-Nr. noch Adresse angegeben; die Zeile kann keiner Einheit "
                "zugeordnet werden. Bitte Nr. oder Straße und Hausnummer ergänzen",
            )
        key = pd.Series("", index=w.index, dtype="str")
        match = pd.Series(np.nan, index=w.index, dtype="str")
        key = key.where(~has_uid, "id:" + w["uid"].fillna(""))
        match = match.where(~(has_uid & w["uid"].isin(stored_ids)), w["uid"])

        am = alive & ~has_uid & (w["addr_key"] != "")
        multi = pd.Series(False, index=w.index)
        if am.any():
            sub = w.loc[am, ["addr_key", "date", "biz_key"]]
            per_day = sub.groupby(["addr_key", "date"], sort=False)["biz_key"].nunique()
            multi_addr = per_day[per_day > 1].index.get_level_values(0).unique()
            multi = am & w["addr_key"].isin(multi_addr)
            if len(multi_addr):
                self.report.notes.append(
                    f"An {_count(len(multi_addr), 'Adresse', 'Adressen')} stehen am selben Datum verschiedene Betriebe; "
                    "sie gelten als getrennte Einheiten (Zuordnung über den Betriebsnamen). Bei "
                    "mehreren Einheiten in einem Haus hilft eine Spalte 'Nr.' mit eigenen Nummern."
                )
            key = key.where(~am, "adr:" + w["addr_key"])
            key = key.where(~multi, key + "#" + w["biz_key"])

            # stored units at each address, and by business name at an address
            addr_units = su[su["addr_key"] != ""].groupby("addr_key")["unit_id"]
            counts = addr_units.size()
            single_uid = addr_units.first()[counts == 1]
            name_map = self._name_map(su)
            lookup = pd.MultiIndex.from_arrays([w.loc[am, "addr_key"], w.loc[am, "biz_key"]])
            by_name = pd.Series(name_map.reindex(lookup).to_numpy(), index=w.index[am], dtype="str")

            m_multi = by_name[multi[am].to_numpy()]
            match.loc[m_multi.index] = m_multi
            single = am & ~multi
            if single.any():
                only = w.loc[single, "addr_key"].map(single_uid)
                cand = pd.DataFrame(
                    {
                        "key": key[single],
                        "date": w.loc[single, "date"],
                        "_row": w.loc[single, "_row"],
                        "by_name": by_name[single[am].to_numpy()],
                    }
                )
                first_named = (
                    cand.dropna(subset=["by_name"])
                    .sort_values(["date", "_row"])
                    .groupby("key")["by_name"]
                    .first()
                )
                chosen = only.where(only.notna(), cand["key"].map(first_named))
                match.loc[chosen.index] = chosen.astype("str")
        w["key"] = key
        w["match"] = match
        w["unit"] = match.where(match.notna(), key)
        w["ucode"] = pd.factorize(w["unit"])[0]
        w["is_new"] = match.isna()
        w["multi"] = multi
        matched = int((alive & match.notna()).sum())
        if matched:
            self.report.notes.append(
                f"{_count(matched, 'Zeile', 'Zeilen')} vorhandenen Einheiten zugeordnet."
            )

    def _name_map(self, su: pd.DataFrame) -> pd.Series:
        """(address key, business key) -> stored unit whose latest observation names it.

        Only each unit's current (latest) business counts, so a business that
        moved within a building is not matched to its old unit.
        """
        obs = self.live_obs
        if len(obs) == 0 or len(su) == 0:
            return pd.Series(dtype="str", index=pd.MultiIndex.from_arrays([[], []]))
        addr = su.set_index("unit_id")["addr_key"]
        frame = pd.DataFrame(
            {
                "unit_id": obs["unit_id"],
                "addr_key": obs["unit_id"].map(addr),
                "biz_key": cols.text_key(obs["business_name"].astype("str")),
                "observed_on": obs["observed_on"],
                "recorded_at": obs["recorded_at"],
                "obs_id": obs["obs_id"],
            }
        )
        frame = frame[frame["addr_key"].fillna("") != ""]
        frame = frame.sort_values(["observed_on", "recorded_at", "obs_id"], na_position="first")
        frame = frame.drop_duplicates("unit_id", keep="last")
        frame = frame.drop_duplicates(["addr_key", "biz_key"], keep="last")
        return frame.set_index(["addr_key", "biz_key"])["unit_id"]

    def _label(self, positions: np.ndarray) -> list[str]:
        w = self.w.iloc[positions]
        labels = []
        for uid, street, hnr, business in zip(
            w["uid"], w["street"], w["housenumber"], w["business_name"], strict=True
        ):
            if isinstance(uid, str):
                labels.append(f"Einheit '{uid}'")
                continue
            address = " ".join(x for x in (street, hnr) if isinstance(x, str))
            text = f"Einheit an '{address}'"
            if isinstance(business, str):
                text += f" ('{business}')"
            labels.append(text)
        return labels

    # -- conflicts ----------------------------------------------------------------

    def _final_status(self) -> pd.Series:
        w = self.w
        default = pd.Series(np.where(w["biz_key"] != "", "occupied", "unknown"), index=w.index, dtype="str")
        return w["status"].where(w["status"].notna(), default)

    def _check_conflicts(self, alive: pd.Series) -> None:
        w = self.w
        w["status_final"] = self._final_status()
        self.obs_dup = pd.Series(False, index=w.index)
        self._check_locations(alive)
        self._check_same_day(alive & ~self._error_mask())

    def _check_same_day(self, alive: pd.Series) -> None:
        w = self.w
        sub = w.loc[alive, ["ucode", "date", "_row", "status_final", "biz_key", "sector_key"]]
        if sub.empty:
            return
        grp = sub.groupby(["ucode", "date"], sort=False)
        size = grp["_row"].transform("size")
        multi = sub[size > 1]
        if multi.empty:
            return
        g2 = multi.groupby(["ucode", "date"], sort=False)
        differs = g2[["status_final", "biz_key", "sector_key"]].transform("nunique").gt(1).any(axis=1)
        conflict = multi[differs]
        dups = multi[~differs].sort_values("_row")
        if len(dups):
            first = dups.groupby(["ucode", "date"], sort=False)["_row"].transform("first")
            extra = dups[dups["_row"] != first]
            self.obs_dup.loc[extra.index] = True
            self.issues.add(
                extra.index.to_numpy(),
                column=None,
                value=None,
                reason=[
                    f"beschreibt dieselbe Einheit am selben Datum wie Zeile {int(r)} (gleicher "
                    "Status, Betrieb und Branche); nur eine Beobachtung übernommen"
                    for r in first[extra.index]
                ],
                severity="warning",
            )
        if conflict.empty:
            return
        names = {
            "status_final": ("status", "Status"),
            "biz_key": ("business_name", "Betrieb"),
            "sector_key": ("sector", "Branche"),
        }
        raw_text = {names[k][0]: self._raw_text(names[k][0]) for k in names if names[k][0] in self.mapping}
        for (_, day), group in conflict.groupby(["ucode", "date"], sort=False):
            rows = group["_row"].tolist()
            fields = [k for k in names if group[k].nunique() > 1]
            label = self._label(np.array([group.index[0]]))[0]
            what = ", ".join(names[k][1] for k in fields)
            fld = names[fields[0]][0]
            col = self.mapping.get(fld)
            for idx, row in zip(group.index, rows, strict=True):
                others = _rows_text([r for r in rows if r != row])
                if fld in raw_text:
                    value = raw_text[fld].iat[idx]
                elif fld == "status":  # no status column: the default taken
                    value = STATUS_LABELS.get(str(w.at[idx, "status_final"]))
                else:
                    value = w.at[idx, fld]
                self.issues.add(
                    [idx],
                    column=col,
                    value=None
                    if value is None or (isinstance(value, float) and np.isnan(value))
                    else str(value),
                    reason=(
                        f"Widerspruch: {label} steht am {_fmt_date(day)} auch in {others}, "
                        f"aber mit anderem Inhalt ({what}). Bitte eine der Zeilen korrigieren"
                    ),
                )

    def _check_locations(self, alive: pd.Series) -> None:
        w = self.w
        tol = float(settings.location_tolerance_m)
        located = alive & w["mx"].notna()
        if not located.any():
            return
        coord_col = self._coord_column()
        sub = w.loc[located, ["ucode", "_row", "mx", "my"]].sort_values("_row")
        ref = sub.groupby("ucode", sort=False)[["mx", "my"]].transform("first")
        dist = np.hypot(sub["mx"] - ref["mx"], sub["my"] - ref["my"])
        far_units = sub.loc[dist > tol, "ucode"].unique()
        if len(far_units):
            bad = sub[sub["ucode"].isin(far_units)]
            for _, group in bad.groupby("ucode", sort=False):
                # distance from the unit's first located row (exact for two rows)
                spread = float(dist[group.index].max())
                label = self._label(np.array([group.index[0]]))[0]
                rows = group["_row"].tolist()
                for idx, row in zip(group.index, rows, strict=True):
                    others = _rows_text([r for r in rows if r != row])
                    self.issues.add(
                        [idx],
                        column=coord_col,
                        value=self._coord_value(idx),
                        reason=(
                            f"{label} hat in {others} einen anderen Ort; die Orte liegen bis zu "
                            f"{_fmt_m(spread)} m auseinander (erlaubt: {_fmt_m(tol)} m). "
                            "Bitte den richtigen Ort klären"
                        ),
                    )
        # against the stored location of matched units
        stored = w.loc[located & w["match"].notna(), ["match", "mx", "my"]]
        if stored.empty:
            return
        su_xy = self.su.drop_duplicates("unit_id").set_index("unit_id")[["mx", "my"]]
        ref_xy = su_xy.reindex(stored["match"])
        dist = np.hypot(
            stored["mx"].to_numpy() - ref_xy["mx"].to_numpy(),
            stored["my"].to_numpy() - ref_xy["my"].to_numpy(),
        )
        far = dist > tol
        for idx, uid, d in zip(stored.index[far], stored["match"][far], dist[far], strict=True):
            self.issues.add(
                [idx],
                column=coord_col,
                value=self._coord_value(idx),
                reason=(
                    f"liegt {_fmt_m(d)} m vom gespeicherten Ort der Einheit '{uid}' entfernt "
                    f"(erlaubt: {_fmt_m(tol)} m). Bitte den Ort prüfen oder eine andere Nr. angeben"
                ),
            )

    def _coord_column(self) -> str | None:
        for a, b in (("lon", "lat"), ("x", "y")):
            if a in self.mapping and b in self.mapping:
                return f"{self.mapping[a]}/{self.mapping[b]}"
        return None

    def _coord_value(self, idx: int) -> str:
        lon, lat = self.w.at[idx, "lon"], self.w.at[idx, "lat"]
        return f"{lon:.6f}; {lat:.6f}".replace(".", ",")

    def _check_missing_coordinates(self, alive: pd.Series) -> None:
        w = self.w
        new = alive & w["is_new"]
        if not new.any():
            return
        located_units = w.loc[new & w["lon"].notna(), "ucode"].unique()
        lacking = new & ~np.isin(w["ucode"].to_numpy(), located_units)
        if not lacking.any():
            return
        pos = np.flatnonzero(lacking.to_numpy())
        self.issues.add(
            pos,
            column=None,
            value=None,
            reason=(
                "keine Koordinaten; Geokodierung von Adressen ist noch nicht eingebaut — "
                "bitte lon/lat oder x/y ergänzen (die Zeile passt zu keiner vorhandenen Einheit)"
            ),
        )
        if not self.coord_columns and not (alive & w["match"].notna()).any():
            self._file_issue(
                "Die Datei hat keine Koordinatenspalten (lon/lat oder x/y), und keine Zeile "
                "passt zu einer vorhandenen Einheit (über Nr. oder Adresse). Neue Einheiten "
                "brauchen einen Ort: bitte Spalten lon/lat (Grad) oder x/y (EPSG:25833) "
                "ergänzen. Geokodierung von Adressen ist "
                "noch nicht eingebaut."
            )

    # -- plan ---------------------------------------------------------------------

    def _plan(self, good: pd.Series) -> ImportPlan:
        w = self.w
        g = w[good].sort_values(["ucode", "date", "_row"], kind="stable")
        new_units, id_map = self._new_units(g)
        g = g.assign(unit_id=g["ucode"].map(id_map).where(g["is_new"], g["match"]))
        unit_updates = self._unit_updates(g[~g["is_new"]])
        observations, unchanged = self._observations(g[~self.obs_dup[g.index]])
        self.report.units_added = len(new_units)
        self.report.units_updated = len(unit_updates)
        self.report.observations_added = len(observations)
        self.report.unchanged = unchanged
        self._notes_defaults(w[good])
        return ImportPlan(
            report=self.report,
            new_units=new_units,
            unit_updates=unit_updates,
            observations=observations,
        )

    def _new_units(self, g: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.Series]:
        gn = g[g["is_new"]]
        attrs = [*UNIT_ATTRIBUTES, "lon", "lat"]
        per_unit = gn.groupby("ucode", sort=False)[attrs].last()
        first_row = gn.groupby("ucode", sort=False)["_row"].min()
        uid = gn.groupby("ucode", sort=False)["uid"].first()
        order = first_row.sort_values(kind="stable").index
        per_unit = per_unit.loc[order]
        uid = uid.loc[order]
        taken = set(self.su["unit_id"].dropna().unique()) | set(self.w["uid"].dropna().unique())
        next_no = _max_qm_number(taken) + 1
        needs = uid.isna().to_numpy()
        new_ids = uid.to_numpy(dtype=object, na_value=None).copy()
        new_ids[needs] = [f"QM-{n:06d}" for n in range(next_no, next_no + int(needs.sum()))]
        id_map = pd.Series(new_ids, index=per_unit.index, dtype="str")
        frame = pd.DataFrame({"unit_id": pd.Series(new_ids, dtype="str")})
        for col in UNIT_COLUMNS[1:]:
            if col in UNIT_ATTRIBUTES:
                values = per_unit[col].to_numpy()
                frame[col] = pd.Series(values, dtype="float64" if col == "floor_area_m2" else "str")
            else:
                frame[col] = pd.Series([None] * len(frame), dtype=object)
        geometry = gpd.points_from_xy(
            per_unit["lon"].to_numpy(), per_unit["lat"].to_numpy(), crs=settings.storage_crs
        )
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=settings.storage_crs), id_map

    def _unit_updates(self, gm: pd.DataFrame) -> pd.DataFrame:
        empty = pd.DataFrame({"unit_id": pd.Series(dtype="str")})
        for col in UNIT_ATTRIBUTES:
            empty[col] = pd.Series(dtype="float64" if col == "floor_area_m2" else "str")
        if gm.empty:
            return empty
        new = gm.groupby("unit_id", sort=True)[list(UNIT_ATTRIBUTES)].last()
        old = self.su.drop_duplicates("unit_id").set_index("unit_id").reindex(new.index)
        out = pd.DataFrame(index=new.index)
        for col in UNIT_ATTRIBUTES:
            nv = new[col]
            if col == "floor_area_m2":
                ov = pd.to_numeric(old[col], errors="coerce")
                nv = pd.to_numeric(nv, errors="coerce")
                changed = nv.notna() & (ov.isna() | ((nv - ov).abs() > 1e-9))
                out[col] = nv.where(changed).astype("float64")
                continue
            ov = old[col].astype("str")
            nv = nv.astype("str")
            if col == "street":
                same = cols.street_key(nv) == cols.street_key(ov)
            elif col == "housenumber":
                same = cols.housenumber_key(nv) == cols.housenumber_key(ov)
            else:
                same = nv == ov
            changed = nv.notna() & ~same.fillna(False).astype(bool)
            out[col] = nv.where(changed).astype("str")
        out = out[out.notna().any(axis=1)]
        if out.empty:
            return empty
        result = out.reset_index()
        return result.astype(empty.dtypes.to_dict())[list(empty.columns)]

    def _observations(self, go: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        go = go.reset_index(drop=True)
        n = len(go)
        obs = pd.DataFrame(
            {
                "unit_id": go["unit_id"].astype("str"),
                "observed_on": go["date"].astype("datetime64[us]"),
                "status": go["status_final"].astype("str"),
                "business_name": go["business_name"].astype("str"),
                "sector": go["sector"].astype("str"),
                "confidence": go["confidence"].fillna("reported").astype("str"),
                "source": go["source"].fillna(self.source).astype("str"),
                "note": go["note"].astype("str"),
                "new_settlement": go["new_settlement"].astype(bool),
                "supersedes": pd.Series(_na_int(n)),
                "recorded_by": pd.Series(self.recorded_by, index=go.index, dtype="str"),
            }
        )
        keep, supersedes = self._compare_with_state(
            obs["unit_id"], obs["observed_on"], obs["status"], go["biz_key"], go["sector_key"]
        )
        obs["supersedes"] = supersedes
        unchanged = int((~keep).sum())
        result = obs[keep].sort_values(["unit_id", "observed_on"], kind="stable")
        return result.reset_index(drop=True)[list(PLAN_OBSERVATION_COLUMNS)], unchanged

    def _compare_with_state(
        self,
        unit_id: pd.Series,
        observed_on: pd.Series,
        status: pd.Series,
        biz_key: pd.Series,
        sector_key: pd.Series,
    ) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
        """Which planned observations change the unit's state; which stored ones they correct.

        The state a planned observation is compared with is the one just before
        it in the order (unit, date, stored before planned, recorded_at,
        obs_id): the latest stored or earlier planned observation on or before
        its date. Equal status, business key and sector key means unchanged.
        """
        n = len(unit_id)
        supersedes = _na_int(n)
        if n == 0:
            return np.ones(0, dtype=bool), supersedes
        stored = self.live_obs
        unit_id = unit_id.reset_index(drop=True)
        if len(stored):
            # codes of planned units come first; stored rows of other units are dropped
            both = pd.concat([unit_id, stored["unit_id"].astype("str")], ignore_index=True)
            all_codes, _ = pd.factorize(both)
            n_planned_units = int(all_codes[:n].max()) + 1
            relevant = all_codes[n:] < n_planned_units
            stored = stored[relevant]
            unit_codes = np.concatenate([all_codes[n:][relevant], all_codes[:n]])
        else:
            unit_codes = pd.factorize(unit_id)[0]
        m = len(stored)

        def codes(stored_values: pd.Series, planned: pd.Series) -> np.ndarray:
            both = pd.concat(
                [
                    stored_values.astype("str").reset_index(drop=True),
                    planned.reset_index(drop=True),
                ],
                ignore_index=True,
            )
            return pd.factorize(both.fillna(""))[0]

        if m:
            s_biz = cols.text_key(stored["business_name"].astype("str"))
            s_sec = cols.text_key(stored["sector"].astype("str"))
            s_status = stored["status"]
        else:
            s_biz = s_sec = s_status = pd.Series([], dtype="str")
        status_c = codes(s_status, status)
        biz_c = codes(s_biz, biz_key)
        sec_c = codes(s_sec, sector_key)
        day = np.concatenate(
            [
                stored["observed_on"].to_numpy(dtype="datetime64[us]")
                if m
                else np.array([], "datetime64[us]"),
                observed_on.to_numpy(dtype="datetime64[us]"),
            ]
        ).astype("int64")
        kind = np.concatenate([np.zeros(m, dtype="int8"), np.ones(n, dtype="int8")])
        rec = np.full(m + n, np.iinfo("int64").min, dtype="int64")
        oid = np.full(m + n, -1, dtype="int64")
        if m:
            rec_s = pd.to_datetime(stored["recorded_at"]).to_numpy(dtype="datetime64[us]")
            rec[:m] = np.where(np.isnat(rec_s), np.iinfo("int64").min, rec_s.astype("int64"))
            oid[:m] = pd.to_numeric(stored["obs_id"]).fillna(-1).to_numpy(dtype="int64")
        pos = np.concatenate([np.full(m, -1, dtype="int64"), np.arange(n, dtype="int64")])
        order = np.lexsort((pos, oid, rec, kind, day, unit_codes))
        u, d, k = unit_codes[order], day[order], kind[order]
        st, bz, sc, ob, ps = status_c[order], biz_c[order], sec_c[order], oid[order], pos[order]
        same_unit = np.zeros(m + n, dtype=bool)
        same_unit[1:] = u[1:] == u[:-1]
        same_state = np.zeros(m + n, dtype=bool)
        same_state[1:] = (st[1:] == st[:-1]) & (bz[1:] == bz[:-1]) & (sc[1:] == sc[:-1])
        same_state &= same_unit
        corrects = np.zeros(m + n, dtype=bool)
        corrects[1:] = (k[:-1] == 0) & (d[1:] == d[:-1])
        is_plan = k == 1
        corrects &= is_plan & same_unit & ~same_state
        keep = np.ones(n, dtype=bool)
        keep[ps[is_plan]] = ~same_state[is_plan]
        prev_oid = np.empty_like(ob)
        prev_oid[1:] = ob[:-1]
        if corrects.any():
            supersedes[ps[corrects]] = prev_oid[corrects]
        return keep, supersedes

    # -- report -------------------------------------------------------------------

    def _notes_defaults(self, rows: pd.DataFrame) -> None:
        notes = self.report.notes
        n_default = int(self.date_defaulted[rows.index].sum())
        if n_default:
            if self.as_of is not None:
                notes.append(
                    f"{_count(n_default, 'Zeile', 'Zeilen')} ohne Datum: Stichtag "
                    f"{_fmt_date(self.as_of)} übernommen."
                )
            else:
                notes.append(
                    f"{_count(n_default, 'Zeile', 'Zeilen')} ohne Datum: heutiges Datum "
                    f"{_fmt_date(self.today)} "
                    "übernommen."
                )
        no_status = ~self.status_given[rows.index] & rows["status"].isna()
        if no_status.any():
            named = int((no_status & (rows["biz_key"] != "")).sum())
            unnamed = int(no_status.sum()) - named
            parts = []
            if named:
                parts.append(f"{named} als 'genutzt' (Betrieb genannt)")
            if unnamed:
                parts.append(f"{unnamed} als 'unbekannt' (kein Betrieb genannt)")
            n_rows = _count(int(no_status.sum()), "Zeile", "Zeilen")
            notes.append(f"{n_rows} ohne Status: " + ", ".join(parts) + ".")
        if len(rows):
            dates_per_unit = rows.groupby("ucode")["date"].nunique()
            history = int((dates_per_unit > 1).sum())
            if history:
                notes.append(
                    f"Verlauf: {_count(history, 'Einheit', 'Einheiten')} mit Angaben zu mehreren Daten."
                )
            else:
                notes.append("Stichtagsliste: je Einheit ein Datum.")
        if self.report.unchanged:
            notes.append(
                f"{_count(self.report.unchanged, 'Zeile', 'Zeilen')} ohne Änderung gegenüber dem "
                "bekannten Stand; "
                "keine neue Beobachtung."
            )

    def _finish_report(self, plan: ImportPlan) -> None:
        report = self.report
        frame = self.issues.frame()
        frame["row"] = (
            self.w["_row"].to_numpy()[frame["pos"].to_numpy()] if len(frame) else pd.Series(dtype="int64")
        )
        frame = frame.sort_values(["row", "severity"], kind="stable")
        issues = list(self.file_issues)
        row_issues: list[RowIssue] = []
        for row, column, value, reason, severity in zip(
            frame["row"],
            frame["column"],
            frame["value"],
            frame["reason"],
            frame["severity"],
            strict=True,
        ):
            row_issues.append(
                RowIssue(
                    row=int(row),
                    column=None
                    if column is None or (isinstance(column, float) and np.isnan(column))
                    else str(column),
                    value=None
                    if value is None or (isinstance(value, float) and np.isnan(value))
                    else str(value),
                    reason=str(reason),
                    severity=severity,
                )
            )
        row_issues.extend(self.unread_issues)
        row_issues.sort(key=lambda i: (i.row, i.severity))
        report.issues = issues + row_issues
        report.rows_rejected = len({i.row for i in row_issues if i.severity == "error"})
        if report.mode == "reject" and not report.ok:
            report.notes.append(
                f"Wegen {_count(len(report.errors), 'Fehler', 'Fehlern')} in "
                f"{_count(report.rows_rejected, 'Zeile', 'Zeilen')} wird nichts "
                f"importiert (Modus 'reject'). Mit on_error='skip' würden "
                f"{_count(report.units_added, 'neue Einheit', 'neue Einheiten')} und "
                f"{_count(report.observations_added, 'Beobachtung', 'Beobachtungen')} übernommen."
            )
            report.units_added = report.units_updated = 0
            report.observations_added = report.unchanged = 0
            plan.new_units = plan.new_units.iloc[0:0]
            plan.unit_updates = plan.unit_updates.iloc[0:0]
            plan.observations = plan.observations.iloc[0:0]


# -- helpers ---------------------------------------------------------------------


def _address_parts(raw: pd.DataFrame) -> pd.DataFrame:
    """Street, house number, postcode and address key from raw address columns.

    Parameters
    ----------
    raw
        Any of the columns ``street``, ``housenumber``, ``postcode`` and
        ``address`` (combined "Straße 12, 04315 Leipzig"), as text.

    Returns
    -------
    pandas.DataFrame
        ``street``, ``housenumber``, ``postcode`` (tidied for storage),
        ``addr_key`` (``""`` without a street) and ``split_without_number``
        (a combined address without a house number).
    """
    text_na = pd.Series(np.nan, index=raw.index, dtype="str")

    def column(name: str) -> pd.Series:
        return cols.clean_text(raw[name]) if name in raw.columns else text_na.copy()

    street, hnr, postcode = column("street"), column("housenumber"), column("postcode")
    without_number = pd.Series(False, index=raw.index)
    if "address" in raw.columns:
        combined = column("address")
        parts = cols.split_address(combined)
        use = street.isna() & combined.notna()
        street = street.where(~use, parts["street"])
        hnr = hnr.where(~(use & hnr.isna()), parts["housenumber"])
        postcode = postcode.where(~(use & postcode.isna()), parts["postcode"])
        without_number = use & parts["housenumber"].isna()
    # a street column holding "Straße 12" while the house number is empty
    has_digit = street.str.contains(r"\d", regex=True).fillna(False).astype(bool)
    split_street = street.notna() & hnr.isna() & has_digit
    if split_street.any():
        parts = cols.split_address(street.where(split_street))
        has_nr = split_street & parts["housenumber"].notna()
        street = street.where(~has_nr, parts["street"])
        hnr = hnr.where(~has_nr, parts["housenumber"])
        postcode = postcode.where(~(has_nr & postcode.isna()), parts["postcode"])
    out = pd.DataFrame(
        {
            "street": cols.tidy_street(street),
            "housenumber": cols.tidy_housenumber(hnr),
            "postcode": cols.tidy_postcode(postcode),
        }
    )
    skey = cols.street_key(out["street"])
    hkey = cols.housenumber_key(out["housenumber"])
    out["addr_key"] = (skey + "|" + hkey).where(skey != "", "")
    out["split_without_number"] = without_number.to_numpy()
    return out


_DATE_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})$"), "dmy"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2})$"), "dmy2"),
    (re.compile(r"^(\d{1,2})[/.](\d{4})$"), "my"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "ym"),
)


def _parse_date_text(text: str, today: date) -> tuple[np.datetime64, bool]:
    """Parse one date text; returns (date or NaT, month precision only)."""
    value = _DATE_TIME_SUFFIX.sub("", text.strip())
    for pattern, kind in _DATE_PATTERNS:
        found = pattern.match(value)
        if not found:
            continue
        nums = [int(x) for x in found.groups()]
        month_only = kind in ("my", "ym")
        if kind == "dmy":
            day, month, year = nums
        elif kind == "ymd":
            year, month, day = nums
        elif kind == "dmy2":
            day, month, year = nums
            year += 2000
            if year > today.year:
                year -= 100
        elif kind == "my":
            month, year = nums
            day = 1
        else:
            year, month = nums
            day = 1
        try:
            return np.datetime64(date(year, month, day), "us"), month_only
        except ValueError:
            return np.datetime64("NaT", "us"), False
    return np.datetime64("NaT", "us"), False


def _count(n: int, one: str, many: str) -> str:
    """``1 Zeile`` or ``3 Zeilen``."""
    return f"{n} {one if n == 1 else many}"


def _rows_text(rows: list[int], limit: int = 10) -> str:
    """``Zeile 5`` or ``Zeilen 5, 9`` (German); long lists are cut after ``limit``."""
    word = "Zeile" if len(rows) == 1 else "Zeilen"
    text = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        text += f" und {len(rows) - limit} weiteren"
    return f"{word} {text}"


def _na_int(n: int) -> pd.arrays.IntegerArray:
    """An all-missing nullable Int64 array of length ``n``."""
    return pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))


def _max_qm_number(ids: set[str]) -> int:
    numbers = [int(m.group(1)) for i in ids if isinstance(i, str) and (m := re.fullmatch(r"QM-(\d+)", i))]
    return max(numbers, default=0)
