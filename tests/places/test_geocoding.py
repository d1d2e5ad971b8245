"""The offline geocoder on small fixture files (tests/fixtures/geocoding, fictional addresses).

Each matching rule of :mod:`geo.places.geocoding.offline` has a case here: street spellings,
typos, letters, ranges and lists of house numbers, postcodes, interpolation, street only, and
"never guess far" (ambiguous places, points outside Leipzig or outside a given area).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo import settings
from geo.errors import InputError
from geo.places.geocoding import (
    QUALITIES,
    QUALITY_LABELS,
    AddressQuery,
    Geocoder,
    GeocodeResult,
    OfflineGeocoder,
    geocode_frame,
    review_units,
)
from geo.places.geocoding._numbers import (
    EXACT_FIRST,
    EXACT_KEY,
    EXACT_LISTED,
    IN_RANGE,
    NO_MATCH,
    NUMBER_ONLY,
    OTHER_END,
    match_level,
    parse_housenumber,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "geocoding"
OSM = FIXTURES / "addresses.osm"
CSV = FIXTURES / "hauskoordinaten.csv"
GEOJSON = FIXTURES / "buildings.geojson"

TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
#: The fixtures' base point in EPSG:25833 (12.40 E, 51.345 N, rounded); see tests/fixtures/geocoding/README.md.
BX, BY = 318929, 5691401


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder.from_files([OSM])


def place(geocoder: OfflineGeocoder, text: str, **kwargs) -> GeocodeResult:
    return geocoder.geocode(AddressQuery.from_text(text), **kwargs)


def metric(result: GeocodeResult) -> tuple[float, float]:
    assert result.lon is not None and result.lat is not None
    return TO_METRIC.transform(result.lon, result.lat)


def near(result: GeocodeResult, x: float, y: float, tol: float = 0.05) -> bool:
    rx, ry = metric(result)
    return bool(np.hypot(rx - x, ry - y) <= tol)


# -- house numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "known", "level"),
    [
        ("31a", "31 A", EXACT_KEY),
        ("12–14", "12-14", EXACT_KEY),
        ("12-14", "12", EXACT_FIRST),
        ("12", "12-14", EXACT_FIRST),
        ("42/43", "42", EXACT_FIRST),
        ("43", "42/43", EXACT_LISTED),
        ("10", "8,10,12", EXACT_LISTED),
        ("40", "38;40", EXACT_LISTED),
        ("31a", "31", NUMBER_ONLY),
        ("31", "31b", NUMBER_ONLY),
        ("9", "1-17", IN_RANGE),
        ("8", "1-17", NO_MATCH),  # the other side of the street
        ("12-14", "14", OTHER_END),
        ("52 Hinterhaus", "52", EXACT_FIRST),
        ("", "12", NO_MATCH),
        ("7", "9", NO_MATCH),
    ],
)
def test_house_number_levels(asked, known, level):
    assert match_level(parse_housenumber(asked), parse_housenumber(known)) == level


def test_parsed_house_numbers():
    n = parse_housenumber("44 – 54")
    assert n.key == "44-54" and n.first == (44, "") and n.span == (44, 54)
    assert parse_housenumber("42/43").span is None  # a slash lists, it spans nothing
    assert parse_housenumber("31 A").first == (31, "a")
    assert parse_housenumber(None).first is None


# -- streets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Eisenbahnstraße 31",
        "Eisenbahnstr. 31",
        "Eisenbahnstr 31",
        "EISENBAHNSTRASSE 31",
        "eisenbahnstrasse 31",
        "Eisenbahn-Straße 31",
        "Eisenbahn Straße 31",
        "Eisenbahnstraße 31, 04315 Leipzig",
    ],
)
def test_street_spellings_are_one_street(geocoder, text):
    result = place(geocoder, text)
    assert result.quality == "exact", result
    assert result.matched == "Eisenbahnstraße 31, 04315"
    assert result.score == 100.0 and result.reason is None and result.method == "offline"


def test_a_building_is_placed_at_its_footprint_centroid_in_metres(geocoder):
    # the fixture's building 31 is a 20 m x 14 m rectangle centred 6*31 m east, 20 m north of the base
    result = place(geocoder, "Eisenbahnstraße 31")
    assert near(result, BX + 186, BY + 20, tol=0.05)
    assert result.uncertainty_m == 0.0


def test_a_small_typo_in_the_street_is_fuzzy_street(geocoder):
    result = place(geocoder, "Hedwisgtraße 9")
    assert result.quality == "fuzzy_street"
    assert result.matched == "Hedwigstraße 9, 04315"
    assert 88 <= result.score < 100
    assert "als 'Hedwigstraße' gelesen" in result.reason
    assert near(result, BX + 310, BY + 200 + 72)


def test_a_typo_between_two_similar_streets_is_not_guessed(geocoder):
    result = place(geocoder, "Bargstraße 1")
    assert result.quality == "not_found" and result.lon is None
    assert (
        "nicht eindeutig" in result.reason and "Bergstraße" in result.reason and "Burgstraße" in result.reason
    )


def test_an_unknown_street_is_not_found_naming_it(geocoder):
    result = place(geocoder, "Xyzweg 3")
    assert not result.found and result.lon is None and result.lat is None
    assert "'Xyzweg'" in result.reason and "addresses.osm" in result.reason


def test_the_similarity_threshold_is_a_setting(geocoder, monkeypatch):
    monkeypatch.setattr(settings, "geocode_street_threshold", 95.0)
    assert place(geocoder, "Hedwisgtraße 9").quality == "not_found"


def test_addr_place_counts_as_street(geocoder):
    assert place(geocoder, "Torgauer Platz 2").quality == "exact"


# -- house numbers in the data ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quality", "matched"),
    [
        ("Eisenbahnstraße 40b", "exact", "Eisenbahnstraße 40b, 04315"),
        ("Eisenbahnstraße 40 B", "exact", "Eisenbahnstraße 40b, 04315"),
        ("Eisenbahnstraße 40", "fuzzy_number", "Eisenbahnstraße 40b, 04315"),  # only 40b known
        ("Eisenbahnstraße 29a", "fuzzy_number", "Eisenbahnstraße 29, 04315"),  # letter dropped
        ("Eisenbahnstraße 50–54", "exact", "Eisenbahnstraße 50-54, 04315"),
        ("Eisenbahnstraße 50", "exact", "Eisenbahnstraße 50-54, 04315"),
        ("Eisenbahnstraße 52", "fuzzy_number", "Eisenbahnstraße 50-54, 04315"),  # inside the range
        ("Eisenbahnstraße 62", "exact", "Eisenbahnstraße 60/62, 04315"),
        ("Eisenbahnstraße 12-14", "exact", "Eisenbahnstraße 12, 04315"),  # a range: its first number
        ("Eisenbahnstraße 12–14", "exact", "Eisenbahnstraße 12, 04315"),
        ("Eisenbahnstraße 10/11", "exact", "Eisenbahnstraße 10, 04315"),  # a slash: its first number
    ],
)
def test_letters_ranges_and_lists(geocoder, text, quality, matched):
    result = place(geocoder, text)
    assert (result.quality, result.matched) == (quality, matched)
    assert (result.reason is None) == (quality == "exact")


def test_letter_exact_first_then_number_without_letter(tmp_path):
    # 31 and 31a both known: 31a asked gives 31a exactly, 31b asked gives 31 (without letter), fuzzier
    table = pd.DataFrame(
        {
            "street": ["Eisenbahnstraße"] * 2,
            "housenumber": ["31", "31a"],
            "postcode": ["04315"] * 2,
            "x": [BX + 100.0, BX + 130.0],
            "y": [BY + 0.0, BY + 0.0],
            "source": "t",
        }
    )
    g = OfflineGeocoder(table)
    a = g.geocode(AddressQuery("Eisenbahnstraße", "31a"))
    assert a.quality == "exact" and near(a, BX + 130, BY)
    b = g.geocode(AddressQuery("Eisenbahnstraße", "31b"))
    assert b.quality == "fuzzy_number" and "31b als 31 / 31a" in b.reason
    assert QUALITIES.index(b.quality) > QUALITIES.index(a.quality)


# -- postcodes -------------------------------------------------------------------------------------


def test_the_postcode_decides_between_equal_street_names(geocoder):
    near_one = place(geocoder, "Hauptstraße 5, 04315 Leipzig")
    far_one = place(geocoder, "Hauptstraße 5, 04229 Leipzig")
    assert near_one.quality == far_one.quality == "exact"
    assert near(near_one, BX + 500, BY - 300) and near(far_one, BX - 3000, BY - 2000)


def test_equal_street_names_without_postcode_are_not_guessed(geocoder):
    result = place(geocoder, "Hauptstraße 5")
    assert result.quality == "not_found" and result.lon is None
    assert "mehreren Orten" in result.reason and "04229" in result.reason and "04315" in result.reason
    assert "Postleitzahl angeben" in result.reason


def test_a_postcode_the_street_does_not_have_is_other_postcode(geocoder):
    result = place(geocoder, "Eisenbahnstraße 31, 04317")
    assert result.quality == "other_postcode" and near(result, BX + 186, BY + 20)
    assert "04317 passt nicht" in result.reason and "04315" in result.reason


def test_the_worst_rule_decides_the_quality(geocoder):
    # a typo and a dropped letter: the worse of fuzzy_street and fuzzy_number
    result = place(geocoder, "Hedwisgtraße 9a")
    assert result.quality == "fuzzy_street"
    assert "gelesen" in result.reason and "9a als 9" in result.reason


# -- numbers not in the data -----------------------------------------------------------------------


def test_a_missing_number_between_neighbours_on_its_side_is_interpolated(geocoder):
    result = place(geocoder, "Hedwigstraße 7")
    assert result.quality == "interpolated"
    assert near(result, BX + 310, BY + 200 + 56)  # half way between 5 (y+40) and 9 (y+72)
    assert result.uncertainty_m == pytest.approx(16.0)
    assert "zwischen Hedwigstraße 5 und 9" in result.reason


def test_interpolation_needs_close_neighbours(geocoder, monkeypatch):
    monkeypatch.setattr(settings, "geocode_max_number_gap", 2)
    assert place(geocoder, "Hedwigstraße 7").quality == "street_only"


def test_a_number_not_known_gives_the_street_centre_never_exact(geocoder):
    result = place(geocoder, "Kurze Gasse 20")  # only 1, 3, 5 known, none on the even side
    assert result.quality == "street_only" and result.matched == "Kurze Gasse"
    assert near(result, BX + 200, BY - 600 + 30)  # the centre of 1, 3 and 5
    assert result.uncertainty_m == pytest.approx(20.0)
    assert "Hausnummer 20 nicht in den Adressdaten" in result.reason
    without = place(geocoder, "Kurze Gasse")
    assert without.quality == "street_only" and "ohne Hausnummer" in without.reason


def test_a_long_street_gives_no_street_point(geocoder):
    result = place(geocoder, "Lange Straße 50")  # 1 and 99 lie 2 km apart
    assert result.quality == "not_found" and result.lon is None
    assert "ein Punkt auf ihr wäre geraten" in result.reason and "1.000 m" in result.reason


# -- never guess far -------------------------------------------------------------------------------


def test_a_point_outside_leipzig_is_not_found(geocoder):
    result = place(geocoder, "Außenweg 1")
    assert result.quality == "not_found" and result.lon is None and result.lat is None
    assert "außerhalb Leipzigs" in result.reason


def test_a_point_outside_the_given_area_is_not_found(geocoder):
    to_lonlat = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)
    box = shapely.box(*to_lonlat.transform(BX - 50, BY - 50), *to_lonlat.transform(BX + 400, BY + 100))
    inside = place(geocoder, "Eisenbahnstraße 31", area=box)
    outside = place(geocoder, "Hedwigstraße 9", area=box)
    assert inside.quality == "exact"
    assert outside.quality == "not_found" and "außerhalb des vorgegebenen Gebiets" in outside.reason
    # a polygon layer in another CRS works as well
    layer = gpd.GeoDataFrame(geometry=[box], crs="EPSG:4326").to_crs("EPSG:25833")
    assert place(geocoder, "Hedwigstraße 9", area=layer).quality == "not_found"
    assert place(geocoder, "Eisenbahnstraße 31", area=layer).quality == "exact"


# -- sources ---------------------------------------------------------------------------------------


def test_official_house_coordinates_csv(geocoder):
    official = OfflineGeocoder.from_files(CSV)  # Windows-1252, ';', decimal comma, Rechtswert/Hochwert
    result = place(official, "Eisenbahnstraße 31")
    assert result.quality == "exact" and near(result, BX + 186, BY + 20)
    assert place(official, "Eisenbahnstraße 40b").quality == "exact"  # number + Zusatz column
    assert official.notes == ("hauskoordinaten.csv: 1 Adressen ohne lesbare Koordinaten nicht verwendet.",)
    # the same address from both sources is one place
    both = OfflineGeocoder.from_files([OSM, CSV])
    twice = place(both, "Eisenbahnstraße 31")
    assert twice.quality == "exact" and twice.uncertainty_m == pytest.approx(0.0, abs=0.05)


def test_geojson_buildings_with_osm_tags():
    g = OfflineGeocoder.from_files(GEOJSON)  # as the yearly snapshots: addr:* as properties, polygons
    assert len(g.addresses) == 3  # the building without address is left out
    result = place(g, "Hedwigstraße 20")
    assert result.quality == "exact" and near(result, BX + 290, BY + 200 + 160, tol=0.1)
    assert set(g.addresses["street"]) == {"Hedwigstraße"}  # "Hedwigstr." tidied


def test_coordinates_in_another_crs_are_refused_with_a_hint(tmp_path):
    path = tmp_path / "gk4.csv"
    path.write_text("Straße;Hausnummer;x;y\nEisenbahnstraße;31;4530000,0;5690000,0\n", encoding="utf-8")
    with pytest.raises(InputError, match="außerhalb Leipzigs.*EPSG:25833.*Koordinatensystem angeben"):
        OfflineGeocoder.from_files(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fehlt.osm", None, "Adressdatei nicht gefunden"),
        ("liste.pdf", "x", "unbekanntes Dateiformat"),
        ("ohne.csv", "Name;Wert\na;1\n", "keine Spalten für Straße und Hausnummer"),
        ("ohnexy.csv", "Straße;Hausnummer\nA-Straße;1\n", "keine Koordinatenspalten"),
        ("kaputt.osm", "<osm><node", "keine lesbare OSM-XML-Datei"),
    ],
)
def test_bad_address_files_give_a_german_message(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        OfflineGeocoder.from_files(path)
    with pytest.raises(InputError, match="Keine Adressdatei"):
        OfflineGeocoder.from_files([])


# -- surface ---------------------------------------------------------------------------------------


def test_geocode_many_and_the_protocol(geocoder):
    assert isinstance(geocoder, Geocoder)
    queries = [
        AddressQuery("Eisenbahnstraße", "31"),
        AddressQuery("Xyzweg", "1"),
        AddressQuery("Eisenbahnstraße", "31"),
    ]
    results = geocoder.geocode_many(queries)
    assert [r.quality for r in results] == ["exact", "not_found", "exact"]
    data = results[0].to_dict()
    assert {
        "lon",
        "lat",
        "method",
        "quality",
        "quality_label",
        "matched",
        "score",
        "uncertainty_m",
        "reason",
    } <= set(data)
    assert data["quality_label"] == QUALITY_LABELS["exact"]
    assert set(QUALITY_LABELS) == set(QUALITIES)


def test_address_query_from_text():
    q = AddressQuery.from_text("Torgauer Str.  74c, 04318 Leipzig")
    assert (q.street, q.housenumber, q.postcode) == ("Torgauer Straße", "74c", "04318")
    assert AddressQuery.from_text("Neustädter Markt").housenumber is None
    with pytest.raises(InputError, match="nennt keine Straße"):
        AddressQuery.from_text("  ")


def test_geocode_frame_aligns_results_with_rows(geocoder):
    frame = pd.DataFrame(
        {
            "Straße": ["Eisenbahnstraße", None, "Hedwigstraße", "Eisenbahnstraße"],
            "Nr": ["31", "5", "7", "31"],
        },
        index=[10, 11, 12, 13],
    )
    out = geocode_frame(frame, geocoder, street="Straße", housenumber="Nr", postcode="PLZ")
    assert list(out.index) == [10, 11, 12, 13]
    assert out["geocode_quality"].tolist() == ["exact", "not_found", "interpolated", "exact"]
    assert out["lon"].notna().tolist() == [True, False, True, True]
    assert out.loc[11, "geocode_reason"] == "keine Straße angegeben"
    assert (out["geocode_method"] == "offline").all()
    # missing stays missing, never the text "None" or "nan"
    assert pd.isna(out.loc[11, "geocode_matched"]) and pd.isna(out.loc[11, "lat"])
    assert not out[["geocode_matched", "geocode_reason"]].isin(["nan", "None", "NaT"]).any().any()


def test_review_units_lists_inexact_places_worst_first():
    units = pd.DataFrame(
        {
            "unit_id": ["A", "B", "C", "D"],
            "street": ["S"] * 4,
            "housenumber": ["1", "2", "3", "4"],
            "postcode": [None] * 4,
            "geocode_method": ["offline", None, "nominatim", "offline"],
            "geocode_quality": ["fuzzy_number", None, "street_only", "exact"],
        }
    )
    out = review_units(units)
    assert out["unit_id"].tolist() == ["C", "A"]
    assert out["quality_label"].tolist() == [QUALITY_LABELS["street_only"], QUALITY_LABELS["fuzzy_number"]]
    assert review_units(units.drop(columns=["geocode_method", "geocode_quality"])).empty
