"""Text keys: the one home of "these two texts mean the same" and of German sorting.

Bottom-layer module (no geo imports). Names arrive typed by hand, exported from
spreadsheets and from OpenStreetMap, so the same name comes in several
spellings (``Bäckerei``/``BAECKEREI``, ``Grünau-Mitte``/``Gruenau Mitte``,
``Torgauer Str.``/``Torgauer Straße``, a soft hyphen from a word processor). Every
comparison builds on one folding rule, :func:`fold`:

* case is folded, ``ß`` is ``ss``, ``ä``/``ö``/``ü`` are ``ae``/``oe``/``ue``
  (so ``Grünau`` equals ``Gruenau``), other accents are dropped (``Café`` =
  ``Cafe``);
* soft hyphens (U+00AD) and zero-width characters are removed (they are
  invisible, so they never make two names differ);
* runs of whitespace (no-break spaces included) are one space; the ends are stripped.

On top of it, one key per purpose:

=====================  ===========================================================
:func:`name_key`       business names (settlement detection, imports, visits):
                       :func:`fold`, vectorised; missing or blank -> ``NA``
:func:`text_key`       :func:`name_key` with ``""`` for missing (for joins)
:func:`column_key`     column labels of import files: letters and digits only
:func:`place_key`      Ortsteil and quarter names: spaces, hyphens, dashes and
                       underscores as one ``-``
:func:`street_key`     streets: ``Str.``/``str``/``Strasse`` as ``strasse``
:func:`slug`           file names: ``a-z``, ``0-9`` and ``-`` only
:func:`sort_key`       **sorting** for display, DIN 5007-1: ``ä`` sorts as ``a``
=====================  ===========================================================

:func:`sort_key` deliberately differs from :func:`fold`: German dictionaries and
indexes sort ``Müller`` next to ``Muller`` (DIN 5007-1, variant 1), while for
*matching* ``Müller`` and ``Mueller`` are the same name. Never compare with
:func:`sort_key`, never sort with :func:`fold`.

The Series functions work on the distinct values only (:func:`map_unique`) with
vectorised string methods, so a million observations with a few thousand names
take milliseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import pandas as pd

__all__ = [
    "clean_text",
    "column_key",
    "file_name",
    "fold",
    "fold_series",
    "map_unique",
    "name_key",
    "place_key",
    "slug",
    "sort_key",
    "street_key",
    "text_key",
    "tidy_street",
]

#: Umlauts spelt out for matching (``ß`` is done by ``str.casefold``; ``ẞ`` too).
_UMLAUTS_SPELT = {"ä": "ae", "ö": "oe", "ü": "ue"}
_SPELT = str.maketrans(_UMLAUTS_SPELT)
#: Umlauts as their base letter for sorting (DIN 5007-1).
_BASE = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
#: Invisible characters: soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE_TABLE = str.maketrans(dict.fromkeys(_INVISIBLE))
_INVISIBLE_RE = f"[{_INVISIBLE}]"
_COMBINING_RE = r"[\u0300-\u036f]"
_SPACES = re.compile(r"\s+")
_PLACE_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212]+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# streets: "Str."/"str" at the end of a word or as a word of its own
_STR_SUFFIX_ATTACHED = r"(?<=[^\W\d_])(?P<s>[sS])tr\.?(?=\s|$)"
_STR_SUFFIX_WORD = r"(?<![^\W\d_])(?P<s>[sS])tr\.?(?=\s|$)"


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold(text: object) -> str:
    """A text folded for comparison; the rule every key here builds on.

    Parameters
    ----------
    text
        Any value; None gives ``""``.

    Returns
    -------
    str
        Unicode-normalised (NFKC: ``m²`` -> ``m2``), casefolded (``ß`` ->
        ``ss``), ``ä``/``ö``/``ü`` -> ``ae``/``oe``/``ue``, other accents
        dropped, soft hyphens and zero-width characters removed, whitespace
        runs as one space, stripped: ``" Bäcker\\u00adei  Café "`` ->
        ``"baeckerei cafe"``.
    """
    if text is None:
        return ""
    out = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE_TABLE).casefold().translate(_SPELT)
    return _SPACES.sub(" ", _strip_accents(out)).strip()


def fold_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold` (on the distinct values); missing stays missing (``NA``).

    Returns a ``string`` Series aligned with ``values``; blank text gives ``""``.
    """

    def _fold_any(text: pd.Series) -> pd.Series:
        text = text.str.normalize("NFKC").str.replace(_INVISIBLE_RE, "", regex=True)
        text = text.str.casefold().str.translate(_SPELT).str.normalize("NFKD")
        return text.str.replace(_COMBINING_RE, "", regex=True)

    def _fold(u: pd.Series) -> pd.Series:
        # plain ASCII (most names) only needs lower case: NFKC, the umlaut table,
        # accents and invisible characters concern other characters only
        text = u.astype("string")
        other = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).to_numpy(dtype=bool)
        if other.any():
            text = text.str.lower().mask(other, _fold_any(text[other]))
        else:
            text = text.str.lower()
        return text.str.replace(r"\s+", " ", regex=True).str.strip()

    return map_unique(values, _fold).astype("string")


def name_key(values: pd.Series) -> pd.Series:
    """Comparison key of business names: :func:`fold`; missing or blank -> ``NA``.

    Two names are the same business when their keys are equal: case, spacing,
    umlaut spelling, accents and invisible characters do not count
    (``"Bäckerei  Sonne"`` = ``"BAECKEREI SONNE"`` = ``"Bäcker\\u00adei Sonne"``).

    Parameters
    ----------
    values
        Names (any dtype).

    Returns
    -------
    pandas.Series
        ``string`` dtype, aligned with ``values``.
    """
    key = fold_series(values)
    return key.mask(key == "")


def text_key(values: pd.Series) -> pd.Series:
    """:func:`name_key` with ``""`` for missing or blank (``str`` dtype), for joins and equality."""
    return name_key(values).fillna("").astype("str")


def column_key(label: object) -> str:
    """Key of a column label for alias matching: :func:`fold`, then letters and digits only.

    ``"Hausnr."`` -> ``"hausnr"``, ``"E-Mail"`` -> ``"email"``, ``"Fläche m²"``
    -> ``"flaechem2"``.
    """
    return "".join(ch for ch in fold(label) if ch.isalnum())


def place_key(name: object) -> str:
    """Key of an Ortsteil or quarter name for tolerant matching.

    :func:`fold`, then runs of spaces, hyphens, dashes and underscores as one
    hyphen: ``"Grünau-Mitte"``, ``"Gruenau Mitte"`` and ``"GRUENAU_MITTE"``
    all give ``"gruenau-mitte"``.
    """
    return _PLACE_SEPARATORS.sub("-", fold(name)).strip("-")


def slug(text: object) -> str:
    """A text for a file name: :func:`fold`, then runs of other characters as ``-``.

    ``"Grünau-Mitte"`` -> ``"gruenau-mitte"``, ``"Straße des 18. Oktober"`` ->
    ``"strasse-des-18-oktober"``; ``""`` when nothing is left.
    """
    return _NOT_SLUG.sub("-", fold(text)).strip("-")


def file_name(*parts: object, suffix: str = "") -> str:
    """The one builder of download and output file names: each part :func:`slug`-ged, joined by ``_``.

    Empty parts are left out; ``suffix`` (without dot) is appended. Umlauts are spelt out, so
    ``file_name("leerstand", "Grünau", "2024-12-31", suffix="csv")`` ->
    ``"leerstand_gruenau_2024-12-31.csv"``.
    """
    stem = "_".join(p for p in (slug(part) for part in parts) if p)
    return f"{stem}.{suffix.lstrip('.')}" if suffix else stem


def sort_key(text: object) -> str:
    """Key for sorting German names for display (DIN 5007-1, "dictionary" order).

    Case is ignored, ``ä``/``ö``/``ü`` sort as ``a``/``o``/``u`` and ``ß`` as
    ``ss``, other accents are ignored: ``Müller`` sorts next to ``Muller``,
    before ``Mulsow``. Deliberately **not** :func:`fold` (which spells ``ä``
    as ``ae`` for matching); use it only to sort, never to compare. None
    gives ``""``.
    """
    if text is None:
        return ""
    out = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE_TABLE).casefold().translate(_BASE)
    return _SPACES.sub(" ", _strip_accents(out)).strip()


# -- vectorised helpers ------------------------------------------------------------


def map_unique(values: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorised function to the distinct non-null values only.

    Parameters
    ----------
    values
        Input values (missing values stay missing).
    func
        Takes a Series of distinct values (default index) and returns a Series
        of the same length and order.

    Returns
    -------
    pandas.Series
        Result aligned with ``values``; missing where ``values`` is missing.
    """
    codes, uniques = pd.factorize(values)
    mapped = func(pd.Series(uniques)).reset_index(drop=True)
    result = mapped.reindex(codes)
    result.index = values.index
    return result


def clean_text(values: pd.Series) -> pd.Series:
    """Text for storage: inner whitespace as one space, invisible characters removed, stripped.

    Empty becomes NaN (``str`` dtype). Case and spelling are kept.
    """

    def _clean(u: pd.Series) -> pd.Series:
        out = u.astype("str").str.replace(_INVISIBLE_RE, "", regex=True)
        out = out.str.replace(r"\s+", " ", regex=True).str.strip()
        return out.mask(out == "")

    return map_unique(values, _clean).astype("str")


# -- streets -----------------------------------------------------------------------


def tidy_street(values: pd.Series) -> pd.Series:
    """Street for storage: :func:`clean_text`, ``Str.``/``str`` written out as ``Straße``.

    ``"Torgauer Str."`` -> ``"Torgauer Straße"``, ``"Eisenbahnstr. "`` ->
    ``"Eisenbahnstraße"``; ``"Strasse"`` stays as written.
    """

    def _tidy(u: pd.Series) -> pd.Series:
        text = clean_text(u)
        text = text.str.replace(_STR_SUFFIX_ATTACHED, lambda m: m.group("s") + "traße", regex=True)
        return text.str.replace(_STR_SUFFIX_WORD, lambda m: m.group("s") + "traße", regex=True)

    return map_unique(values, _tidy).astype("str")


def street_key(values: pd.Series) -> pd.Series:
    """Comparison key of a street (``""`` for missing).

    :func:`tidy_street`, then :func:`fold`-style folding (case, ``ß`` as
    ``ss``, umlauts spelt out, accents dropped), hyphens, dashes and dots as
    spaces, runs of spaces as one: ``"Torgauer Str."``, ``"Torgauer Straße"``
    and ``"torgauer strasse"`` all give ``"torgauer strasse"``.
    """

    def _key(u: pd.Series) -> pd.Series:
        text = fold_series(tidy_street(u))
        text = text.str.replace(r"[-\u2010\u2011\u2013\u2014]", " ", regex=True)
        text = text.str.replace(".", " ", regex=False)
        return text.str.replace(r"\s+", " ", regex=True).str.strip()

    return map_unique(values, _key).fillna("").astype("str")
