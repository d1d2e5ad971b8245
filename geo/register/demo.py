"""Fictional demo register for both quarters.

:func:`make_demo_register` invents commercial units along the real main
commercial streets of the Leipziger Osten and Grünau and a plausible history
of observations from 2015 on. Everything except the street names and the
rough street geometry is fictional: businesses, owners, contact persons
(phone numbers in the ``0341 555 0xxx`` style, e-mail at ``example.org``),
staff initials, statuses. Wherever it is shown it must carry the label
:data:`geo.settings.demo_label` ("Demo-Daten (fiktiv)").

The street polylines below were drawn by hand for this project (approximate,
not traced from any data set). ``ortsteil`` and ``quarter`` of the units are
never typed in: they come from :func:`geo.places.areas.assign_areas` against
:func:`geo.places.areas.approximate_boundaries`.

The output is fully determined by the arguments; it does not depend on the
current date.
"""

from __future__ import annotations

import itertools
import math
import os
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo import settings
from geo.places.areas import approximate_boundaries, assign_areas, load_quarters
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS, USE_CLASSES

#: Default seed of the demo register.
DEMO_SEED: int = 2015
#: Default last day of the demo history.
DEMO_END: date = date(2026, 10, 31)
#: First day of every demo history.
HISTORY_START: date = date(2015, 1, 1)

#: ``source`` of observations made on a walk through the quarter.
SOURCE_WALK: str = "Demo-Begehung"
#: ``source`` of observations reported by owners, businesses or neighbours.
SOURCE_REPORT: str = "Demo-Meldung"

_WALK_TIME = pd.Timedelta(hours=16, minutes=30)
_REPORT_TIME = pd.Timedelta(hours=10, minutes=15)
_CORRECTION_TIME = pd.Timedelta(hours=11, minutes=0)

_OSTEN = "Leipziger Osten"
_GRUENAU = "Grünau"


@dataclass(frozen=True)
class _Street:
    """A commercial street: hand-drawn polyline (lon/lat) and house-number range.

    House number ``numbers[0]`` lies at the first vertex, ``numbers[1]`` at the
    last; odd numbers are on the left-hand side in drawing direction.
    """

    name: str
    short: str
    quarter: str
    line: tuple[tuple[float, float], ...]
    numbers: tuple[int, int]
    weight: float
    postcodes: tuple[tuple[int, str], ...]  # (up to house number, postcode)
    share_distinct: float = 0.85  # share of units in buildings of their own


# fmt: off
_STREETS: tuple[_Street, ...] = (
    # -- Leipziger Osten ------------------------------------------------------------
    _Street(
        "Eisenbahnstraße", "Eisenbahn", _OSTEN,
        ((12.3955, 51.3464), (12.4000, 51.3463), (12.4060, 51.3461),
         (12.4146, 51.3458), (12.4215, 51.3450)),
        (9, 190), 0.265, ((999, "04315"),),
    ),
    _Street(
        "Hermann-Liebmann-Straße", "Liebmann", _OSTEN,
        ((12.4059, 51.3395), (12.4058, 51.3445), (12.4060, 51.3465), (12.4062, 51.3490),
         (12.4063, 51.3515)),
        (1, 120), 0.09, ((999, "04315"),),
    ),
    _Street(
        "Torgauer Straße", "Torgauer", _OSTEN,
        ((12.4150, 51.3461), (12.4177, 51.3473)),  # up to the railway bridge
        (1, 18), 0.025, ((999, "04315"),),
    ),
    _Street(
        "Wurzner Straße", "Wurzner", _OSTEN,
        ((12.3985, 51.3419), (12.4130, 51.3423), (12.4230, 51.3425), (12.4380, 51.3423)),
        (1, 160), 0.08, ((70, "04315"), (999, "04318")),
    ),
    _Street(
        "Konradstraße", "Konrad", _OSTEN,
        ((12.4005, 51.3482), (12.4090, 51.3481), (12.4150, 51.3478)),
        (1, 70), 0.04, ((999, "04315"),),
    ),
    _Street(
        "Dresdner Straße", "Dresdner", _OSTEN,
        ((12.3962, 51.3413), (12.3985, 51.3419)),
        (84, 110), 0.03, ((999, "04317"),),
    ),
    _Street(
        "Ludwigstraße", "Ludwig", _OSTEN,
        ((12.4022, 51.3440), (12.4025, 51.3488)),
        (30, 110), 0.025, ((999, "04315"),),
    ),
    # -- Grünau -------------------------------------------------------------------
    _Street(
        "Stuttgarter Allee", "Allee", _GRUENAU,
        ((12.2805, 51.3205), (12.2900, 51.3200), (12.2995, 51.3195)),
        (1, 40), 0.16, ((999, "04209"),), 0.65,
    ),
    _Street(
        "Ludwigsburger Straße", "Ludwigsburger", _GRUENAU,
        ((12.2950, 51.3175), (12.2952, 51.3140), (12.2953, 51.3110)),
        (1, 30), 0.08, ((999, "04209"),), 0.7,
    ),
    _Street(
        "Lützner Straße", "Lützner", _GRUENAU,
        ((12.2845, 51.3325), (12.2940, 51.3330), (12.3030, 51.3335)),
        (290, 200), 0.05, ((999, "04207"),),
    ),
    _Street(
        "Alte Salzstraße", "Salz", _GRUENAU,
        ((12.2720, 51.3120), (12.2800, 51.3125), (12.2880, 51.3130)),
        (1, 120), 0.06, ((999, "04209"),), 0.8,
    ),
)

# fmt: on

# Use-class mix per quarter (order of geo.register.model.USE_CLASSES).
_USE_MIX: dict[str, dict[str, float]] = {
    _OSTEN: {
        "retail": 0.31,
        "food": 0.22,
        "services": 0.20,
        "craft": 0.06,
        "office": 0.07,
        "health": 0.05,
        "culture_social": 0.06,
        "other": 0.03,
    },
    _GRUENAU: {
        "retail": 0.30,
        "food": 0.15,
        "services": 0.20,
        "craft": 0.03,
        "office": 0.08,
        "health": 0.12,
        "culture_social": 0.08,
        "other": 0.04,
    },
}

_WZ_OF_USE: dict[str, tuple[str, ...]] = {
    "retail": ("G",),
    "food": ("I",),
    "services": ("S", "N"),
    "craft": ("C", "F"),
    "office": ("M", "K", "L"),
    "health": ("Q",),
    "culture_social": ("R", "Q", "P"),
    "other": ("N", "H", "R"),
}

# fmt: off
# Fictional business names (any resemblance to real businesses is coincidental).
# Some contain characters that must be escaped in HTML (&, <, >, quotes, apostrophes).
_BUSINESS_NAMES: dict[str, tuple[str, ...]] = {
    "retail": (
        "Obst & Gemüse Yıldız", "Lebensmittel Al-Salam", "Asia Markt Hoa Sen", "Handyladen Connect",
        "Blumen Rosenrot", "Kiosk am Eck", "Second-Hand Kleiderkiste", "Orient Markt Damaskus",
        "Fahrradladen Speiche", "Buchhandlung Seitenweise", "Schreibwaren Kunterbunt",
        "Textilien Baran", "Haushaltswaren Nguyen", "Mo's Kiosk", "Getränkemarkt Durst",
        "Elektro Kaya", "Brautmode Leyla", "Bio-Laden Löwenzahn", "Zoohandlung Pfote",
        "Spielwaren Kreisel", "Juwelier Altın", "Teppiche Isfahan", "Drogerie Seifenblase",
        "Markt Sham", "Tabak & Presse Lehmann", "Späti {short} {hn}", "Kiosk {short} {hn}",
    ),
    "food": (
        "Bäckerei Sonnenschein", "Döner Haus Antep", 'Café & Bar "Zur <Ecke>"', "Imbiss Saigon",
        "Pho Hanoi", "Falafel Beirut", "Pizzeria Da Toni", "Konditorei Zuckerstück",
        "Teestube Istanbul", "Restaurant Aleppo", "Kebap Sultan", "Rosi's Café", "Bistro Mahlzeit",
        "Bäckerei Gül", "Sushi Bambus", "Eiscafé Stracciatella", "Suppenküche Löffel",
        "Grill Mardin", "Bánh Mì Lotus", "Café Kiezperle", "Shawarma Palast",
        "Vegan-Bistro Grünzeug", "Kaffeerösterei Bohne", "Gaststätte Zum Anker",
        "Imbiss {short} {hn}",
    ),
    "services": (
        "Friseur Schnittpunkt", "Barbershop Mirza", "Nagelstudio Lotus", "Reisebüro Bosporus",
        "Änderungsschneiderei Öztürk", "Copyshop Ost", "Reinigung Blitzblank",
        "Fahrschule Grünes Licht", "Internetcafé Global Call", "Schlüsseldienst Schnell",
        "Kosmetik Schönzeit", "Tattoostudio Tinte", "Fotostudio Blende", "Handyreparatur Fix",
        "Friseur Haarmonie", "Barber Kings Corner", "Nagelstudio Kim", "Paketshop & Lotto Ecke",
        "Waschsalon Trommel", "Hundesalon Wuschel",
    ),
    "craft": (
        "Schuhmacher Leisten", "Tischlerei Holzwurm", "Goldschmiede Funkeln",
        "Kfz-Werkstatt Demir", "Fahrradwerkstatt Kette & Ritzel", "Uhrmacher Zeitlos",
        "Polsterei Sitzgut", "Glaserei Klarsicht", "Bilderrahmen Rahmenlos",
        "Keramikwerkstatt Scherbe", "Maßschneiderei Faden",
    ),
    "office": (
        "Steuerbüro Beispiel & Partner", "Versicherungsbüro Sicher", "Architekturbüro Linie",
        "Kanzlei Muster & Kollegen", "Übersetzungsbüro Babel", "Immobilienbüro Nachbar",
        "Ingenieurbüro Statik Plus", "Grafikbüro Pixel", "Coworking Schreibtisch",
        "Lohnbüro Taler",
    ),
    "health": (
        "Physiotherapie Bewegt", "Zahnarztpraxis Lächeln", "Hörakustik Klangvoll",
        "Pflegedienst Hand in Hand", "Optiker Durchblick", "Sanitätshaus Stütze",
        "Ergotherapie Tatkraft", "Hausarztpraxis Dr. Beispiel", "Apotheke Lindwurm",
        "Logopädie Wortreich", "Tagespflege Lebensabend",
    ),
    "culture_social": (
        "Nachbarschaftstreff Miteinander", "Galerie Fensterblick", "Jugendtreff Funkloch",
        "Kiezküche e. V.", "Kulturverein Brücke e. V.", "Tauschladen Ringel",
        "Bibliothek der Dinge", "Elterncafé Krümel", "Beratungsstelle Wegweiser",
        "Proberaum Lautstark", "Seniorentreff Herbstlaub", "Sprachcafé Babylon",
    ),
    "other": (
        "Lager Spedition Muster", "Spielhalle Fortuna", "Wettbüro Anstoß", "Callshop Welt",
        "Paketstation Punkt", "Lagerraum Kiste", "Ferienwohnung Ostblick",
    ),
}

# Kinds of business per use class, combined with _NAME_PARTS when the curated
# names above are used up ("Handyladen Zeder", "Friseur Mekong", ...).
_KINDS: dict[str, tuple[str, ...]] = {
    "retail": ("Lebensmittel", "Obst & Gemüse", "Asia Markt", "Orient Markt", "Handyladen",
               "Kiosk", "Blumen", "Textilien", "Haushaltswaren", "Geschenke", "Späti"),
    "food": ("Bäckerei", "Café", "Imbiss", "Restaurant", "Teestube", "Bistro", "Grill",
             "Konditorei"),
    "services": ("Friseur", "Barbershop", "Nagelstudio", "Reisebüro", "Kosmetikstudio",
                 "Änderungsschneiderei", "Reinigung"),
    "craft": ("Schneiderei", "Schuhreparatur", "Tischlerei", "Werkstatt"),
    "office": ("Büro", "Steuerbüro", "Versicherungsbüro", "Immobilienbüro"),
    "health": ("Physiotherapie", "Praxis", "Pflegedienst", "Optiker"),
    "culture_social": ("Treff", "Atelier", "Kulturverein", "Galerie"),
    "other": ("Lager", "Callshop", "Spielhalle"),
}
_NAME_PARTS: tuple[str, ...] = (
    "Sonnenschein", "Anadolu", "Saigon", "Lotus", "Bosporus", "Kiez", "Mekong", "Zeder", "Oase",
    "Halbmond", "Linde", "Stern", "Perle", "Atlas", "Nil", "Izmir", "Tigris", "Karawane",
    "Morgenrot", "Bambus", "Jasmin", "Libanon", "Ostwind", "Marmara", "Da Nang", "Huế",
    "Kurdistan", "Tulpe", "Eule", "Regenbogen", "Safran", "Granatapfel", "Phönix", "Mosaik",
)

_TEMPORARY_NAMES: tuple[str, ...] = (
    "Pop-up-Galerie Leerstand", "Atelier auf Zeit", "Kiezladen Zwischenraum",
    "Pop-up-Store Nachtfalter", "Projektraum Freifläche", "Repair-Café Schraube",
    "Ausstellung Schaufenster", "Wahlkreisbüro auf Zeit",
)

_OWNERS: tuple[str, ...] = (
    "Immobilien Muster GmbH", "Erbengemeinschaft Beispiel", "Grundbesitz Exempel GmbH & Co. KG",
    "Wohnungsgenossenschaft Musterhaus eG", "Hausverwaltung Probe GmbH",
    "Privateigentümerin E. Musterfrau", "Ost-Immobilien Beispiel AG",
    "Wohnen am Park Muster GmbH", "Erbengemeinschaft Örnek", "Vermögensverwaltung Platzhalter KG",
)
_FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Max", "Erika", "Mehmet", "Linh", "Samir", "Jana", "Tobias", "Ayşe", "Huong",
    "Karim", "Sabine",
)
_LAST_NAMES: tuple[str, ...] = (
    "Beispiel", "Mustermann", "Musterfrau", "Örnek", "Mẫu", "Mithal", "Platzhalter", "Probe",
    "Exempel",
)
_STAFF: dict[str, tuple[str, ...]] = {_OSTEN: ("AK", "MS", "CÖ", "HY"), _GRUENAU: ("BT", "NL", "JW")}

_NOTES_VACANT = ("Aushang „Zu vermieten“", "Schaufenster leer", None, None, None)
_NOTE_ESCAPE = 'Aushang "Nachmieter gesucht" <Tel. im Fenster> & Briefkasten voll'

# fmt: on

# Monthly hazards by year (knots) and quarter: closure of an occupied unit and
# letting of a vacant one. The Osten improves from 2016 on, Grünau slowly worsens.
_KNOTS = (2015.0, 2017.0, 2020.0, 2026.0)
_CLOSE = {_OSTEN: (0.0120, 0.0085, 0.0070, 0.0070), _GRUENAU: (0.0070, 0.0080, 0.0088, 0.0095)}
_LET = {_OSTEN: (0.030, 0.050, 0.060, 0.060), _GRUENAU: (0.050, 0.045, 0.040, 0.033)}
_INITIAL = {  # occupied, vacant, renovation, temporary_use
    _OSTEN: (0.71, 0.26, 0.02, 0.01),
    _GRUENAU: (0.86, 0.12, 0.01, 0.01),
}


@dataclass
class _Stint:
    """A period of one true state of a unit, from month ``start`` on."""

    start: int
    state: str
    business: str | None = None
    sector: str | None = None
    via: str = "initial"  # initial | let | change | new_unit | other


@dataclass
class _Obs:
    unit: int
    day: date
    status: str
    business: str | None
    sector: str | None
    confidence: str
    source: str
    note: str | None
    new_settlement: bool
    recorded_by: str
    recorded_at: pd.Timestamp
    supersedes: int | None = None  # index into the observation list


def make_demo_register(
    *, seed: int = DEMO_SEED, end: date = DEMO_END, n_units: int = 360
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Make the fictional demo register.

    Everything it returns is fictional and must be labelled
    :data:`geo.settings.demo_label` wherever it is shown.

    Parameters
    ----------
    seed
        Seed of the random generator; equal arguments give equal registers.
    end
        Last possible observation date; histories start in 2015.
    n_units
        Number of units, spread over the commercial streets of both quarters
        (about 60 % Leipziger Osten, 40 % Grünau).

    Returns
    -------
    units : geopandas.GeoDataFrame
        Columns :data:`geo.register.model.UNIT_COLUMNS` and point ``geometry`` in EPSG:4326,
        ordered by ``unit_id``; ``ortsteil`` and ``quarter`` assigned from the
        approximate boundaries.
    observations : pandas.DataFrame
        Columns :data:`geo.register.model.OBSERVATION_COLUMNS`, ``obs_id`` 1..n in
        recording order; a few corrections supersede an observation of the
        same unit and date.
    """
    if n_units < 1:
        raise ValueError("n_units must be positive")
    if end <= HISTORY_START:
        raise ValueError(f"end must be after {HISTORY_START.isoformat()}")
    rng = np.random.default_rng(seed)
    units = _make_units(rng, n_units)
    n_months = _month_index(end) + 1
    names = _Names(rng)
    histories = [_simulate(rng, names, unit, n_months) for unit in units]
    _demolish(rng, units, histories, n_months)
    _ensure_escaping_example(units, histories, n_months)
    observations = _observe(rng, units, histories, end)
    _add_corrections(rng, observations)
    return _unit_frame(units, observations), _observation_frame(units, observations)


# -- units -------------------------------------------------------------------------


def _make_units(rng: np.random.Generator, n_units: int) -> list[dict]:
    weights = np.array([s.weight for s in _STREETS])
    counts = _largest_remainder(weights / weights.sum(), n_units)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)
    units: list[dict] = []
    for street, count in zip(_STREETS, counts, strict=True):
        if count == 0:
            continue
        lo, hi = sorted(street.numbers)
        candidates = np.arange(lo, hi + 1)
        n_buildings = min(max(1, round(count * street.share_distinct)), len(candidates))
        numbers = np.sort(rng.choice(candidates, size=n_buildings, replace=False))
        extra = rng.choice(numbers, size=count - n_buildings, replace=True)
        xs, ys = to_metric.transform(*zip(*street.line, strict=True))
        line = shapely.LineString(list(zip(xs, ys, strict=True)))
        entries = [(int(hn), False) for hn in numbers] + [(int(hn), True) for hn in extra]
        entries.sort(key=lambda e: (e[0], e[1]))
        suffix_of: dict[int, str] = {}
        for hn, is_extra in entries:
            if hn not in suffix_of:
                suffix_of[hn] = "a" if rng.random() < 0.05 else ""
            position, note = _position(rng, is_extra, street.quarter)
            x, y = _place(rng, line, street, hn, position)
            lon, lat = to_lonlat.transform(x, y)
            units.append(
                {
                    "street": street,
                    "housenumber": f"{hn}{suffix_of[hn]}",
                    "postcode": next(pc for upto, pc in street.postcodes if hn <= upto),
                    "address_note": note,
                    "position": position,
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                }
            )
    for unit in units:
        quarter = unit["street"].quarter
        mix = _USE_MIX[quarter]
        unit["use_class"] = str(rng.choice(list(mix), p=_normalised(list(mix.values()))))
        area = float(np.clip(rng.lognormal(math.log(85), 0.55), 40, 400))
        unit["floor_area_m2"] = float(round(area)) if rng.random() >= 0.15 else math.nan
        unit.update(_personal(rng))
    return units


def _position(rng: np.random.Generator, is_extra: bool, quarter: str) -> tuple[str, str | None]:
    roll = rng.random()
    if is_extra:
        if roll < 0.55:
            return "upper_floor", str(rng.choice(["1. OG", "1. OG links", "2. OG"]))
        if roll < 0.85:
            return "rear_building", str(rng.choice(["Hinterhaus", "Hof, Seitenflügel"]))
        return "ground_floor", "Laden B" if quarter == _OSTEN else "Pavillon"
    if roll < 0.90:
        note = "Eckladen" if rng.random() < 0.06 else None
        return "ground_floor", note
    if roll < 0.97:
        return "upper_floor", "1. OG"
    return "rear_building", "Hinterhaus"


def _place(
    rng: np.random.Generator, line: shapely.LineString, street: _Street, hn: int, position: str
) -> tuple[float, float]:
    """Metric coordinates of a house number: along the line, offset to its side."""
    start, stop = street.numbers
    frac = (hn - start) / (stop - start)
    dist = float(np.clip(frac * line.length + rng.normal(0, 3), 1.0, line.length - 1.0))
    a = line.interpolate(dist - 1.0)
    b = line.interpolate(dist + 1.0)
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy)
    left = (-dy / norm, dx / norm)
    side = 1.0 if hn % 2 == 1 else -1.0
    offset = 11.0 + rng.uniform(-2, 2) + (22.0 if position == "rear_building" else 0.0)
    p = line.interpolate(dist)
    return p.x + side * offset * left[0], p.y + side * offset * left[1]


def _personal(rng: np.random.Generator) -> dict[str, str | None]:
    empty: dict[str, str | None] = {
        "owner_name": None,
        "contact_person": None,
        "contact_phone": None,
        "contact_email": None,
    }
    if rng.random() >= 0.6:
        return empty
    empty["owner_name"] = str(rng.choice(_OWNERS))
    if rng.random() < 0.85:
        first = str(rng.choice(_FIRST_NAMES))
        last = str(rng.choice(_LAST_NAMES))
        empty["contact_person"] = f"{first} {last}"
        empty["contact_phone"] = f"0341 555 0{int(rng.integers(100, 1000))}"
        empty["contact_email"] = f"{_ascii(first)}.{_ascii(last)}@example.org"
    return empty


def _ascii(text: str) -> str:
    text = text.casefold().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if ch.isascii() and ch.isalnum()
    )


# -- histories ---------------------------------------------------------------------


def _month_index(day: date) -> int:
    return (day.year - HISTORY_START.year) * 12 + day.month - 1


def _month_start(month: int) -> date:
    return date(HISTORY_START.year + month // 12, month % 12 + 1, 1)


def _rates(quarter: str, month: int) -> tuple[float, float]:
    year = HISTORY_START.year + month / 12
    return (
        float(np.interp(year, _KNOTS, _CLOSE[quarter])),
        float(np.interp(year, _KNOTS, _LET[quarter])),
    )


class _Names:
    """Draws business names so that each name is used by one business only."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._queues: dict[str, list[str]] = {}
        for use in USE_CLASSES:
            curated = list(_BUSINESS_NAMES[use])
            combos = [f"{k} {p}" for k in _KINDS[use] for p in _NAME_PARTS]
            rng.shuffle(curated)
            rng.shuffle(combos)
            self._queues[use] = (curated + combos)[::-1]  # pop() from the end
        self._temporary = list(_TEMPORARY_NAMES)
        self._used: set[str] = set()

    def business(self, rng: np.random.Generator, unit: dict) -> tuple[str, str]:
        use = unit["use_class"] if rng.random() < 0.8 else str(rng.choice(USE_CLASSES))
        street: _Street = unit["street"]
        queue = self._queues[use]
        name = ""
        while queue and (not name or name in self._used):
            name = queue.pop().format(short=street.short, hn=unit["housenumber"])
        if not name or name in self._used:
            name = f"{_KINDS[use][0]} {street.short} {unit['housenumber']}"
        self._used.add(name)
        sector = str(rng.choice(_WZ_OF_USE[use])) if rng.random() < 0.35 else use
        return name, sector

    def temporary(self, rng: np.random.Generator) -> tuple[str, str]:
        return str(rng.choice(self._temporary)), "culture_social"


def _simulate(rng: np.random.Generator, names: _Names, unit: dict, n_months: int) -> list[_Stint]:
    quarter = unit["street"].quarter
    if rng.random() < 0.08:  # a unit created later (new building or conversion)
        start = int(rng.integers(12, max(13, n_months - 18)))
        stints = [_Stint(start, "occupied", *names.business(rng, unit), via="new_unit")]
    else:
        state = str(
            rng.choice(["occupied", "vacant", "renovation", "temporary_use"], p=_INITIAL[quarter])
        )
        stints = [_Stint(0, state)]
        if state == "occupied":
            stints[0].business, stints[0].sector = names.business(rng, unit)
        elif state == "temporary_use":
            stints[0].business, stints[0].sector = names.temporary(rng)
    for month in range(stints[0].start + 1, n_months):
        close, let = _rates(quarter, month)
        current = stints[-1]
        roll = rng.random()
        new: _Stint | None = None
        if current.state == "occupied":
            if roll < close:
                state = "renovation" if rng.random() < 0.12 else "vacant"
                new = _Stint(month, state, via="other")
            elif roll < close + 0.003:
                new = _Stint(month, "occupied", *names.business(rng, unit), via="change")
        elif current.state == "vacant":
            if roll < let:
                new = _Stint(month, "occupied", *names.business(rng, unit), via="let")
            elif roll < let + 0.004:
                new = _Stint(month, "temporary_use", *names.temporary(rng), via="other")
            elif roll < let + 0.007:
                new = _Stint(month, "renovation", via="other")
        elif current.state == "temporary_use":
            if roll < 0.06:
                if rng.random() < 0.5:
                    new = _Stint(month, "occupied", *names.business(rng, unit), via="let")
                else:
                    new = _Stint(month, "vacant", via="other")
        elif current.state == "renovation":
            if roll < 0.08:
                if rng.random() < 0.75:
                    new = _Stint(month, "occupied", *names.business(rng, unit), via="let")
                else:
                    new = _Stint(month, "vacant", via="other")
        if new is not None:
            stints.append(new)
    return stints


def _demolish(
    rng: np.random.Generator, units: list[dict], histories: list[list[_Stint]], n_months: int
) -> None:
    """Pick a few units (more in Grünau) that fall vacant and are demolished."""
    if n_months < 60:
        return
    for quarter, how_many in ((_OSTEN, 2), (_GRUENAU, 3)):
        candidates = [
            i
            for i, u in enumerate(units)
            if u["street"].quarter == quarter and histories[i][0].start == 0
        ]
        if not candidates:
            continue
        for i in rng.choice(candidates, size=min(how_many, len(candidates)), replace=False):
            vacant_from = int(rng.integers(18, 48))
            demolished_at = vacant_from + int(rng.integers(18, 48))
            kept = [s for s in histories[int(i)] if s.start < vacant_from]
            if kept[-1].state != "vacant":
                kept.append(_Stint(vacant_from, "vacant", via="other"))
            kept.append(_Stint(min(demolished_at, n_months - 6), "demolished", via="other"))
            histories[int(i)] = kept


def _ensure_escaping_example(
    units: list[dict], histories: list[list[_Stint]], n_months: int
) -> None:
    """Make sure the name that needs most HTML escaping is in the register at the end."""
    special = 'Café & Bar "Zur <Ecke>"'
    if any(h[-1].business == special for h in histories):
        return
    for unit, history in zip(units, histories, strict=True):
        last = history[-1]
        if (
            unit["street"].quarter == _OSTEN
            and unit["use_class"] == "food"
            and last.state == "occupied"
            and last.start < n_months - 24
        ):
            last.business, last.sector = special, "I"
            return


def _state_at(history: list[_Stint], month: int) -> _Stint | None:
    current = None
    for stint in history:
        if stint.start <= month:
            current = stint
        else:
            break
    return current


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _observe(
    rng: np.random.Generator, units: list[dict], histories: list[list[_Stint]], end: date
) -> list[_Obs]:
    observations: list[_Obs] = []
    for i, (unit, history) in enumerate(zip(units, histories, strict=True)):
        quarter = unit["street"].quarter
        staff = _STAFF[quarter]
        first_month = history[0].start
        if first_month == 0:
            day = _workday(date(2015, 3, 2) + timedelta(days=int(rng.integers(0, 240))))
        else:
            day = _workday(_month_start(first_month) + timedelta(days=int(rng.integers(0, 20))))
        walk_days: list[date] = []
        while day <= end:
            walk_days.append(day)
            day = _workday(day + timedelta(days=int(rng.integers(183, 731))))
        days: dict[date, str] = {d: "walk" for d in walk_days}
        for stint in history[1:]:
            if rng.random() < 0.35 or stint.state == "demolished":
                day = _month_start(stint.start) + timedelta(days=int(rng.integers(0, 28)))
                while day in days:
                    day += timedelta(days=1)
                if first_month <= _month_index(day) and day <= end:
                    days[day] = "report"
        seen_stints: set[int] = set()
        previous_status: str | None = None
        for day in sorted(days):
            stint = _state_at(history, _month_index(day))
            if stint is None:  # pragma: no cover - days start with the history
                continue
            if previous_status == "demolished":
                break
            kind = days[day]
            obs = _observation(rng, i, day, kind, stint, staff, id(stint) in seen_stints)
            seen_stints.add(id(stint))
            observations.append(obs)
            previous_status = obs.status
    return observations


def _observation(
    rng: np.random.Generator,
    unit: int,
    day: date,
    kind: str,
    stint: _Stint,
    staff: tuple[str, ...],
    stint_seen: bool,
) -> _Obs:
    walk = kind == "walk"
    status = stint.state
    business = stint.business if status in ("occupied", "temporary_use") else None
    sector = stint.sector if business is not None else None
    confidence = "confirmed_on_site" if walk else "reported"
    note: str | None = None
    new_settlement = False
    if status == "vacant":
        if rng.random() < 0.25:
            status = "probably_vacant"
            confidence = "assumed" if walk else "reported"
            note = "Schaufenster verklebt" if walk else None
        elif walk:
            note = _NOTES_VACANT[int(rng.integers(len(_NOTES_VACANT)))]
            if note is not None and rng.random() < 0.04:
                note = _NOTE_ESCAPE
    elif status == "renovation" and walk:
        note = "Baugerüst, Umbau" if rng.random() < 0.5 else None
    elif status == "demolished":
        note = "Gebäude abgerissen"
    if walk and status not in ("demolished",) and rng.random() < 0.015:
        status, business, sector = "unknown", None, None
        confidence, note = "assumed", "Nicht einsehbar (Gerüst/Rollladen)"
    if status == "occupied" and not stint_seen:
        chance = {"new_unit": 1.0, "let": 0.7, "change": 0.3}.get(stint.via, 0.0)
        new_settlement = bool(rng.random() < chance)
        if new_settlement and rng.random() < 0.3:
            note = "Neueröffnung laut Aushang"
    if status == "unknown":
        new_settlement = False
    time = _WALK_TIME if walk else _REPORT_TIME
    return _Obs(
        unit=unit,
        day=day,
        status=status,
        business=business,
        sector=sector,
        confidence=confidence,
        source=SOURCE_WALK if walk else SOURCE_REPORT,
        note=note,
        new_settlement=new_settlement,
        recorded_by=str(rng.choice(staff)),
        recorded_at=pd.Timestamp(day) + time,
    )


def _add_corrections(rng: np.random.Generator, observations: list[_Obs]) -> None:
    """Turn a few walk observations into mistakes, each corrected later for the same day."""
    candidates = [
        k
        for k, o in enumerate(observations)
        if o.source == SOURCE_WALK and o.status == "occupied" and o.business
    ]
    if not candidates:
        return
    picks = rng.choice(candidates, size=min(8, len(candidates)), replace=False)
    for n, k in enumerate(sorted(int(p) for p in picks)):
        right = observations[k]
        wrong = replace(right)
        if n % 2 == 0:
            wrong.status, wrong.business, wrong.sector = "vacant", None, None
            wrong.new_settlement, wrong.note = False, None
            note = "Korrektur: Betrieb war geöffnet, nicht leer"
        else:
            wrong.business = (
                right.business[:-1] if len(right.business) > 4 else right.business + "x"
            )
            note = "Korrektur: Name des Betriebs berichtigt"
        observations[k] = wrong
        correction = replace(right)
        correction.note = note
        correction.recorded_at = (
            pd.Timestamp(right.day) + pd.Timedelta(days=int(rng.integers(1, 6))) + _CORRECTION_TIME
        )
        correction.supersedes = k
        observations.append(correction)


# -- frames ------------------------------------------------------------------------


def _unit_frame(units: list[dict], observations: list[_Obs]) -> gpd.GeoDataFrame:
    n = len(units)
    ids = [f"D-{i + 1:04d}" for i in range(n)]
    first_recorded: list[pd.Timestamp | None] = [None] * n
    for obs in observations:
        current = first_recorded[obs.unit]
        if current is None or obs.recorded_at < current:
            first_recorded[obs.unit] = obs.recorded_at
    frame = pd.DataFrame(
        {
            "unit_id": pd.array(ids, dtype="str"),
            "street": pd.array([u["street"].name for u in units], dtype="str"),
            "housenumber": pd.array([u["housenumber"] for u in units], dtype="str"),
            "postcode": pd.array([u["postcode"] for u in units], dtype="str"),
            "address_note": pd.array([u["address_note"] for u in units], dtype="str"),
            "position": pd.array([u["position"] for u in units], dtype="str"),
            "floor_area_m2": np.array([u["floor_area_m2"] for u in units], dtype="float64"),
            "use_class": pd.array([u["use_class"] for u in units], dtype="str"),
            "ortsteil": pd.array([None] * n, dtype="str"),
            "quarter": pd.array([None] * n, dtype="str"),
            "owner_name": pd.array([u["owner_name"] for u in units], dtype="str"),
            "contact_person": pd.array([u["contact_person"] for u in units], dtype="str"),
            "contact_phone": pd.array([u["contact_phone"] for u in units], dtype="str"),
            "contact_email": pd.array([u["contact_email"] for u in units], dtype="str"),
            "created_at": pd.Series(first_recorded, dtype="datetime64[s]"),
        }
    )
    gdf = gpd.GeoDataFrame(
        frame,
        geometry=gpd.points_from_xy([u["lon"] for u in units], [u["lat"] for u in units]),
        crs=settings.storage_crs,
    )
    gdf = assign_areas(gdf, approximate_boundaries())
    return gdf[[*UNIT_COLUMNS, "geometry"]]


def _observation_frame(units: list[dict], observations: list[_Obs]) -> pd.DataFrame:
    ids = [f"D-{i + 1:04d}" for i in range(len(units))]
    order = sorted(
        range(len(observations)),
        key=lambda k: (observations[k].recorded_at, observations[k].unit, observations[k].day, k),
    )
    obs_id = {k: n + 1 for n, k in enumerate(order)}
    rows = [observations[k] for k in order]
    supersedes = [obs_id[o.supersedes] if o.supersedes is not None else None for o in rows]
    return pd.DataFrame(
        {
            "obs_id": np.arange(1, len(rows) + 1, dtype="int64"),
            "unit_id": pd.array([ids[o.unit] for o in rows], dtype="str"),
            "observed_on": pd.Series([pd.Timestamp(o.day) for o in rows], dtype="datetime64[s]"),
            "status": pd.array([o.status for o in rows], dtype="str"),
            "business_name": pd.array([o.business for o in rows], dtype="str"),
            "sector": pd.array([o.sector for o in rows], dtype="str"),
            "confidence": pd.array([o.confidence for o in rows], dtype="str"),
            "source": pd.array([o.source for o in rows], dtype="str"),
            "note": pd.array([o.note for o in rows], dtype="str"),
            "new_settlement": np.array([o.new_settlement for o in rows], dtype=bool),
            "supersedes": pd.array(supersedes, dtype="Int64"),
            "recorded_by": pd.array([o.recorded_by for o in rows], dtype="str"),
            "recorded_at": pd.Series([o.recorded_at for o in rows], dtype="datetime64[s]"),
            "import_id": pd.array([None] * len(rows), dtype="Int64"),
        }
    )[list(OBSERVATION_COLUMNS)]


# -- helpers -----------------------------------------------------------------------


def _normalised(values: list[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr / arr.sum()


def _largest_remainder(shares: np.ndarray, total: int) -> list[int]:
    raw = shares * total
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]:
        counts[k] += 1
    return [int(c) for c in counts]


# -- demo walking network ----------------------------------------------------------

#: File name of the demo walking network in :data:`geo.settings.data_dir`.
DEMO_WALK_NETWORK_NAME: str = "demo-walk-network.osm"

_WALK_STEP_M = 50.0  # street vertices about every 50 m
_WALK_MAX_LINK_M = 350.0  # longest connector footway
_WALK_NOTE = (
    "Demo-Wegenetz (fiktiv, vereinfacht) des Quartiersmonitors: die handgezeichneten Demo-Straßen aus "
    "geo/demo.py und erfundene Verbindungswege. Keine echten Kartendaten, nicht zur Orientierung vor Ort."
)


def write_demo_walk_network(path: str | os.PathLike[str], *, seed: int = DEMO_SEED) -> Path:
    """Write the fictional demo walking network as OSM XML.

    Made only from the hand-drawn demo streets above: each street is a
    ``highway=residential`` way with vertices about every 50 m (streets of
    one quarter that cross share a node); connector footways
    (``name="Verbindungsweg (fiktiv)"``) follow the edges of a Delaunay
    triangulation of the street vertices of each quarter (EPSG:25833) that
    are shorter than 350 m and join different streets, each with a slight
    bend drawn from ``seed``; a footway joins each quarter office
    (:func:`geo.places.areas.load_quarters`) to its nearest street vertex, and one
    long fictional footway joins the two quarters so that the network is a
    single connected part (:func:`geo.walks.network.load_walk_graph` keeps only the
    largest). The file carries the generator
    :data:`geo.osm._synthetic.DEMO_GENERATOR` and an XML comment saying it is
    fictional; equal arguments give identical bytes.

    Parameters
    ----------
    path
        File to write (overwritten), usually
        ``settings.data_dir / DEMO_WALK_NETWORK_NAME``.
    seed
        Seed of the bends of the connector footways.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from scipy.spatial import Delaunay

    from geo.osm._synthetic import DEMO_GENERATOR, write_osm

    rng = np.random.default_rng(seed)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)
    xy: dict[int, tuple[float, float]] = {}
    key_of: dict[tuple[int, int], int] = {}

    def node(x: float, y: float) -> int:
        key = (round(x * 10), round(y * 10))  # same point to 0.1 m, same node
        if key not in key_of:
            key_of[key] = len(xy) + 1
            xy[key_of[key]] = (x, y)
        return key_of[key]

    lines = [shapely.LineString(list(zip(*to_metric.transform(*zip(*s.line, strict=True)), strict=True)))
             for s in _STREETS]
    ways: list[tuple[list[int], dict[str, str]]] = []
    streets_of: dict[int, set[int]] = {}
    quarter_nodes: dict[str, list[int]] = {}
    for i, (street, line) in enumerate(zip(_STREETS, lines, strict=True)):
        marks = [(line.project(shapely.Point(c)), c) for c in line.coords]
        for j, other in enumerate(lines):
            if j != i and _STREETS[j].quarter == street.quarter:
                cross = line.intersection(other)
                marks += [(line.project(p), (p.x, p.y)) for p in shapely.get_parts(cross) if p.geom_type == "Point"]
        marks.sort(key=lambda m: m[0])
        refs: list[int] = []
        for (d0, a), (d1, b) in itertools.pairwise(marks):
            n = max(1, math.ceil((d1 - d0) / _WALK_STEP_M - 1e-9))
            refs += [node(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(n)]
        refs.append(node(*marks[-1][1]))
        refs = [r for k, r in enumerate(refs) if k == 0 or r != refs[k - 1]]
        ways.append((refs, {"highway": "residential", "name": street.name, "source": "Demo (fiktiv)"}))
        for r in refs:
            streets_of.setdefault(r, set()).add(i)
        quarter_nodes.setdefault(street.quarter, [])
        quarter_nodes[street.quarter] += [r for r in refs if r not in quarter_nodes[street.quarter]]

    def footway(a: int, b: int, name: str) -> None:
        (ax, ay), (bx, by) = xy[a], xy[b]
        bend = rng.uniform(-0.08, 0.08)
        mid = len(xy) + 1
        xy[mid] = ((ax + bx) / 2 - (by - ay) * bend, (ay + by) / 2 + (bx - ax) * bend)
        ways.append(([a, mid, b], {"highway": "footway", "name": name, "source": "Demo (fiktiv)"}))

    parent: dict[int, int] = {}  # union-find over the street vertices

    def find(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    quarters = load_quarters()
    for quarter, ids in quarter_nodes.items():
        pts = np.array([xy[r] for r in ids])
        edges: set[tuple[int, int]] = set()
        for simplex in Delaunay(pts).simplices:
            for p, q in itertools.combinations(sorted(int(v) for v in simplex), 2):
                a, b = ids[p], ids[q]
                if not streets_of[a] & streets_of[b]:  # not along a street
                    edges.add((min(a, b), max(a, b)))
        # short edges, then the shortest longer ones that join streets still apart
        parent.update({r: r for r in ids})
        for refs, _ in ways[: len(_STREETS)]:  # the streets
            if refs[0] in parent:
                for r in refs[1:]:
                    parent[find(r)] = find(refs[0])
        links = {e for e in edges if math.dist(xy[e[0]], xy[e[1]]) < _WALK_MAX_LINK_M}
        for a, b in links:
            parent[find(a)] = find(b)
        for a, b in sorted(edges - links, key=lambda e: (math.dist(xy[e[0]], xy[e[1]]), e)):
            if find(a) != find(b):
                parent[find(a)] = find(b)
                links.add((a, b))
        for a, b in sorted(links):
            footway(a, b, "Verbindungsweg (fiktiv)")
        if quarter in quarters:
            office = quarters[quarter]
            ox_, oy = to_metric.transform(office.office_lon, office.office_lat)
            near = min(ids, key=lambda r: math.dist(xy[r], (ox_, oy)))
            start = node(ox_, oy)
            if start != near:
                ways.append(([start, near], {"highway": "footway", "name": "Zugang zum Quartiersbüro (fiktiv)",
                                             "source": "Demo (fiktiv)"}))
    groups = list(quarter_nodes.values())
    for first, second in itertools.pairwise(groups):
        a, b = min(((a, b) for a in first for b in second), key=lambda ab: math.dist(xy[ab[0]], xy[ab[1]]))
        ways.append(([a, b], {"highway": "footway", "name": "Verbindung der Demo-Quartiere (fiktiv)",
                              "source": "Demo (fiktiv)"}))

    ids_sorted = sorted(xy)
    lon, lat = to_lonlat.transform([xy[k][0] for k in ids_sorted], [xy[k][1] for k in ids_sorted])
    nodes = {k: (float(a), float(b)) for k, a, b in zip(ids_sorted, lon, lat, strict=True)}
    return write_osm(path, nodes, ways, generator=DEMO_GENERATOR, comment=_WALK_NOTE)
