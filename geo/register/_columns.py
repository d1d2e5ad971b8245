"""Column names, value vocabularies and text normalisation for imports.

Private helper of :mod:`geo.register.imports`. Everything here is plain data or a
small, vectorised function; nothing reads files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import pandas as pd

# -- column names ----------------------------------------------------------------

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def normalise_name(name: object) -> str:
    """Normalise a column name for alias matching.

    Parameters
    ----------
    name
        A column label as found in the file.

    Returns
    -------
    str
        The label casefolded, with umlauts and ß spelt out and every
        character that is not a letter or digit removed (``"Hausnr."`` ->
        ``"hausnr"``, ``"E-Mail"`` -> ``"email"``, ``"Fläche m²"`` ->
        ``"flaechem2"``).
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower().translate(_UMLAUTS)
    text = text.casefold()
    return "".join(ch for ch in text if ch.isalnum())


#: Target field -> accepted column names (normalised with :func:`normalise_name`).
#: Order matters only for the error message listing them.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("unit_id", "id", "nr", "nr.", "einheit", "einheit_id", "einheitid", "objekt_id"),
    "street": ("straße", "strasse", "street", "str", "addr:street"),
    "housenumber": (
        "hausnummer",
        "hausnr",
        "hnr",
        "housenumber",
        "house_number",
        "addr:housenumber",
    ),
    "address": ("adresse", "anschrift", "address", "address1"),
    "address_note": ("adresszusatz", "address2", "zusatz", "address_note"),
    "postcode": ("plz", "postleitzahl", "postcode", "zip", "addr:postcode"),
    "lon": ("lon", "lng", "longitude", "laenge", "länge", "x_wgs84", "laengengrad"),
    "lat": ("lat", "latitude", "breite", "y_wgs84", "breitengrad"),
    "x": ("x", "rechtswert", "easting"),
    "y": ("y", "hochwert", "northing"),
    "status": ("status", "leerstand", "zustand"),
    "observed_on": (
        "datum",
        "date",
        "stand",
        "seit",
        "beobachtet",
        "observed_on",
        "erfasst_am",
    ),
    "business_name": (
        "betrieb",
        "business",
        "business_name",
        "name",
        "firma",
        "geschaeft",
        "geschäft",
        "mieter",
        "nutzer",
        "title",
    ),
    "sector": ("branche", "sector", "nutzung", "wz", "wirtschaftszweig"),
    "use_class": ("nutzungsart", "use_class", "kategorie"),
    "floor_area_m2": (
        "fläche",
        "flaeche",
        "area",
        "floor_area",
        "floor_area_m2",
        "m2",
        "qm",
        "nutzfläche",
        "fläche m²",
        "fläche in m²",
        "fläche qm",
        "nutzfläche m²",
    ),
    "position": ("lage", "position", "etage", "geschoss"),
    "confidence": ("sicherheit", "confidence", "quelle_typ", "quellentyp"),
    "source": ("quelle", "source"),
    "note": ("bemerkung", "notiz", "note", "kommentar"),
    "new_settlement": ("neuansiedlung", "new_settlement"),
    "owner_name": ("eigentümer", "eigentuemer", "owner", "owner_name"),
    "contact_person": ("ansprechpartner", "kontakt", "contact", "contact_person"),
    "contact_phone": ("telefon", "tel", "phone", "contact_phone"),
    "contact_email": ("email", "e-mail", "mail", "contact_email"),
}

#: German names of the target fields, for notes and messages.
FIELD_LABELS: dict[str, str] = {
    "unit_id": "Einheiten-Nr.",
    "street": "Straße",
    "housenumber": "Hausnummer",
    "address": "Adresse",
    "address_note": "Adresszusatz",
    "postcode": "PLZ",
    "lon": "Längengrad",
    "lat": "Breitengrad",
    "x": "Rechtswert (x)",
    "y": "Hochwert (y)",
    "status": "Status",
    "observed_on": "Datum",
    "business_name": "Betrieb",
    "sector": "Branche",
    "use_class": "Nutzungsart",
    "floor_area_m2": "Fläche",
    "position": "Lage",
    "confidence": "Sicherheit",
    "source": "Quelle",
    "note": "Bemerkung",
    "new_settlement": "Neuansiedlung",
    "owner_name": "Eigentümer",
    "contact_person": "Ansprechpartner",
    "contact_phone": "Telefon",
    "contact_email": "E-Mail",
}

_ALIAS_LOOKUP: dict[str, str] = {
    normalise_name(alias): field for field, aliases in COLUMN_ALIASES.items() for alias in aliases
}


def field_of(name: object) -> str | None:
    """Target field a column name stands for, or None."""
    return _ALIAS_LOOKUP.get(normalise_name(name))


def match_columns(
    columns: Iterable[object],
) -> tuple[dict[str, str], list[str], list[tuple[str, str]]]:
    """Assign the columns of a file to target fields.

    Parameters
    ----------
    columns
        Column labels of the file, in file order (internal columns starting
        with ``_`` are skipped).

    Returns
    -------
    mapping : dict
        Target field -> column label in the file. The first column wins when
        several name the same field.
    ignored : list of str
        Columns that match no field.
    doubled : list of tuple
        ``(column, column_used)`` for columns left out because an earlier
        column already provides the field.
    """
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    doubled: list[tuple[str, str]] = []
    for col in columns:
        label = str(col)
        if label.startswith("_"):
            continue
        field = _ALIAS_LOOKUP.get(normalise_name(label))
        if field is None:
            ignored.append(label)
        elif field in mapping:
            doubled.append((label, mapping[field]))
        else:
            mapping[field] = label
    return mapping, ignored, doubled


# -- vocabularies ----------------------------------------------------------------

#: Status words (after :func:`normalise_word`) -> status value.
STATUS_WORDS: dict[str, str] = {
    "genutzt": "occupied",
    "belegt": "occupied",
    "vermietet": "occupied",
    "in nutzung": "occupied",
    "aktiv": "occupied",
    "occupied": "occupied",
    "leer": "vacant",
    "leerstand": "vacant",
    "frei": "vacant",
    "vacant": "vacant",
    "vermutlich leer": "probably_vacant",
    "wahrscheinlich leer": "probably_vacant",
    "probably vacant": "probably_vacant",
    "zwischennutzung": "temporary_use",
    "temporär": "temporary_use",
    "temporaer": "temporary_use",
    "temporary use": "temporary_use",
    "sanierung": "renovation",
    "umbau": "renovation",
    "sanierung/umbau": "renovation",
    "sanierung / umbau": "renovation",
    "renovation": "renovation",
    "entfallen": "demolished",
    "abgerissen": "demolished",
    "abriss": "demolished",
    "demolished": "demolished",
    "unbekannt": "unknown",
    "unknown": "unknown",
    "?": "unknown",
}

#: Allowed status words as shown in error messages.
STATUS_HELP = (
    "genutzt/belegt/vermietet/in Nutzung/aktiv, leer/Leerstand/frei, "
    "vermutlich leer/wahrscheinlich leer, Zwischennutzung/temporär, "
    "Sanierung/Umbau, entfallen/abgerissen/Abriss, unbekannt/? "
    "(englisch: occupied, vacant, probably vacant, temporary use, renovation, "
    "demolished, unknown)"
)

#: Yes/no words (for ``Leerstand`` and ``Neuansiedlung`` columns).
YES_WORDS = frozenset({"ja", "j", "x", "1", "true", "wahr", "yes", "y"})
NO_WORDS = frozenset({"nein", "n", "0", "false", "falsch", "no", "-"})
YES_NO_HELP = "ja/nein, x, 1/0, true/false"

CONFIDENCE_WORDS: dict[str, str] = {
    "bestätigt": "confirmed_on_site",
    "bestaetigt": "confirmed_on_site",
    "vor ort": "confirmed_on_site",
    "vor ort bestätigt": "confirmed_on_site",
    "vor ort bestaetigt": "confirmed_on_site",
    "confirmed": "confirmed_on_site",
    "confirmed on site": "confirmed_on_site",
    "on site": "confirmed_on_site",
    "gemeldet": "reported",
    "reported": "reported",
    "angenommen": "assumed",
    "vermutet": "assumed",
    "assumed": "assumed",
}
CONFIDENCE_HELP = "bestätigt/vor Ort, gemeldet, angenommen (englisch: confirmed, reported, assumed)"

POSITION_WORDS: dict[str, str] = {
    "eg": "ground_floor",
    "erdgeschoss": "ground_floor",
    "parterre": "ground_floor",
    "ground floor": "ground_floor",
    "og": "upper_floor",
    "obergeschoss": "upper_floor",
    "dg": "upper_floor",
    "dachgeschoss": "upper_floor",
    "upper floor": "upper_floor",
    "hh": "rear_building",
    "hinterhaus": "rear_building",
    "hinterhof": "rear_building",
    "rear building": "rear_building",
    "rear": "rear_building",
}
_UPPER_FLOOR_RE = re.compile(r"^\d+\s*\.?\s*(og|obergeschoss|etage|stock)$")
POSITION_HELP = "EG/Erdgeschoss, OG/1. OG/Obergeschoss, HH/Hinterhaus/Hinterhof"

USE_CLASS_HELP = (
    "Einzelhandel, Gastronomie, Dienstleistung, Handwerk, Büro/Freie Berufe, "
    "Gesundheit, Kultur/Soziales, Sonstiges (englisch: retail, food, services, "
    "craft, office, health, culture_social, other)"
)


def normalise_word(values: pd.Series) -> pd.Series:
    """Normalise vocabulary words: casefold, trim, ``_`` as space, single spaces."""
    out = values.str.casefold().str.replace("_", " ", regex=False)
    return out.str.replace(r"\s+", " ", regex=True).str.strip()


def lookup(values: pd.Series, words: dict[str, str]) -> pd.Series:
    """Map vocabulary words to values; NaN where empty or unknown."""
    return map_unique(values, lambda u: normalise_word(u).map(words))


def position_lookup(values: pd.Series) -> pd.Series:
    """Map floor/position words to :class:`geo.register.model.Position` values."""

    def _one(u: pd.Series) -> pd.Series:
        words = normalise_word(u)
        out = words.map(POSITION_WORDS)
        upper = words.str.match(_UPPER_FLOOR_RE.pattern).fillna(False).astype(bool)
        return out.where(~(out.isna() & upper), "upper_floor")

    return map_unique(values, _one)


def use_class_words() -> dict[str, str]:
    """Use-class words (keys and German labels, normalised) -> use class."""
    from geo.register.model import USE_CLASS_LABELS

    words: dict[str, str] = {}
    for key, label in USE_CLASS_LABELS.items():
        words[key.replace("_", " ")] = key
        words[label.casefold()] = key
        for part in label.casefold().split("/"):
            words.setdefault(part.strip(), key)
    return words


# -- vectorised helpers ----------------------------------------------------------


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
    """Strip text, collapse inner whitespace; empty becomes NaN (``str`` dtype)."""

    def _clean(u: pd.Series) -> pd.Series:
        out = u.astype("str").str.replace(r"[\s\u00a0\u00ad]+", " ", regex=True).str.strip()
        return out.mask(out == "")

    return map_unique(values, _clean).astype("str")


def text_key(values: pd.Series) -> pd.Series:
    """Comparison key for names: casefolded, single spaces, ``""`` for missing."""
    out = map_unique(values, lambda u: clean_text(u).str.casefold())
    return out.fillna("").astype("str")


# -- addresses -------------------------------------------------------------------

_ADDRESS_RE = (
    r"^(?P<street>.*?\D)[\s,]*"
    r"(?P<hnr>\d+\s*[a-zA-Z]?(?:\s*[-\u2013\u2014/]\s*\d+\s*[a-zA-Z]?)*)"
    r"(?:\s*,?\s*(?P<postcode>\d{5})(?:\s+(?P<city>\D.*))?)?\s*$"
)
_STR_SUFFIX_ATTACHED = r"(?<=[^\W\d_])(?P<s>[sS])tr\.?(?=\s|$)"
_STR_SUFFIX_WORD = r"(?<![^\W\d_])(?P<s>[sS])tr\.?(?=\s|$)"


def split_address(values: pd.Series) -> pd.DataFrame:
    """Split combined addresses into street, house number and postcode.

    Parameters
    ----------
    values
        Text like ``"Eisenbahnstraße 66"``, ``"Torgauer Str.  74c"``,
        ``"Meißner Straße 44\u201354"`` or ``"Elisabethstraße 7 04315 Leipzig"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``street``, ``housenumber`` and ``postcode``. Without a
        number at the end the whole text is the street and the house number
        is missing.
    """

    def _split(u: pd.Series) -> pd.DataFrame:
        text = clean_text(u)
        parts = text.str.extract(_ADDRESS_RE)
        street = parts["street"].str.rstrip(" ,").where(parts["hnr"].notna(), text)
        return pd.DataFrame(
            {
                "street": street.astype("str"),
                "housenumber": parts["hnr"].str.strip().astype("str"),
                "postcode": parts["postcode"].astype("str"),
            }
        )

    codes, uniques = pd.factorize(values)
    parts = _split(pd.Series(uniques, dtype="str")).reindex(codes)
    parts.index = values.index
    return parts


def tidy_street(values: pd.Series) -> pd.Series:
    """Street for storage: single spaces, ``Str.``/``str`` written out as ``Straße``."""

    def _tidy(u: pd.Series) -> pd.Series:
        text = clean_text(u)
        text = text.str.replace(_STR_SUFFIX_ATTACHED, lambda m: m.group("s") + "traße", regex=True)
        return text.str.replace(_STR_SUFFIX_WORD, lambda m: m.group("s") + "traße", regex=True)

    return map_unique(values, _tidy).astype("str")


def street_key(values: pd.Series) -> pd.Series:
    """Comparison key of a street (``""`` for missing).

    Casefolded, ß as ss and umlauts spelt out, ``str.``/``str`` suffix as
    ``strasse``, hyphens and runs of spaces as one space.
    """

    def _key(u: pd.Series) -> pd.Series:
        text = tidy_street(u).str.casefold().str.translate(_UMLAUTS)
        text = text.str.replace(r"[-\u2010\u2011\u2013\u2014]", " ", regex=True)
        text = text.str.replace(".", " ", regex=False)
        return text.str.replace(r"\s+", " ", regex=True).str.strip()

    return map_unique(values, _key).fillna("").astype("str")


def housenumber_key(values: pd.Series) -> pd.Series:
    """Comparison key of a house number: lowercase, no spaces, ranges with ``-``."""

    def _key(u: pd.Series) -> pd.Series:
        text = u.astype("str").str.casefold().str.replace(r"\s+", "", regex=True)
        return text.str.replace(r"[\u2010\u2011\u2013\u2014/]", "-", regex=True)

    return map_unique(values, _key).fillna("").astype("str")


def tidy_housenumber(values: pd.Series) -> pd.Series:
    """House number for storage: no inner spaces, ``\u2013`` as ``-``."""
    return map_unique(
        values,
        lambda u: (
            clean_text(u)
            .str.replace(r"\s+", "", regex=True)
            .str.replace(r"[\u2010\u2011\u2013\u2014]", "-", regex=True)
        ),
    ).astype("str")


def tidy_postcode(values: pd.Series) -> pd.Series:
    """Postcode for storage: Excel-lost leading zero restored (``4315`` -> ``04315``)."""

    def _tidy(u: pd.Series) -> pd.Series:
        text = clean_text(u).str.replace(r"\.0$", "", regex=True)
        return text.where(~text.str.fullmatch(r"\d{4}").fillna(False).astype(bool), "0" + text)

    return map_unique(values, _tidy).astype("str")


# -- numbers ---------------------------------------------------------------------


def parse_number(values: pd.Series, *, area: bool = False) -> pd.Series:
    """Parse numbers written the German or the English way.

    Parameters
    ----------
    values
        Text (``"12,5"``, ``"1.200,5"``, ``"85.5"``) or numbers.
    area
        Read as an area: accept a unit after the number (``"85 m²"``,
        ``"85 qm"``) and dots as thousands separators (``"1.200"``).

    Returns
    -------
    pandas.Series
        Float values; NaN where empty or not a number.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")

    def _parse(u: pd.Series) -> pd.Series:
        text = u.astype("str").str.replace(r"[\s\u00a0]+", "", regex=True)
        if area:
            text = text.str.replace(r"(?i)(m²|m2|qm)$", "", regex=True)
        has_comma = text.str.contains(",", regex=False)
        german = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        text = text.where(~has_comma, german)
        if area:
            thousands = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+") & ~has_comma
            text = text.where(~thousands, text.str.replace(".", "", regex=False))
        return pd.to_numeric(text, errors="coerce").astype("float64")

    return map_unique(values, _parse).astype("float64")
