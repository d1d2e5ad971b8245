"""The raw table a reader hands on, and the rules for its cells' text.

:class:`RawTable` is the result of the reading stage: every value as text,
plus what reading found (notes, row issues, rows that could not be read).
:func:`cell_text` and :func:`as_text` turn cells into that text (never "nan",
"None" or "NaT"); :func:`text_problem` says why a text must not reach the
store (mojibake, control characters, placeholders, Excel error values, too
long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from geo import settings
from geo.formats import fmt_int
from geo.register.imports._limits import setting_text
from geo.register.imports.report import RowIssue


@dataclass(frozen=True)
class RawTable:
    """A list as read from a file: raw text values and what reading found.

    Attributes
    ----------
    frame
        One row per data row or feature. Attribute values are text (missing
        values NaN; never the text "nan", "None" or "NaT"). Vector formats get
        float columns ``lon``/``lat`` from the geometry in EPSG:4326. Column
        ``_row`` holds the row number the user sees (spreadsheet row or line;
        feature number for vector formats).
    name
        The file's name, for messages.
    notes
        German notes on how the file was read.
    issues
        Problems found while reading: rows that cannot be split into the
        header's columns, formulas without a stored result, lines in another
        encoding.
    unread
        Data rows left out because they could not be read.
    """

    frame: pd.DataFrame
    name: str
    notes: tuple[str, ...] = ()
    issues: tuple[RowIssue, ...] = ()
    unread: int = 0


# -- cells as text -----------------------------------------------------------------


def as_text(values: pd.Series) -> pd.Series:
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
    return pd.Series([cell_text(v) for v in values], index=values.index, dtype="str")


def cell_text(value: object) -> str | None:
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


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, with the full length noted when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({fmt_int(len(text))} Zeichen)"


# -- texts that must not reach the store ----------------------------------------------


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
MOJIBAKE_RE = re.compile(f"[ÂÃÄÅÐÑØÙÚÛ][{_CONTINUATION}]|[âï][{_CONTINUATION}]{{2}}")

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


def mojibake_hint(text: str) -> str:
    """``'ÃŸ' statt 'ß'`` for the first mojibake in ``text``."""
    found = MOJIBAKE_RE.search(text)
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


def text_problem(text: str) -> str | None:
    """German reason why a field's text must not be stored, or None.

    Too long (:data:`geo.settings.max_field_chars`), a control character, the
    replacement character U+FFFD, mojibake (UTF-8 read as Windows-1252), a
    placeholder a program wrote for an empty cell ("nan", "None", "NaT",
    "NULL") or an Excel error value ("#NV").
    """
    limit = settings.max_field_chars
    if len(text) > limit:
        return (
            f"Text ist {fmt_int(len(text))} Zeichen lang; erlaubt sind höchstens {fmt_int(limit)} "
            f"je Feld ({setting_text('max_field_chars', 'QM_MAX_FIELD_CHARS')}). Bitte kürzen"
        )
    if "\ufffd" in text:
        return (
            "Text enthält das Ersatzzeichen '\ufffd': beim Speichern oder Umwandeln ging ein Zeichen "
            "verloren. Bitte den Text korrigieren und die Datei als UTF-8 speichern"
        )
    if MOJIBAKE_RE.search(text):
        return (
            f"Text ist falsch kodiert ({mojibake_hint(text)}): UTF-8 wurde als Windows-1252 oder "
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
