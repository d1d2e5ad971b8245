"""The status words of imports: the table ``data/status_words.csv`` (:data:`geo.settings.status_words_path`).

The table is the one home of the words a list may use for a status
(``zu vermieten``, ``leerstehend``, ``in Umbau``, ...). The office extends it
without code: one line ``word;status;note`` per word (UTF-8, ``;``), status
one of :data:`geo.register.model.STATUSES`, the note free text. The table is
read when an import runs (cached by path, size and modification time), words
are compared folded (:func:`geo.text.fold`: case, umlauts, spaces; ``_`` as
a space).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.text import fold, fold_series, map_unique

#: Columns of the table, in this order.
COLUMNS = ("word", "status", "note")


def word_key(word: str) -> str:
    """The comparison key of a status word: :func:`geo.text.fold` with ``_`` as a space."""
    return fold(word.replace("_", " "))


@lru_cache(maxsize=4)
def _load(path: Path, size: int, mtime_ns: int) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """Folded word -> status and (word, status) in table order; cached by file state."""
    from geo.register.model import STATUSES

    where = f"Statuswörter-Tabelle '{path}'"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: keine UTF-8-Datei ({exc.reason}). Bitte als UTF-8 speichern.") from None
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    header = [fold(c) for c in rows[0]] if rows else []
    if header != list(COLUMNS):
        raise InputError(
            f"{where}, Zeile 1: Kopfzeile '{';'.join(rows[0]) if rows else ''}' erwartet, "
            f"'{';'.join(COLUMNS)}'. Bitte die Kopfzeile so schreiben."
        )
    words: dict[str, str] = {}
    first_row: dict[str, int] = {}
    order: list[tuple[str, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) not in (2, 3):
            raise InputError(
                f"{where}, Zeile {number}: {len(row)} Felder, erwartet 'Wort;Status;Notiz' (drei Felder, "
                f"Notiz ohne ';'). Wert '{';'.join(row)}'."
            )
        word, status = row[0].strip(), row[1].strip()
        key = word_key(word)
        if not key:
            raise InputError(f"{where}, Zeile {number}: das Wort ist leer. Bitte ein Wort eintragen.")
        if status not in STATUSES:
            raise InputError(
                f"{where}, Zeile {number}, Spalte 'status', Wert '{status}': unbekannter Status. "
                f"Erlaubt: {', '.join(STATUSES)}."
            )
        if key in words and words[key] != status:
            raise InputError(
                f"{where}, Zeile {number}, Wert '{word}': das Wort steht schon in Zeile {first_row[key]} "
                f"mit Status '{words[key]}', hier mit '{status}'. Bitte eine der Zeilen löschen."
            )
        if key not in words:
            words[key] = status
            first_row[key] = number
            order.append((word, status))
    return words, tuple(order)


def _table(path: Path | None) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    p = Path(path if path is not None else settings.status_words_path)
    try:
        stat = p.stat()
    except OSError:
        raise InputError(
            f"Die Statuswörter-Tabelle '{p}' fehlt. Bitte die Datei anlegen oder "
            "settings.status_words_path auf die richtige Datei setzen."
        ) from None
    return _load(p, stat.st_size, stat.st_mtime_ns)


def status_words(path: Path | None = None) -> dict[str, str]:
    """Folded status word -> status value, from the table (None: :data:`geo.settings.status_words_path`).

    Raises
    ------
    geo.errors.InputError
        If the table is missing or malformed (wrong header, unknown status,
        a word listed twice with different statuses); the message names file,
        row and value.
    """
    return dict(_table(path)[0])


def lookup_status(values: pd.Series, *, path: Path | None = None) -> pd.Series:
    """Map status words to status values; NaN where empty or unknown."""
    words = _table(path)[0]
    return map_unique(values, lambda u: fold_series(u.str.replace("_", " ", regex=False)).map(words))


def status_help(*, path: Path | None = None, per_status: int = 4) -> str:
    """Allowed status words for messages: a few per status, and where the full list is."""
    from geo.register.model import STATUSES

    order = _table(path)[1]
    p = Path(path if path is not None else settings.status_words_path)
    parts = []
    for status in STATUSES:
        shown = [w for w, s in order if s == status][:per_status]
        if shown:
            parts.append("/".join(shown))
    return f"{', '.join(parts)} (alle Wörter in der Tabelle '{p.name}')"
