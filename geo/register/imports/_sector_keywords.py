"""Use classes of free-text sectors: the table ``data/sector_keywords.csv`` (:data:`geo.settings.sector_keywords_path`).

Office lists name a unit's sector in their own words (``Bäckerei``,
``Späti``, ``Kfz-Werkstatt``). The table maps keywords to the register's use
classes (:data:`geo.register.model.USE_CLASS_LABELS`); the office extends it
without code: one line ``keyword;use_class;note`` (UTF-8, ``;``), read by
:mod:`._vocabulary` like the status words.

Matching rule: a keyword matches a sector when the folded sector text
(:func:`geo.text.fold`) contains the folded keyword at the start of a word
(a word starts at the beginning or after a character that is not a letter or
digit), so ``Bäcker`` matches ``Bäckerei Schmidt`` and ``Kfz`` matches
``Kfz-Werkstatt``, but ``Bar`` does not match ``Cocktailbar``. Of several
matching keywords the longest wins (``Änderungsschneiderei`` over
``Schneider``); of equally long ones the first in the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geo import settings
from geo.register.imports._vocabulary import Table, Vocabulary, read_vocabulary
from geo.text import fold, map_unique

#: Columns of the table, in this order.
COLUMNS: tuple[str, str, str] = ("keyword", "use_class", "note")


def _table(path: Path | None) -> Table:
    from geo.register.model import USE_CLASS_LABELS

    vocab = Vocabulary(
        title="Branchen-Stichwort-Tabelle",
        columns=COLUMNS,
        labels=("Stichwort", "Nutzungsart", "Notiz"),
        allowed=tuple(USE_CLASS_LABELS),
        key=fold,
        setting="sector_keywords_path",
    )
    return read_vocabulary(vocab, Path(path if path is not None else settings.sector_keywords_path))


def _patterns(words: dict[str, str]) -> list[tuple[re.Pattern[str], str]]:
    """Keyword patterns, longest first (stable: table order among equally long ones)."""
    ordered = sorted(words.items(), key=lambda kv: -len(kv[0]))
    return [(re.compile(r"(?<![^\W_])" + re.escape(key)), use) for key, use in ordered]


def sector_use_class(values: pd.Series, *, path: Path | None = None) -> pd.Series:
    """The use class of each free-text sector by the keyword table; NaN where none matches or empty.

    Parameters
    ----------
    values
        Sector texts as the list gives them.
    path
        The table (None: :data:`geo.settings.sector_keywords_path`).

    Raises
    ------
    geo.errors.InputError
        If the table is missing or malformed; the message names file, row and value.
    """
    patterns = _patterns(_table(path)[0])

    def _one(text: object) -> str | None:
        folded = fold(text)
        for pattern, use in patterns:
            if pattern.search(folded):
                return use
        return None

    def _map(u: pd.Series) -> pd.Series:
        return pd.Series([_one(v) for v in u], index=u.index, dtype="str")

    return map_unique(values.astype("str"), _map)


def use_class_of_sectors(
    sector: pd.Series, *, use_words: dict[str, str], path: Path | None = None, shown: int = 10
) -> tuple[pd.Series, str | None]:
    """Use classes of the sectors of a list without a use-class column, and a note on the unmapped ones.

    A sector that is a use class (``food``, ``Gastronomie``) is that use class;
    a WZ 2008 section letter gives none (and is no free text); other text is
    looked up in the keyword table (:func:`sector_use_class`).

    Parameters
    ----------
    sector
        The sectors as parsed (WZ letters upper case; NaN where none).
    use_words
        Use-class words -> use class (:func:`geo.register.imports.columns.use_class_words`).
    path
        The keyword table (None: :data:`geo.settings.sector_keywords_path`).
    shown
        Most unmapped sectors named in the note.

    Returns
    -------
    use_class, note
        Use class by row (NaN where none) and a German note listing the free-text
        sectors without a use class with their row counts (None when there are none).
    """
    from geo.register.imports import columns as cols

    direct = cols.lookup(sector, use_words)
    letter = sector.str.fullmatch(r"[A-U]").fillna(False).astype(bool)
    free = sector.notna() & (sector.str.strip() != "") & direct.isna() & ~letter
    keyword = sector_use_class(sector.where(free), path=path)
    use_class = direct.where(direct.notna(), keyword).astype("str")
    unmapped = sector[free & keyword.isna()]
    if unmapped.empty:
        return use_class, None
    counts = unmapped.value_counts(sort=False)
    counts = counts.iloc[
        sorted(range(len(counts)), key=lambda i: (-int(counts.iloc[i]), str(counts.index[i])))
    ]
    parts = [f"'{text}' ({n} {'Zeile' if n == 1 else 'Zeilen'})" for text, n in counts.iloc[:shown].items()]
    more = f" und {len(counts) - shown} weitere" if len(counts) > shown else ""
    p = Path(path if path is not None else settings.sector_keywords_path)
    note = (
        "Branchen ohne Zuordnung zu einer Nutzungsart: " + ", ".join(parts) + more + ". Die Branche wird "
        f"wie angegeben übernommen, die Nutzungsart bleibt leer; Stichwörter ergänzt die Tabelle '{p.name}'."
    )
    return use_class, note
