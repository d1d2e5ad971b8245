"""Column vocabulary of imports: which file column is which field, and the words of each field.

The mapping stage (:func:`map_columns`) assigns the columns of a
:class:`~geo.register.imports._table.RawTable` to target fields by their
names (:data:`COLUMN_ALIASES`) and hands on a :class:`MappedTable`. The value
vocabularies (yes/no, confidence, position, use class) and their German help
texts for messages are here too; the status words are the table
``data/status_words.csv`` (:mod:`._status_words`). Everything here is plain
data or a small, vectorised function; nothing reads files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from geo.errors import InputError
from geo.register.imports._table import RawTable, as_text
from geo.register.imports._values import normalise_word
from geo.register.imports.report import RowIssue, file_issue
from geo.text import clean_text, column_key, map_unique

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

#: Column label given to a column whose header cell is empty.
UNNAMED = "Spalte {} (ohne Überschrift)"
UNNAMED_RE = re.compile(r"Spalte \d+ \(ohne Überschrift\)")

# -- column names ----------------------------------------------------------------


#: Target field -> accepted column names (normalised with :func:`geo.text.column_key`).
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
    column_key(alias): field for field, aliases in COLUMN_ALIASES.items() for alias in aliases
}


def field_of(name: object) -> str | None:
    """Target field a column name stands for, or None."""
    return _ALIAS_LOOKUP.get(column_key(name))


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
        field = _ALIAS_LOOKUP.get(column_key(label))
        if field is None:
            ignored.append(label)
        elif field in mapping:
            doubled.append((label, mapping[field]))
        else:
            mapping[field] = label
    return mapping, ignored, doubled


# -- vocabularies ----------------------------------------------------------------

# Status words are not here: their one home is the table data/status_words.csv (``._status_words``).

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


def header_names(labels: list[str], name: str) -> list[str]:
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
            names.append(UNNAMED.format(index + 1))
        elif label not in seen:
            seen[label] = index
            names.append(label)
        elif field_of(label) is not None:
            raise InputError(
                f"Die Spalte '{label}' kommt in '{name}' zweimal vor (Spalten {seen[label] + 1} und "
                f"{index + 1}); unklar, welche gilt. Bitte eine der beiden umbenennen oder löschen."
            )
        else:
            names.append(f"{label} ({sum(1 for other in labels[:index] if other == label) + 1})")
    return names


# -- the mapping stage -------------------------------------------------------------


@dataclass(frozen=True)
class MappedTable:
    """A raw table whose columns are assigned to target fields.

    Attributes
    ----------
    frame
        The raw values (see :class:`~geo.register.imports._table.RawTable`),
        indexed by row position ``0 .. n-1``; ``_row`` is the row number the
        user sees.
    mapping
        Target field -> column label in the file.
    name
        The file's name, for messages.
    notes
        German notes on the columns (recognised, ignored, doubled).
    file_issues
        Problems of the whole file (a coordinate column without its partner).
    """

    frame: pd.DataFrame
    mapping: Mapping[str, str]
    name: str
    notes: tuple[str, ...] = ()
    file_issues: tuple[RowIssue, ...] = ()

    @property
    def rows(self) -> pd.Series:
        """Row number the user sees, by position."""
        return self.frame["_row"]

    def column(self, fld: str) -> pd.Series | None:
        """The cleaned values of field ``fld`` (:func:`clean_text`; floats as they are), or None."""
        col = self.mapping.get(fld)
        if col is None:
            return None
        values = self.frame[col]
        if values.dtype.kind == "f":
            return values
        return clean_text(values)

    def raw_text(self, fld: str) -> pd.Series:
        """The values of field ``fld`` as the file has them, as text (for messages)."""
        values = self.frame[self.mapping[fld]]
        if values.dtype.kind == "f":
            return as_text(values)
        return values.astype("str")


def map_columns(table: RawTable) -> MappedTable:
    """Assign the columns of ``table`` to target fields (stage 2 of an import).

    Raises
    ------
    geo.errors.InputError
        If no column names the units (neither a number nor a street or address).
    """
    frame = table.frame.reset_index(drop=True)
    mapping, ignored, doubled = match_columns(frame.columns)
    notes: list[str] = []
    issues: list[RowIssue] = []
    if not ({"unit_id", "street", "address"} & set(mapping)):
        found = ", ".join(f"'{c}'" for c in frame.columns if c != "_row")
        raise InputError(
            f"In '{table.name}' fehlt eine Spalte, die die Einheiten benennt: weder "
            "Nr./unit_id noch Straße/Adresse gefunden. Gefundene Spalten: "
            f"{found}. Bitte eine Spalte 'Nr.' (Einheiten-Nr.) oder 'Straße' und 'Hausnummer' "
            "(oder 'Adresse') ergänzen."
        )
    used = ", ".join(f"'{col}' → {FIELD_LABELS[fld]}" for fld, col in mapping.items())
    notes.append(f"Erkannte Spalten: {used}.")
    if "unit_id" in mapping and "street" in mapping and not {"housenumber", "address"} & set(mapping):
        notes.append(
            f"Spalte '{mapping['unit_id']}' wird als Einheiten-Nr. gelesen, nicht als "
            "Hausnummer. Steht darin die Hausnummer, bitte die Spalte in 'Hausnr.' umbenennen."
        )
    if ignored:
        notes.append("Nicht verwendete Spalten: " + ", ".join(f"'{c}'" for c in ignored) + ".")
    for col, used_col in doubled:
        fld = field_of(col)  # a doubled column always stands for a field
        label = FIELD_LABELS[fld] if fld is not None else used_col
        notes.append(f"Spalte '{col}' nicht verwendet: '{used_col}' liefert schon {label}.")
    for a, b in (("lon", "lat"), ("x", "y")):
        if (a in mapping) != (b in mapping):
            have, miss = (a, b) if a in mapping else (b, a)
            issues.append(
                file_issue(
                    f"Spalte '{mapping[have]}' ({FIELD_LABELS[have]}) gefunden, aber keine "
                    f"Spalte für {FIELD_LABELS[miss]}. Bitte beide Koordinatenspalten angeben."
                )
            )
            del mapping[have]
    return MappedTable(
        frame=frame, mapping=mapping, name=table.name, notes=tuple(notes), file_issues=tuple(issues)
    )
