"""The register's data model: statuses, vocabularies and column sets.

A *unit* (Gewerbeeinheit) is a commercial space with a stable ``unit_id`` and a
point location. An *observation* records what was seen or reported about a unit
on a date; observations are append-only. See the README for the definitions of
every figure computed from them.
"""

from __future__ import annotations

from enum import StrEnum


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

#: Personal data (DSGVO): never in public views, public exports or logs.
PERSONAL_COLUMNS: frozenset[str] = frozenset(
    {"owner_name", "contact_person", "contact_phone", "contact_email"}
)

#: Internal working fields: dropped from public views and exports as well,
#: because free-text notes and staff names may name people.
INTERNAL_COLUMNS: frozenset[str] = PERSONAL_COLUMNS | {"note", "recorded_by"}


def status_label(value: str | None) -> str:
    """German label of a status value; unknown values are returned unchanged."""
    if value is None:
        return STATUS_LABELS["unknown"]
    return STATUS_LABELS.get(value, value)
