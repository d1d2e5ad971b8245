"""The status words of imports: the table ``data/status_words.csv`` (:data:`geo.settings.status_words_path`).

The table is the one home of the words a list may use for a status
(``zu vermieten``, ``leerstehend``, ``in Umbau``, ...). The office extends it
without code: one line ``word;status;note`` per word (UTF-8, ``;``), status
one of :data:`geo.register.model.STATUSES`, the note free text. The table is
read when an import runs (cached by path, size and modification time), words
are compared folded (:func:`geo.text.fold`: case, umlauts, spaces; ``_`` as
a space). The table is read by :mod:`._vocabulary`, the reader of all vocabulary tables.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import settings
from geo.register.imports._vocabulary import Table, Vocabulary, read_vocabulary
from geo.text import fold, fold_series, map_unique

#: Columns of the table, in this order.
COLUMNS: tuple[str, str, str] = ("word", "status", "note")


def word_key(word: str) -> str:
    """The comparison key of a status word: :func:`geo.text.fold` with ``_`` as a space."""
    return fold(word.replace("_", " "))


def _table(path: Path | None) -> Table:
    from geo.register.model import STATUSES

    vocab = Vocabulary(
        title="Statuswörter-Tabelle",
        columns=COLUMNS,
        labels=("Wort", "Status", "Notiz"),
        allowed=tuple(STATUSES),
        key=word_key,
        setting="status_words_path",
    )
    return read_vocabulary(vocab, Path(path if path is not None else settings.status_words_path))


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
