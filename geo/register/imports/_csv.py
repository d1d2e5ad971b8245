"""Reading CSV files strictly (issue "Trust"): encodings line by line, every row checked against the header.

Plumbing of :mod:`geo.register.imports.read`. A row that does not split into
the header's columns is reported at its line and not read, never shifted.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_int
from geo.register.imports._limits import check_row_count, setting_text
from geo.register.imports._table import RawTable, shorten
from geo.register.imports.columns import UNNAMED, header_names
from geo.register.imports.report import RowIssue, count, rows_text

#: German names of the CSV field separators.
_SEP_NAMES: dict[str, str] = {";": "Semikolon", ",": "Komma", "\t": "Tabulator"}

#: One physical line with its line break (CRLF, LF or CR); the last line may lack one.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")
_LINE_RE_BYTES = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")


def read_csv(p: Path) -> RawTable:
    """Read a CSV file strictly: every row must fit the header; see :func:`~geo.register.imports.read.read`."""
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
        check_row_count(p.name, sum(1 for line in lines[offset + 1 :] if line.strip()))
    names, rows, row_issues, unread = _split_csv(lines, offset, sep, p.name, notes)
    issues.extend(row_issues)
    frame = pd.DataFrame([f for _, f in rows], columns=pd.Index(range(len(names))), dtype=object)
    frame.columns = names
    frame["_row"] = np.array([r for r, _ in rows], dtype="int64")
    notes.append(f"CSV mit Trennzeichen {_SEP_NAMES.get(sep, repr(sep))} gelesen.")
    return RawTable(frame, p.name, tuple(notes), tuple(issues), unread)


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
        f"Zeichenkodierung gemischt: {rows_text(cp1252_lines)} in Windows-1252 (ANSI), die "
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
        Column labels (see :func:`~geo.register.imports.columns.header_names`).
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
                value = shorten(parts[longest])
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
                    value=shorten(fields[where].splitlines()[0] if fields[where].strip() else ""),
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
                    f"Jede Datenzeile hat {count(width - n_header, 'leeres Feld', 'leere Felder')} mehr "
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
                    column=UNNAMED.format(extra + 1),
                    value=shorten(record[extra]),
                    reason=(
                        f"Wert in Spalte {extra + 1}, die keine Überschrift hat: vermutlich ein "
                        f"{sep_name} zu viel in der Zeile. Nicht gelesen. Bitte das Trennzeichen "
                        "entfernen oder der Spalte eine Überschrift geben"
                    ),
                )
            )
            continue
        rows.append((start, record[:n_named]))
    names = header_names(header[:n_named], name)
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
            f"ein Feld ist länger als {fmt_int(csv.field_size_limit())} Zeichen (erlaubt: "
            f"{fmt_int(settings.max_field_chars)}; "
            f"{setting_text('max_field_chars', 'QM_MAX_FIELD_CHARS')}). Nicht gelesen. Bitte kürzen"
        )
    return "die Zeile lässt sich nicht in Felder zerlegen. Nicht gelesen. Bitte Trennzeichen und Anführungszeichen prüfen"


def _binary_csv_error(p: Path) -> InputError:
    return InputError(
        f"'{p.name}' ist keine Textdatei (CSV), sondern enthält Binärdaten. Bitte die Liste in "
        "Excel öffnen und als 'CSV UTF-8 (durch Trennzeichen getrennt)' oder als .xlsx speichern."
    )
