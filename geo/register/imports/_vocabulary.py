"""The reader of the import vocabulary tables (``word;value;note``, UTF-8, ``;``), one home for all of them.

The office extends these tables without code: the status words
(``data/status_words.csv``, :mod:`._status_words`) and the sector keywords
(``data/sector_keywords.csv``, :mod:`._sector_keywords`). Each line gives a
word, the value it stands for and a free-text note. A table is read when an
import runs and cached by path, size and modification time; a malformed table
stops the import with a German message naming file, row and value.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo.errors import InputError
from geo.text import fold


@dataclass(frozen=True)
class Vocabulary:
    """How a vocabulary table is read and named in messages.

    Attributes
    ----------
    title
        German name of the table in messages (``"Statuswörter-Tabelle"``).
    columns
        Header, in this order (``("word", "status", "note")``).
    labels
        German names of the three fields (``("Wort", "Status", "Notiz")``).
    allowed
        The values the second column may take.
    key
        Comparison key of a word (folded).
    setting
        Name of the setting that points at the table (for the "missing" message).
    """

    title: str
    columns: tuple[str, str, str]
    labels: tuple[str, str, str]
    allowed: tuple[str, ...]
    key: Callable[[str], str]
    setting: str


#: A read table: folded word -> value, and (word, value) in table order.
Table = tuple[dict[str, str], tuple[tuple[str, str], ...]]


@lru_cache(maxsize=8)
def _load(vocab: Vocabulary, path: Path, size: int, mtime_ns: int) -> Table:
    """Folded word -> value and (word, value) in table order; cached by file state."""
    where = f"{vocab.title} '{path}'"
    word_label, value_label, note_label = vocab.labels
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: keine UTF-8-Datei ({exc.reason}). Bitte als UTF-8 speichern.") from None
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    header = [fold(c) for c in rows[0]] if rows else []
    if header != list(vocab.columns):
        raise InputError(
            f"{where}, Zeile 1: Kopfzeile '{';'.join(rows[0]) if rows else ''}' erwartet, "
            f"'{';'.join(vocab.columns)}'. Bitte die Kopfzeile so schreiben."
        )
    words: dict[str, str] = {}
    first_row: dict[str, int] = {}
    order: list[tuple[str, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) not in (2, 3):
            raise InputError(
                f"{where}, Zeile {number}: {len(row)} Felder, erwartet '{word_label};{value_label};"
                f"{note_label}' (drei Felder, {note_label} ohne ';'). Wert '{';'.join(row)}'."
            )
        word, value = row[0].strip(), row[1].strip()
        key = vocab.key(word)
        if not key:
            raise InputError(
                f"{where}, Zeile {number}: das {word_label} ist leer. Bitte ein {word_label} eintragen."
            )
        if value not in vocab.allowed:
            raise InputError(
                f"{where}, Zeile {number}, Spalte '{vocab.columns[1]}', Wert '{value}': unbekannter "
                f"{value_label}. Erlaubt: {', '.join(vocab.allowed)}."
            )
        if key in words and words[key] != value:
            raise InputError(
                f"{where}, Zeile {number}, Wert '{word}': das {word_label} steht schon in Zeile "
                f"{first_row[key]} mit {value_label} '{words[key]}', hier mit '{value}'. "
                "Bitte eine der Zeilen löschen."
            )
        if key not in words:
            words[key] = value
            first_row[key] = number
            order.append((word, value))
    return words, tuple(order)


def read_vocabulary(vocab: Vocabulary, path: Path) -> Table:
    """The table at ``path`` read as ``vocab``: folded word -> value, and (word, value) in table order.

    Raises
    ------
    geo.errors.InputError
        If the table is missing or malformed (not UTF-8, wrong header, a line
        with too many fields, an empty word, a value not allowed, a word listed
        twice with different values); the message names file, row and value.
    """
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise InputError(
            f"Die {vocab.title} '{p}' fehlt. Bitte die Datei anlegen oder "
            f"settings.{vocab.setting} auf die richtige Datei setzen."
        ) from None
    return _load(vocab, p, stat.st_size, stat.st_mtime_ns)
