"""The fictional material of the demo register: streets, business names, owners, use mix and hazards.

Private to :mod:`geo.register.demo` (with :mod:`geo.register._demo_history`) and
:mod:`geo.register.demo_network`. The street polylines below were drawn by hand
for this project (approximate, not traced from any data set) and checked against the
official Ortsteil polygons (``data/ortsteile.geojson``); everything else is invented.
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
    last; odd numbers are on the left-hand side in drawing direction. Each line was
    drawn by hand and checked against the official Ortsteil polygons
    (``data/ortsteile.geojson``) so that its units fall into the Ortsteile the street
    really runs through; ``highway`` is its class in the demo walking network.
    """

    name: str
    short: str
    quarter: str
    line: tuple[tuple[float, float], ...]
    numbers: tuple[int, int]
    weight: float
    postcodes: tuple[tuple[int, str], ...]  # (up to house number, postcode)
    share_distinct: float = 0.85  # share of units in buildings of their own
    highway: str = "residential"


@dataclass(frozen=True)
class _Path:
    """A street or path of the demo walking network only (no units): hand-drawn polyline (lon/lat)."""

    name: str
    quarter: str
    line: tuple[tuple[float, float], ...]
    highway: str = "residential"


# fmt: off
_STREETS: tuple[_Street, ...] = (
    # -- Leipziger Osten ------------------------------------------------------------
    # Eisenbahnstraße: Neustadt-Neuschönefeld west of Hermann-Liebmann-Straße, Volkmarsdorf east of it
    _Street(
        "Eisenbahnstraße", "Eisenbahn", _OSTEN,
        ((12.3957, 51.3464), (12.4000, 51.3463), (12.4060, 51.3461),
         (12.4146, 51.3458), (12.4212, 51.3450)),
        (9, 190), 0.22, ((999, "04315"),), 0.85, "secondary",
    ),
    # the border of Neustadt-Neuschönefeld and Volkmarsdorf, north of the railway in Schönefeld-Abtnaundorf
    _Street(
        "Hermann-Liebmann-Straße", "Liebmann", _OSTEN,
        ((12.4064, 51.3398), (12.4062, 51.3445), (12.4064, 51.3465), (12.4066, 51.3490),
         (12.4066, 51.3528)),
        (1, 120), 0.075, ((999, "04315"),), 0.85, "secondary",
    ),
    _Street(
        "Torgauer Straße", "Torgauer", _OSTEN,
        ((12.4149, 51.3458), (12.4170, 51.3470)),  # from Torgauer Platz up to the railway bridge
        (1, 16), 0.02, ((999, "04315"),), 0.85, "secondary",
    ),
    # Volkmarsdorf, east of the railway Sellerhausen-Stünz
    _Street(
        "Wurzner Straße", "Wurzner", _OSTEN,
        ((12.4072, 51.3406), (12.4100, 51.3416), (12.4130, 51.3421), (12.4230, 51.3425),
         (12.4380, 51.3423)),
        (1, 160), 0.07, ((70, "04315"), (999, "04318")), 0.85, "secondary",
    ),
    _Street(
        "Konradstraße", "Konrad", _OSTEN,
        ((12.4018, 51.3481), (12.4064, 51.3481), (12.4118, 51.3479)),
        (1, 60), 0.035, ((999, "04315"),),
    ),
    # the border of Neustadt-Neuschönefeld (north side) and Reudnitz-Thonberg (south side)
    _Street(
        "Dresdner Straße", "Dresdner", _OSTEN,
        ((12.3962, 51.3391), (12.4000, 51.3392), (12.4035, 51.3393), (12.4064, 51.3398)),
        (56, 110), 0.04, ((999, "04317"),), 0.85, "secondary",
    ),
    _Street(
        "Ludwigstraße", "Ludwig", _OSTEN,
        ((12.4022, 51.3440), (12.4024, 51.3480)),
        (30, 100), 0.02, ((999, "04315"),),
    ),
    # Anger-Crottendorf
    _Street(
        "Zweinaundorfer Straße", "Zweinaundorfer", _OSTEN,
        ((12.4080, 51.3391), (12.4130, 51.3380), (12.4215, 51.3365), (12.4320, 51.3350)),
        (1, 110), 0.04, ((999, "04318"),), 0.85, "tertiary",
    ),
    _Street(
        "Theodor-Neubauer-Straße", "Neubauer", _OSTEN,
        ((12.4215, 51.3365), (12.4215, 51.3330), (12.4222, 51.3297)),
        (1, 60), 0.02, ((999, "04318"),),
    ),
    # Reudnitz-Thonberg
    _Street(
        "Riebeckstraße", "Riebeck", _OSTEN,
        ((12.4037, 51.3386), (12.4040, 51.3350), (12.4046, 51.3300)),
        (1, 70), 0.025, ((999, "04317"),), 0.85, "tertiary",
    ),
    # Schönefeld-Abtnaundorf
    _Street(
        "Schönefelder Allee", "Schönefelder", _OSTEN,
        ((12.4066, 51.3528), (12.4075, 51.3565), (12.4090, 51.3600)),
        (1, 40), 0.025, ((999, "04347"),), 0.85, "tertiary",
    ),
    # -- Grünau -------------------------------------------------------------------
    # Grünau-Mitte, east of Ludwigsburger Straße Grünau-Ost
    _Street(
        "Stuttgarter Allee", "Allee", _GRUENAU,
        ((12.2845, 51.3212), (12.2900, 51.3204), (12.2950, 51.3198), (12.2995, 51.3193)),
        (1, 40), 0.12, ((999, "04209"),), 0.65, "secondary",
    ),
    _Street(
        "Ludwigsburger Straße", "Ludwigsburger", _GRUENAU,
        ((12.2950, 51.3198), (12.2952, 51.3150), (12.2953, 51.3115)),
        (1, 30), 0.06, ((999, "04209"),), 0.7,
    ),
    # Schönau
    _Street(
        "Lützner Straße", "Lützner", _GRUENAU,
        ((12.2845, 51.3325), (12.2940, 51.3330), (12.3030, 51.3335)),
        (290, 200), 0.05, ((999, "04207"),), 0.85, "secondary",
    ),
    # from Lausen-Grünau through Grünau-Siedlung along Grünau-Mitte
    _Street(
        "Alte Salzstraße", "Salz", _GRUENAU,
        ((12.2640, 51.3110), (12.2720, 51.3118), (12.2800, 51.3125), (12.2880, 51.3130),
         (12.2960, 51.3136)),
        (1, 150), 0.05, ((40, "04207"), (999, "04209")), 0.8, "tertiary",
    ),
    # Grünau-Nord
    _Street(
        "Jupiterstraße", "Jupiter", _GRUENAU,
        ((12.2675, 51.3188), (12.2680, 51.3220), (12.2688, 51.3250)),
        (1, 30), 0.035, ((999, "04207"),), 0.75,
    ),
    # Lausen-Grünau
    _Street(
        "Lausener Straße", "Lausener", _GRUENAU,
        ((12.2490, 51.3080), (12.2580, 51.3082), (12.2660, 51.3086)),
        (1, 60), 0.035, ((999, "04207"),), 0.85, "tertiary",
    ),
    _Street(
        "Brackestraße", "Bracke", _GRUENAU,
        ((12.2612, 51.3048), (12.2620, 51.3080), (12.2640, 51.3110)),
        (1, 40), 0.02, ((999, "04207"),), 0.75,
    ),
)

# Cross streets of the demo walking network that carry no units: they join the streets above into a
# street grid per quarter (hand-drawn like them, approximate; :mod:`geo.register.demo_network`).
_PATHS: tuple[_Path, ...] = (
    # the ends of streets at the crossing of Dresdner, Hermann-Liebmann-, Wurzner and Zweinaundorfer Straße
    _Path("Wurzner Straße", _OSTEN, ((12.4064, 51.3398), (12.4072, 51.3406)), "secondary"),
    _Path("Zweinaundorfer Straße", _OSTEN, ((12.4064, 51.3398), (12.4080, 51.3391)), "tertiary"),
    _Path("Riebeckstraße", _OSTEN, ((12.4037, 51.3393), (12.4037, 51.3386)), "tertiary"),
    _Path("Neustädter Straße", _OSTEN, ((12.3985, 51.3391), (12.3985, 51.3463))),
    _Path("Ludwigstraße", _OSTEN, ((12.4021, 51.3392), (12.4022, 51.3440))),
    _Path("Mariannenstraße", _OSTEN, ((12.4115, 51.3420), (12.4117, 51.3479))),
    _Path("Elisabethstraße", _OSTEN, ((12.4185, 51.3425), (12.4185, 51.3453))),
    _Path("Stuttgarter Allee", _GRUENAU, ((12.2845, 51.3212), (12.2780, 51.3220), (12.2684, 51.3236)),
          "secondary"),
    _Path("Schönauer Straße", _GRUENAU, ((12.2900, 51.3204), (12.2905, 51.3270), (12.2915, 51.3328))),
    _Path("Karlsruher Straße", _GRUENAU, ((12.2675, 51.3188), (12.2700, 51.3150), (12.2705, 51.3119))),
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
