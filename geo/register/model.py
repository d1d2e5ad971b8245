"""The register's data model: statuses, vocabularies and column sets.

A *unit* (Gewerbeeinheit) is a commercial space with a stable ``unit_id`` and a
point location. An *observation* records what was seen or reported about a unit
on a date; observations are append-only. See the README for the definitions of
every figure computed from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

_Frame = TypeVar("_Frame", bound="pd.DataFrame")


class Status(StrEnum):
    """Status of a unit as recorded by an observation."""

    OCCUPIED = "occupied"
    VACANT = "vacant"
    PROBABLY_VACANT = "probably_vacant"
    TEMPORARY_USE = "temporary_use"
    RENOVATION = "renovation"
    DEMOLISHED = "demolished"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """German label shown in the user interface."""
        return STATUS_LABELS[self.value]


#: Statuses in display order (also the order of the integer codes used in analysis).
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)

STATUS_LABELS: dict[str, str] = {
    "occupied": "genutzt",
    "vacant": "leer",
    "probably_vacant": "vermutlich leer",
    "temporary_use": "Zwischennutzung",
    "renovation": "Sanierung/Umbau",
    "demolished": "entfallen",
    "unknown": "unbekannt",
}

#: Map colours per status (colour-blind safe where it matters: vacant vs occupied).
STATUS_COLORS: dict[str, str] = {
    "occupied": "#1a9850",
    "vacant": "#d73027",
    "probably_vacant": "#fc8d59",
    "temporary_use": "#4575b4",
    "renovation": "#984ea3",
    "demolished": "#4d4d4d",
    "unknown": "#bdbdbd",
}

#: Statuses that count as vacant in the vacancy rate and in vacancy spells.
VACANT_STATUSES: frozenset[str] = frozenset({"vacant", "probably_vacant"})

#: Statuses that end an occupation as a closure.
CLOSURE_STATUSES: frozenset[str] = frozenset({"vacant", "probably_vacant", "renovation"})


class Confidence(StrEnum):
    """How sure an observation is."""

    CONFIRMED = "confirmed_on_site"
    REPORTED = "reported"
    ASSUMED = "assumed"


CONFIDENCE_LABELS: dict[str, str] = {
    "confirmed_on_site": "vor Ort bestätigt",
    "reported": "gemeldet",
    "assumed": "angenommen",
}


class Position(StrEnum):
    """Position of a unit in its building."""

    GROUND_FLOOR = "ground_floor"
    UPPER_FLOOR = "upper_floor"
    REAR_BUILDING = "rear_building"


POSITION_LABELS: dict[str, str] = {
    "ground_floor": "Erdgeschoss",
    "upper_floor": "Obergeschoss",
    "rear_building": "Hinterhaus",
}

#: The project's own use classes (sector may also be a WZ 2008 section letter A-U).
USE_CLASS_LABELS: dict[str, str] = {
    "retail": "Einzelhandel",
    "food": "Gastronomie",
    "services": "Dienstleistung",
    "craft": "Handwerk",
    "office": "Büro/Freie Berufe",
    "health": "Gesundheit",
    "culture_social": "Kultur/Soziales",
    "other": "Sonstiges",
}
USE_CLASSES: tuple[str, ...] = tuple(USE_CLASS_LABELS)

#: WZ 2008 sections (Klassifikation der Wirtschaftszweige), accepted as sector codes.
WZ_SECTIONS: dict[str, str] = {
    "A": "Land- und Forstwirtschaft, Fischerei",
    "B": "Bergbau",
    "C": "Verarbeitendes Gewerbe",
    "D": "Energieversorgung",
    "E": "Wasserversorgung, Entsorgung",
    "F": "Baugewerbe",
    "G": "Handel; Instandhaltung und Reparatur von Kfz",
    "H": "Verkehr und Lagerei",
    "I": "Gastgewerbe",
    "J": "Information und Kommunikation",
    "K": "Finanz- und Versicherungsdienstleistungen",
    "L": "Grundstücks- und Wohnungswesen",
    "M": "Freiberufliche, wissenschaftliche und technische Dienstleistungen",
    "N": "Sonstige wirtschaftliche Dienstleistungen",
    "O": "Öffentliche Verwaltung",
    "P": "Erziehung und Unterricht",
    "Q": "Gesundheits- und Sozialwesen",
    "R": "Kunst, Unterhaltung und Erholung",
    "S": "Sonstige Dienstleistungen",
    "T": "Private Haushalte",
    "U": "Exterritoriale Organisationen",
}

# -- columns -------------------------------------------------------------------

#: Columns of the unit table (besides ``geometry``), in storage order.
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "street",
    "housenumber",
    "postcode",
    "address_note",
    "position",
    "floor_area_m2",
    "use_class",
    "ortsteil",
    "quarter",
    "owner_name",
    "contact_person",
    "contact_phone",
    "contact_email",
    "created_at",
    "geocode_method",
    "geocode_quality",
)

#: Columns of the observation table, in storage order.
OBSERVATION_COLUMNS: tuple[str, ...] = (
    "obs_id",
    "unit_id",
    "observed_on",
    "status",
    "business_name",
    "sector",
    "confidence",
    "source",
    "note",
    "new_settlement",
    "supersedes",
    "recorded_by",
    "recorded_at",
    "import_id",
)

#: Sources offered when recording an observation by hand (free text could name people,
#: and ``source`` is shown in public views).
OBSERVATION_SOURCES: tuple[str, ...] = (
    "Begehung",
    "Meldung Eigentümer/in",
    "Meldung Betrieb",
    "Meldung Nachbarschaft",
    "Presse/Internet",
    "OpenStreetMap",
    "Sonstiges",
)

#: Outcomes of a visit on an outreach walk.
VISIT_OUTCOME_LABELS: dict[str, str] = {
    "spoken_owner": "mit Eigentümer/in gesprochen",
    "spoken_tenant": "mit Mieter/in oder Betrieb gesprochen",
    "nobody_there": "niemand angetroffen",
    "status_changed": "Status geändert",
    "follow_up": "Nachfassen nötig",
    "checked": "nur angesehen",
}
VISIT_OUTCOMES: tuple[str, ...] = tuple(VISIT_OUTCOME_LABELS)

#: Columns of the visit table (outreach walks), in storage order.
VISIT_COLUMNS: tuple[str, ...] = (
    "visit_id",
    "unit_id",
    "visited_on",
    "outcome",
    "follow_up_on",
    "follow_up_done",
    "note",
    "walk_id",
    "obs_id",
    "recorded_by",
    "recorded_at",
)

#: What a person did with a unit's place (:mod:`geo.register.relocation`), with German labels.
LOCATION_ACTIONS: dict[str, str] = {
    "accepted": "Ort geprüft und übernommen",
    "moved": "auf der Karte versetzt",
}

#: Columns of the location checks (append-only log of places checked or moved), in storage order:
#: the place after the check (``lon``/``lat``) and before it, with the unit's geocoding before.
LOCATION_CHECK_COLUMNS: tuple[str, ...] = (
    "check_id",
    "unit_id",
    "action",
    "lon",
    "lat",
    "lon_before",
    "lat_before",
    "method_before",
    "quality_before",
    "recorded_by",
    "recorded_at",
)

#: Personal data (DSGVO): never in public views, public exports or logs.
PERSONAL_COLUMNS: frozenset[str] = frozenset(
    {"owner_name", "contact_person", "contact_phone", "contact_email"}
)

#: Internal working fields: dropped from public views and exports as well,
#: because free-text notes, address notes ("bei Frau …") and staff names may name people.
#: Informative only: public outputs are built from the whitelists below, not by dropping these.
INTERNAL_COLUMNS: frozenset[str] = PERSONAL_COLUMNS | {"note", "recorded_by", "address_note"}

# -- public outputs (whitelists) ---------------------------------------------------------------
# Every public output (public exports, the public report and its XLSX, presentation views) is built
# from these lists: a column not named here is internal, whatever it holds. New columns are
# therefore internal until someone decides to add them here.

#: Unit columns that public outputs may show (no owner, contacts or ``address_note``).
PUBLIC_UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "street",
    "housenumber",
    "postcode",
    "position",
    "floor_area_m2",
    "use_class",
    "ortsteil",
    "quarter",
)

#: Observation columns that public outputs may show (no ``note``, ``recorded_by``, ``import_id``;
#: ``source`` only through :data:`PUBLIC_VALUE_LISTS`).
PUBLIC_OBSERVATION_COLUMNS: tuple[str, ...] = (
    "obs_id",
    "unit_id",
    "observed_on",
    "status",
    "business_name",
    "sector",
    "confidence",
    "new_settlement",
    "supersedes",
    "recorded_at",
)

#: Visit columns that public outputs may show (no ``note``, ``recorded_by``).
PUBLIC_VISIT_COLUMNS: tuple[str, ...] = (
    "visit_id",
    "unit_id",
    "visited_on",
    "outcome",
    "follow_up_on",
    "follow_up_done",
    "walk_id",
    "obs_id",
)

#: Columns computed from public columns only (status on a date, coordinates, flags, geometry).
PUBLIC_DERIVED_COLUMNS: tuple[str, ...] = (
    "geometry",
    "lon",
    "lat",
    "status_label",
    "since",
    "vacant_days",
    "superseded",
    "event_date",
)

#: Columns that are public only with a value from a fixed list: any other value is free text
#: from an import (e.g. ``source`` = "bei Frau …") and is left empty in public outputs.
PUBLIC_VALUE_LISTS: dict[str, tuple[str, ...]] = {"source": OBSERVATION_SOURCES}

#: Every column name a public output may carry (the union of the lists above).
PUBLIC_COLUMNS: frozenset[str] = frozenset(
    (*PUBLIC_UNIT_COLUMNS, *PUBLIC_OBSERVATION_COLUMNS, *PUBLIC_VISIT_COLUMNS, *PUBLIC_DERIVED_COLUMNS)
) | frozenset(PUBLIC_VALUE_LISTS)


def public_value(column: str, value: Any) -> Any:
    """``value`` of ``column`` as a public output may show it, else None.

    None for a column not on a public list, and for a :data:`PUBLIC_VALUE_LISTS`
    column whose value is not in its list.
    """
    if column not in PUBLIC_COLUMNS:
        return None
    allowed = PUBLIC_VALUE_LISTS.get(column)
    if allowed is not None and not (isinstance(value, str) and value in allowed):
        return None
    return value


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row (column -> value) with only its public columns, values checked by :func:`public_value`."""
    return {k: public_value(k, v) for k, v in record.items() if k in PUBLIC_COLUMNS}


def public_frame(frame: _Frame, *, drop: bool = True) -> _Frame:
    """``frame`` as public outputs may show it (a pandas or geopandas frame).

    Parameters
    ----------
    frame
        Any frame of units, observations, visits or their status.
    drop
        True: keep only the columns in :data:`PUBLIC_COLUMNS` (in the frame's order);
        False: keep every column but empty the internal ones (for code that expects
        the full schema, e.g. the report computing on a public copy of the register).
        Either way :data:`PUBLIC_VALUE_LISTS` columns keep only listed values.
    """
    out: _Frame
    if drop:
        out = frame[[c for c in frame.columns if c in PUBLIC_COLUMNS]].copy()
    else:
        out = frame.copy()
        for col in out.columns:
            if col not in PUBLIC_COLUMNS:
                out[col] = None
    for col, allowed in PUBLIC_VALUE_LISTS.items():
        if col in out.columns:
            values = out[col].astype(object)
            out[col] = values.where(values.isin(allowed), None)
    return out


def wants_internal(internal: bool, public: bool | None) -> bool:
    """Which version an output function was asked for: ``internal``, or the old ``public`` keyword.

    ``public`` is the deprecated spelling kept for compatibility (``public=False`` means
    internal); the default of every output is the public version.

    Raises
    ------
    InputError
        ``internal=True`` together with ``public=True``.
    """
    if public is None:
        return bool(internal)
    if internal and public:
        from geo.errors import InputError

        raise InputError("Widersprüchlich: interne und öffentliche Fassung zugleich verlangt; eine wählen.")
    return not public


def status_label(value: str | None) -> str:
    """German label of a status value; unknown values are returned unchanged."""
    if value is None:
        return STATUS_LABELS["unknown"]
    return STATUS_LABELS.get(value, value)
