"""OpenStreetMap loaders: online via a local stub server, cached, offline, and from files.

Nothing here reaches the internet: osmnx talks to :mod:`tests.osm_stub` on
127.0.0.1 (or to a closed local port for "offline").
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from geo.errors import InputError
from geo.osm import download as osm
from geo.osm.classify import AMENITY_CLASSES, BUSINESS_TAGS, OFFICE_CLASSES, SHOP_CLASSES, classify_tags
from geo.osm.features import BUSINESS_COLUMNS, STREET_COLUMNS
from geo.osm.files import (
    load_buildings,
    load_businesses,
    load_businesses_upload,
    load_streets,
    load_walk_network,
)
from geo.places.areas import assign_areas, official_boundaries
from geo.register.model import USE_CLASSES
from geo.register.store import ChangeSet, GeoPackageStore, open_store
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

pytest_plugins = ["tests.osm_stub"]  # fixtures osm_stub, osmnx_offline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "osm"

ROOT = Path(__file__).resolve().parents[2]
AREA = box(12.398, 51.343, 12.406, 51.347)  # around the fixture's businesses
DATA_DATE = pd.Timestamp("2025-06-30 10:41:00")
OFFLINE_END = "und es liegt noch kein Zwischenstand vor; die App arbeitet mit dem Register weiter."

#: (osm_type, osm_id, name, use_class, osm_tag, disused) of the recorded businesses.
EXPECTED = [
    ("node", 1001, "Bäckerei Sonnenschein", "food", "shop=bakery", False),
    ("node", 1002, "Restaurant Aleppo", "food", "amenity=restaurant", False),
    ("node", 1003, "Friseur Schnittpunkt", "services", "shop=hairdresser", False),
    ("node", 1004, "Apotheke Lindwurm", "health", "healthcare=pharmacy", False),
    ("node", 1005, "Steuerbüro Beispiel & Partner", "office", "office=tax_advisor", False),
    ("node", 1006, "Tischlerei Holzwurm", "craft", "craft=carpenter", False),
    ("node", 1007, None, "other", "shop=vacant", True),
    ("node", 1008, None, "retail", "disused:shop=convenience", True),
    ("node", 1009, "Handyladen Connect", "retail", "shop=mobile_phone", True),
    ("node", 1010, "Kulturverein Brücke e. V.", "culture_social", "office=association", False),
    ("node", 1011, "Physiotherapie Bewegt", "health", "healthcare=physiotherapist", False),
    ("node", 1012, "Sparkasse Leipzig", "services", "amenity=bank", False),
    ("node", 1013, "Wettbüro Anstoß", "other", "shop=bookmaker", False),
    ("node", 1014, "Döner Haus Antep", "food", "amenity=fast_food", False),
    ("way", 2001, "Markt Sham", "retail", "shop=supermarket", False),
]


def rows(frame: pd.DataFrame) -> list[tuple]:
    cols = ["osm_type", "osm_id", "name", "use_class", "osm_tag", "disused"]
    return [
        tuple(None if (isinstance(v, float) and pd.isna(v)) else v for v in r)
        for r in frame[cols].astype(object).itertuples(index=False, name=None)
    ]


# -- classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"shop": "bakery"}, ("food", "shop=bakery", False)),
        ({"shop": "convenience"}, ("retail", "shop=convenience", False)),
        ({"shop": "hairdresser"}, ("services", "shop=hairdresser", False)),
        ({"shop": "car_repair"}, ("craft", "shop=car_repair", False)),
        ({"shop": "optician"}, ("health", "shop=optician", False)),
        ({"shop": "vacant"}, ("other", "shop=vacant", True)),
        ({"amenity": "cafe", "shop": "bakery"}, ("food", "amenity=cafe", False)),
        ({"amenity": "pharmacy", "healthcare": "pharmacy"}, ("health", "healthcare=pharmacy", False)),
        ({"amenity": "fuel"}, ("retail", "amenity=fuel", False)),
        ({"amenity": "bench", "craft": "tailor"}, ("craft", "craft=tailor", False)),
        ({"office": "lawyer"}, ("office", "office=lawyer", False)),
        ({"office": "government"}, ("other", "office=government", False)),
        ({"disused:shop": "butcher"}, ("retail", "disused:shop=butcher", True)),
        ({"disused:shop": "butcher", "shop": "bakery"}, ("food", "shop=bakery", False)),
        ({"shop": "florist", "vacant": "yes"}, ("retail", "shop=florist", True)),
        ({"shop": float("nan"), "office": "it"}, ("office", "office=it", False)),
    ],
)
def test_classification_table(tags, expected):
    assert classify_tags(tags) == expected


def test_business_query_contains_the_commercial_amenities_and_vacancy_tags():
    assert BUSINESS_TAGS["shop"] is True and BUSINESS_TAGS["vacant"] == "yes"
    assert BUSINESS_TAGS["disused:shop"] is True
    assert {"restaurant", "pharmacy", "bank", "fuel", "doctors"} <= set(BUSINESS_TAGS["amenity"])
    assert "bench" not in BUSINESS_TAGS["amenity"]
    classes = {*AMENITY_CLASSES.values(), *SHOP_CLASSES.values(), *OFFICE_CLASSES.values()}
    assert classes <= set(USE_CLASSES)


# -- online via the stub ----------------------------------------------------------------------


def test_fetch_businesses_via_stub(osm_stub):
    table = osm.fetch_businesses(AREA, area_name="Testviertel")
    frame = table.frame
    assert rows(frame) == EXPECTED
    assert list(frame.columns) == [*BUSINESS_COLUMNS, "geometry"]
    assert frame.crs.to_epsg() == 4326 and set(frame.geom_type) == {"Point"}
    assert (frame["data_date"] == DATA_DATE).all()
    assert table.date_source == "overpass" and table.from_cache is False and table.notice is None
    assert table.data_date == DATA_DATE and table.file is None and table.fetched_at is not None
    assert frame.attrs == {}  # no metadata rides in DataFrame.attrs
    bakery = frame.iloc[0]
    assert (bakery["street"], bakery["housenumber"], bakery["postcode"]) == ("Eisenbahnstraße", "12", "04315")
    assert json.loads(frame.loc[frame["osm_id"] == 1009, "osm_tags"].iloc[0]) == {
        "shop": "mobile_phone",
        "vacant": "yes",
    }
    # the supermarket footprint became a point inside it
    market = frame.loc[frame["osm_id"] == 2001].geometry.iloc[0]
    assert box(12.4, 51.3436, 12.4008, 51.3442).contains(market)
    queries = osm_stub.interpreter_requests()
    assert len(queries) == 1
    assert "'disused:shop'" in queries[0].query and "['vacant'='yes']" in queries[0].query
    assert "['amenity'='restaurant']" in queries[0].query
    assert "Datenstand laut Overpass: 30.06.2025 10:41 UTC" in osm.source_note(table)
    assert osm.ATTRIBUTION in osm.source_note(table)


def test_second_fetch_works_without_the_server(osm_stub):
    first = osm.fetch_businesses(AREA, area_name="Testviertel")
    osm_stub.stop()
    # osmnx answers the same query from its cache
    again = osm.fetch_businesses(AREA, area_name="Testviertel")
    assert_frame_equal(again.frame, first.frame)
    assert again.from_cache is False
    # asking Overpass anew fails: our saved result is used, with a notice
    refreshed = osm.fetch_businesses(AREA, area_name="Testviertel", refresh=True)
    assert_frame_equal(refreshed.frame, first.frame)
    assert refreshed.from_cache is True and refreshed.data_date == DATA_DATE
    assert refreshed.notice.startswith("OpenStreetMap ist nicht erreichbar (keine Verbindung zu 127.0.0.1:")
    assert "Zwischenstand vom 30.06.2025" in refreshed.notice
    assert "gespeicherter Zwischenstand" in osm.source_note(refreshed)
    # the failed refresh left osmnx's cache in place
    assert osm.fetch_businesses(AREA, area_name="Testviertel").from_cache is False
    saved = osm.cached_businesses("Testviertel")
    assert_frame_equal(saved.frame, first.frame)
    assert saved.data_date == DATA_DATE and saved.from_cache and saved.date_source == "overpass"
    assert osm.cached_businesses("testviertel") is not None  # the key ignores spelling variants
    assert osm.cached_businesses("Anderswo") is None
    assert len(osm_stub.interpreter_requests()) == 1


def test_refresh_asks_overpass_again_and_the_fetch_time_stands_in_for_a_missing_date(osm_stub):
    osm.fetch_businesses(AREA, area_name="Testviertel")
    osm.fetch_businesses(AREA, area_name="Testviertel")
    assert len(osm_stub.interpreter_requests()) == 1  # osmnx's cache
    del osm_stub.overpass["businesses"]["osm3s"]
    before = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    table = osm.fetch_businesses(AREA, area_name="Testviertel", refresh=True)
    assert len(osm_stub.interpreter_requests()) == 2
    assert table.date_source == "fetch_time" and table.frame["data_date"].iloc[0] >= before
    assert table.data_date == table.frame["data_date"].iloc[0]
    assert "Abrufzeitpunkt" in osm.source_note(table)
    assert osm.cached_businesses("Testviertel").data_date >= before


def test_offline_without_saved_result_raises_a_clear_message(osmnx_offline):
    with pytest.raises(osm.OSMUnavailable) as err:
        osm.fetch_businesses(AREA, area_name="Testviertel")
    message = str(err.value)
    assert message.startswith("OpenStreetMap ist nicht erreichbar (keine Verbindung zu 127.0.0.1:")
    assert message.endswith(OFFLINE_END)
    with pytest.raises(osm.OSMUnavailable):
        osm.fetch_businesses(AREA, cache=False)
    assert not list(osmnx_offline.glob("*.gpkg"))


def test_without_cache_nothing_is_saved(osm_stub):
    table = osm.fetch_businesses(AREA, area_name="Testviertel", cache=False)
    assert rows(table.frame) == EXPECTED and table.date_source == "overpass"
    assert osm.cached_businesses("Testviertel") is None


def test_area_without_businesses_gives_an_empty_table(osm_stub):
    osm_stub.overpass["businesses"] = {**osm_stub.overpass["businesses"], "elements": []}
    frame = osm.fetch_businesses(AREA, area_name="Leer").frame
    assert frame.empty and list(frame.columns) == [*BUSINESS_COLUMNS, "geometry"]
    saved = osm.cached_businesses("Leer")
    assert saved.frame.empty and saved.data_date == DATA_DATE


def test_area_without_streets_gives_an_empty_network(osm_stub):
    osm_stub.overpass["walk"] = {**osm_stub.overpass["walk"], "elements": []}
    graph = osm.fetch_walk_network(AREA, area_name="Leer")
    assert graph.number_of_edges() == 0 and graph.graph["data_date"] == DATA_DATE.isoformat()
    streets = osm.fetch_streets(AREA, area_name="Leer").frame
    assert streets.empty and list(streets.columns) == [*STREET_COLUMNS, "geometry"]


def test_buildings_streets_and_walk_network_via_stub(osm_stub):
    buildings = osm.fetch_buildings(AREA, area_name="Testviertel").frame
    assert list(buildings["osm_id"]) == [5001, 5002, 5003]
    assert list(buildings["building"]) == ["apartments", "retail", "yes"]
    assert buildings.loc[1, "shop"] == "supermarket" and buildings.loc[0, "levels"] == "5"
    assert set(buildings.geom_type) == {"Polygon"} and (buildings["data_date"] == DATA_DATE).all()

    graph = osm.fetch_walk_network(AREA, area_name="Testviertel")
    assert isinstance(graph, nx.MultiDiGraph) and graph.number_of_edges() > 0
    assert str(graph.graph["crs"]).upper().endswith("25833")
    assert graph.graph["data_date"] == DATA_DATE.isoformat()
    street_table = osm.fetch_streets(AREA, area_name="Testviertel")
    assert street_table.data_date == DATA_DATE and street_table.date_source == "overpass"
    assert street_table.from_cache is False
    streets = street_table.frame
    assert {7001, 7002, 7003, 7005} <= set(streets["osm_id"])
    # osmnx merges the corner segments of the small grid: their names are joined
    assert {"Hermann-Liebmann-Straße", "Eisenbahnstraße; Querstraße 0"} <= set(streets["name"].dropna())
    assert (streets["length_m"] > 0).all() and streets.crs.to_epsg() == 4326
    assert len(osm_stub.interpreter_requests()) == 2  # streets come from the cached network

    osm_stub.stop()
    offline = osm.fetch_buildings(AREA, area_name="Testviertel", refresh=True)
    assert offline.from_cache and offline.notice and offline.data_date == DATA_DATE
    assert_frame_equal(offline.frame, buildings)
    assert osm.cached_buildings("Testviertel").data_date == DATA_DATE
    saved = osm.cached_streets("Testviertel")
    assert saved.from_cache and saved.data_date == DATA_DATE
    saved = saved.frame
    assert_frame_equal(saved.drop(columns="geometry"), streets.drop(columns="geometry"))


def test_geocoding_via_the_stub_nominatim(osm_stub):
    polygon = osm.geocode_area("Testviertel, Leipzig")
    assert polygon.contains(box(12.399, 51.344, 12.405, 51.346))
    assert any(r.path.endswith("/search") and r.query == "Testviertel, Leipzig" for r in osm_stub.requests)


# -- files ------------------------------------------------------------------------------------


def test_osm_xml_file_gives_the_same_table_as_the_stub(osm_stub):
    online = osm.fetch_businesses(AREA, area_name="Testviertel").frame
    from_file = load_businesses(FIXTURES / "businesses.osm")
    # bench, crossing, community centre and vacant=no are left out
    assert_frame_equal(from_file.frame, online)
    assert from_file.date_source == "file" and from_file.file == "businesses.osm"
    assert from_file.data_date == DATA_DATE and not from_file.from_cache and from_file.fetched_at is None
    assert osm.source_note(from_file) == (
        f"Datenstand laut Datei: 30.06.2025 10:41 UTC · Datei businesses.osm · {osm.ATTRIBUTION}"
    )


def test_geojson_and_geopackage_files(tmp_path):
    reference = load_businesses(FIXTURES / "businesses.osm").frame
    turbo = load_businesses(FIXTURES / "businesses-turbo.geojson").frame
    assert_frame_equal(turbo, reference)

    # our own tables written as GeoPackage and GeoJSON read back unchanged
    reference.to_file(tmp_path / "betriebe.gpkg", layer="betriebe", driver="GPKG")
    reference.to_file(tmp_path / "betriebe.geojson", driver="GeoJSON")
    assert_frame_equal(load_businesses(tmp_path / "betriebe.gpkg", layer="betriebe").frame, reference)
    assert_frame_equal(load_businesses(tmp_path / "betriebe.geojson").frame, reference)

    # a GeoPackage with raw tags and osm_type/osm_id columns (as QGIS/QuickOSM writes them)
    raw = gpd.read_file(FIXTURES / "businesses-turbo.geojson")
    raw["osm_type"] = raw["@id"].str.split("/").str[0]
    raw["osm_id"] = raw["@id"].str.split("/").str[1].astype("int64")
    raw.drop(columns=["@id", "id"], errors="ignore").to_file(tmp_path / "roh.gpkg", driver="GPKG")
    loaded = load_businesses(tmp_path / "roh.gpkg")
    assert loaded.date_source == "file_time" and loaded.file == "roh.gpkg"
    assert "Änderungszeit der Datei" in osm.source_note(loaded)
    loaded = loaded.frame
    assert_frame_equal(loaded.drop(columns="data_date"), reference.drop(columns="data_date"))

    clipped = load_businesses(
        FIXTURES / "businesses.osm", polygon=box(12.3995, 51.3445, 12.4015, 51.3455)
    ).frame
    assert list(clipped["osm_id"]) == [1001, 1002, 1003]


def test_uploaded_bytes_are_read_like_the_file():
    data = (FIXTURES / "businesses-turbo.geojson").read_bytes()
    assert_frame_equal(
        load_businesses_upload(data, "export.geojson").frame,
        load_businesses(FIXTURES / "businesses.osm").frame,
    )


def test_bad_files_are_refused_with_a_message(tmp_path):
    with pytest.raises(InputError, match="nicht gefunden"):
        load_businesses(tmp_path / "fehlt.osm")
    (tmp_path / "kaputt.osm").write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(InputError, match="keine lesbare OSM-XML-Datei"):
        load_businesses(tmp_path / "kaputt.osm")
    (tmp_path / "liste.csv").write_text("a;b\n", encoding="utf-8")
    with pytest.raises(InputError, match="unbekanntes Dateiformat"):
        load_businesses(tmp_path / "liste.csv")
    gpd.GeoDataFrame({"shop": ["bakery"]}, geometry=gpd.points_from_xy([12.4], [51.34]), crs=4326).to_file(
        tmp_path / "ohne-id.geojson", driver="GeoJSON"
    )
    with pytest.raises(InputError, match="keine OSM-Kennung"):
        load_businesses(tmp_path / "ohne-id.geojson")


def test_area_polygon_from_boundaries():
    boundaries = official_boundaries()
    name, poly = osm.area_polygon(boundaries, ortsteil="Gruenau-Mitte")
    assert name == "Gruenau-Mitte" and poly.equals(
        boundaries.loc[boundaries["name"] == "Grünau-Mitte"].geometry.iloc[0]
    )
    name, poly = osm.area_polygon(boundaries, quarter="Leipziger Osten")
    assert poly.area > osm.area_polygon(boundaries, ortsteil="Volkmarsdorf")[1].area
    assert osm.area_polygon(boundaries)[0] == "Alle Quartiere"
    with pytest.raises(InputError, match="nicht zu finden"):
        osm.area_polygon(boundaries, ortsteil="Connewitz")


# -- the app page ---------------------------------------------------------------------------


def page_store(path: Path) -> Path:
    """A small register near the fixture's businesses: one match, one vacant, one occupied unit."""
    units = make_units(
        [
            {
                "unit_id": "E-12",
                "street": "Eisenbahnstraße",
                "housenumber": "12",
                "lon": 12.40001,
                "lat": 51.34502,
            },
            {
                "unit_id": "E-14",
                "street": "Eisenbahnstraße",
                "housenumber": "14",
                "lon": 12.40061,
                "lat": 51.34501,
            },
            {
                "unit_id": "E-24",
                "street": "Eisenbahnstraße",
                "housenumber": "24",
                "lon": 12.40362,
                "lat": 51.34502,
            },
        ]
    )
    obs = make_observations(
        [
            ("E-12", "2024-03-01", "occupied", "Bäckerei Sonnenschein"),
            ("E-14", "2024-03-01", "vacant"),
            ("E-24", "2024-03-01", "occupied", "Imbiss Eck"),
        ]
    )
    store = GeoPackageStore.create(path)
    store.write(
        ChangeSet(
            boundaries=official_boundaries(),
            new_units=assign_areas(units, official_boundaries()),
            observations=obs.drop(columns="obs_id"),
        )
    )
    return path


def page(store: Path) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "osm.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    at.query_params["ortsteil"] = "Neustadt-Neuschönefeld"
    return at


def test_page_offline_shows_the_message_and_keeps_working(osmnx_offline, tmp_path):
    at = page(page_store(tmp_path / "register.gpkg"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("noch kein Zwischenstand" in i.value for i in at.info)
    next(b for b in at.button if b.label == "OSM-Daten abrufen").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("OpenStreetMap ist nicht erreichbar (")
    assert errors[0].endswith(OFFLINE_END)
    assert at.title[0].value == "OpenStreetMap"


def test_page_fetches_lists_and_takes_rows_over(osm_stub, tmp_path):
    store_path = page_store(tmp_path / "register.gpkg")
    at = page(store_path)
    at.run()
    next(b for b in at.button if b.label == "OSM-Daten abrufen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception] + [e.value for e in at.error]
    headers = [s.value for s in at.subheader]
    assert "Im Register leer, in OpenStreetMap ein Betrieb (1)" in headers
    assert "Im Register genutzt, in OpenStreetMap leer/aufgegeben (1)" in headers
    assert "In OpenStreetMap, aber nicht im Register (12)" in headers
    assert any("Datenstand laut Overpass: 30.06.2025" in c.value for c in at.caption)
    # the result was saved: a new session shows it without going online
    osm_stub.stop()
    at = page(store_path)
    at.session_state["osm_edit_vacant_but_osm_business"] = {
        "edited_rows": {0: {"Übernehmen": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception and not at.error
    apply = next(b for b in at.button if b.label.startswith("Als Beobachtungen übernehmen"))
    assert apply.label == "Als Beobachtungen übernehmen (1)"
    apply.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("1 Beobachtungen übernommen" in s.value for s in at.success)
    last = open_store(store_path).read().observations.iloc[-1]
    assert (last["unit_id"], last["status"], last["business_name"]) == (
        "E-14",
        "occupied",
        "Restaurant Aleppo",
    )
    assert last["source"] == "OpenStreetMap (Stand 30.06.2025)" and last["confidence"] == "reported"
    # the lists are recomputed and no tick is left over
    assert "Im Register leer, in OpenStreetMap ein Betrieb (0)" in [s.value for s in at.subheader]
    assert next(b for b in at.button if b.label.startswith("Als Beobachtungen")).label.endswith("(0)")


def test_page_reads_an_uploaded_file_without_internet(osmnx_offline, tmp_path):
    at = page(page_store(tmp_path / "register.gpkg"))
    at.run()
    at.radio(key="osm_source").set_value("file").run()
    upload = (FIXTURES / "businesses.osm").read_bytes()
    at.get("file_uploader")[0].set_value(("betriebe.osm", upload, "application/xml")).run()
    assert not at.exception and not at.error, [e.value for e in at.exception] + [e.value for e in at.error]
    assert any(
        "Datenstand laut Datei: 30.06.2025" in c.value and "betriebe.osm" in c.value for c in at.caption
    )
    assert "In OpenStreetMap, aber nicht im Register (12)" in [s.value for s in at.subheader]


def test_fixture_files_are_small_and_hand_made():
    for path in FIXTURES.iterdir():
        assert path.stat().st_size < 20_000, path


# -- real building extracts (skipped without ../shared/data/leipzig) -------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("ortsteil", ["Volkmarsdorf", "Gruenau-Mitte"])
def test_real_building_extract_as_a_local_file(shared_data, ortsteil):
    path = shared_data / "osm-buildings" / f"{ortsteil}-2025-buildings.geojson"
    raw = gpd.read_file(path)
    loaded = load_buildings(path)
    buildings = loaded.frame
    has_building = raw["building"].notna() & raw.geom_type.isin(["Polygon", "MultiPolygon"])
    assert sorted(buildings["osm_id"]) == sorted(raw.loc[has_building, "id"].astype("int64"))
    assert set(buildings["osm_type"]) == {"way"}
    newest = pd.to_datetime(raw["timestamp"].astype("int64").max(), unit="ms").floor("s")
    assert loaded.date_source == "file" and (buildings["data_date"] == newest).all()

    businesses = load_businesses(path).frame

    def has(key: str, values: set[str] | None = None) -> pd.Series:
        if key not in raw.columns:
            return pd.Series(False, index=raw.index)
        col = raw[key].astype("str")
        return col.isin(values) if values is not None else col.notna() & (col.str.strip() != "")

    wanted = (
        has("shop") | has("office") | has("craft") | has("healthcare") | has("disused:shop")
        | has("amenity", set(AMENITY_CLASSES)) | has("vacant", {"yes"})
    )  # fmt: skip
    assert sorted(businesses["osm_id"]) == sorted(raw.loc[wanted, "id"].astype("int64"))
    assert set(businesses["use_class"]) <= set(USE_CLASSES)
    assert set(businesses.geom_type) <= {"Point"}


def test_walk_network_and_streets_from_local_files(tmp_path):
    from geo.osm._synthetic import write_osm

    nodes = {1: (12.400, 51.345), 2: (12.401, 51.345), 3: (12.402, 51.345), 4: (12.401, 51.346)}
    ways = [
        ([1, 2, 3], {"highway": "residential", "name": "Eisenbahnstraße"}),
        ([2, 4], {"highway": "footway"}),
    ]
    path = write_osm(tmp_path / "netz.osm", nodes, ways)
    graph = load_walk_network(path)
    assert str(graph.graph["crs"]).upper().endswith("25833") and graph.number_of_edges() > 0
    streets = load_streets(path)
    assert sorted(streets["name"].dropna()) == ["Eisenbahnstraße", "Eisenbahnstraße"]
    assert streets["length_m"].sum() == pytest.approx(2 * 69.7 + 111.2, abs=1.0)
    streets.to_file(tmp_path / "strassen.gpkg", driver="GPKG")
    again = load_streets(tmp_path / "strassen.gpkg")
    assert_frame_equal(again.drop(columns="data_date"), streets.drop(columns="data_date"), check_exact=False)
