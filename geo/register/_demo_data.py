"""The fictional material of the demo register: streets, business names, owners, use mix and hazards.

Private to :mod:`geo.register.demo` (with :mod:`geo.register._demo_history`) and
:mod:`geo.register.demo_network`. The street polylines below were drawn by hand
for this project (approximate, not traced from any data set); everything else
is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: First day of every demo history.
HISTORY_START: date = date(2015, 1, 1)

#: ``source`` of observations made on a walk through the quarter.
SOURCE_WALK: str = "Demo-Begehung"
#: ``source`` of observations reported by owners, businesses or neighbours.
SOURCE_REPORT: str = "Demo-Meldung"


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
