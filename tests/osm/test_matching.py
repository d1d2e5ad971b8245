"""Register units matched to OSM businesses: exact lists on synthetic data, observations, atomic writes."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geo import settings
from geo.errors import InputError, StoreError
from geo.osm import download as osm
from geo.osm import matching
from geo.osm.classify import classify_tags
from geo.osm.features import BUSINESS_COLUMNS
from geo.osm.takeover import apply_to_register, to_observations, units_from_osm
from geo.outputs import osm_maps
from geo.places.areas import assign_areas, official_boundaries
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS
from geo.register.stats import status_at
from geo.register.store import ChangeSet, GeoPackageStore, open_store
from tests.conftest import make_register

#: Origin of the synthetic scene (Eisenbahnstraße) in EPSG:25833; offsets are in metres.
TO_METRIC = Transformer.from_crs("EPSG:4326", settings.metric_crs, always_xy=True)
TO_LONLAT = Transformer.from_crs(settings.metric_crs, "EPSG:4326", always_xy=True)
X0, Y0 = TO_METRIC.transform(12.4040, 51.3455)
STAND = pd.Timestamp("2025-06-30 10:41:00")
TODAY = date(2025, 7, 15)


def lonlat(dx: float, dy: float = 0.0) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


def unit(unit_id: str, dx: float, dy: float = 0.0, **extra) -> dict:
    lon, lat = lonlat(dx, dy)
    return {
        "unit_id": unit_id,
        "street": "Eisenbahnstraße",
        "housenumber": unit_id[1:],
        "lon": lon,
        "lat": lat,
        **extra,
    }


def business(osm_id: int, dx: float, dy: float = 0.0, *, osm_type: str = "node", **tags) -> dict:
    return {"osm_type": osm_type, "osm_id": osm_id, "dx": dx, "dy": dy, **tags}


def osm_frame(features: list[dict]) -> gpd.GeoDataFrame:
    """OSM businesses as geo.osm.download returns them, from tags (classified by geo.osm.download)."""
    records, geoms = [], []
    for f in features:
        tags = {k: v for k, v in f.items() if k not in ("osm_type", "osm_id", "dx", "dy")}
        use_class, tag, disused = classify_tags(tags)
        records.append(
            {
                "osm_type": f["osm_type"], "osm_id": f["osm_id"], "name": tags.get("name"),
                "use_class": use_class, "osm_tag": tag, "osm_tags": "{}", "disused": disused,
                "street": tags.get("addr:street"), "housenumber": tags.get("addr:housenumber"),
                "postcode": tags.get("addr:postcode"), "data_date": STAND,
            }
        )  # fmt: skip
        geoms.append(gpd.points_from_xy([lonlat(f["dx"], f["dy"])[0]], [lonlat(f["dx"], f["dy"])[1]])[0])
    frame = pd.DataFrame.from_records(records, columns=list(BUSINESS_COLUMNS))
    for col, dtype in BUSINESS_COLUMNS.items():
        frame[col] = frame[col].astype(dtype)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def keys(frame: pd.DataFrame) -> list[str]:
    return [f"{t}/{i}" for t, i in zip(frame["osm_type"], frame["osm_id"], strict=True)]


def plain(frame: pd.DataFrame) -> list[list]:
    """Rows as lists, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def pairs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return [
        (u, f"{t}/{i}") for u, t, i in zip(frame["unit_id"], frame["osm_type"], frame["osm_id"], strict=True)
    ]


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Bäckerei Müller", "BAECKEREI MUELLER", True),
        ("Café Kiezperle", "cafe kiezperle", True),
        ("Kulturverein Brücke e. V.", "Kulturverein Bruecke", True),
        ("Steuerbüro Beispiel & Partner GmbH", "Steuerbüro Beispiel und Partner", True),
        ("Friseur Schnitt", "Friseursalon Schnitt", True),
        ("Kiosk", "Kiosk am Eck", True),
        ("Bäckerei Sonne", "Bäckerei Mond", False),
        ("Imbiss Eck", "Imbiss Saigon", False),
        ("Nähstube Faden", "Copyshop Blatt", False),
    ],
)
def test_name_similarity(a, b, same):
    assert (matching.name_similarity(a, b) >= settings.osm_name_threshold) is same
    assert np.isnan(matching.name_similarity(a, None))


def test_normalised_names():
    assert matching.normalise_business_name("BÄCKEREI Sonnenschein GmbH") == "baeckerei sonnenschein"
    assert matching.normalise_business_name("Mo's Kiosk") == "mo kiosk"
    assert matching.normalise_business_name(None) == ""


# -- the three lists -------------------------------------------------------------------------


@pytest.fixture
def scene():
    """A register and OSM features with one case per rule (positions in metres along a street)."""
    register = make_register(
        [
            unit("E10", 0),  # occupied, same name 29.5 m away -> matched
            unit("E20", 200),  # occupied, same name 30.5 m away -> not matched
            unit("E30", 400),  # occupied "Nähstube Faden", OSM "Copyshop Blatt" 5 m away -> different
            unit("E40", 600),  # vacant, OSM shop 12 m away -> vacant_but_osm_business
            unit("E41", 608),  # probably vacant, two OSM businesses near -> one of them
            unit("E50", 800),  # occupied, OSM shop=vacant 4 m away -> occupied_but_osm_disused
            unit("E60", 1000),  # occupied "Baeckerei Mueller", OSM "BÄCKEREI MÜLLER" -> matched
            unit("E70", 1200),  # demolished: takes no part
            unit("E80", 1400),  # registered only after the comparison date
            unit("E90", 1600),  # unknown status, OSM shop 3 m away -> matched, no list
        ],
        [
            ("E10", "2023-01-01", "occupied", "Bäckerei Sonne"),
            ("E20", "2023-01-01", "occupied", "Friseur Schnitt"),
            ("E30", "2023-01-01", "occupied", "Nähstube Faden"),
            ("E40", "2023-01-01", "occupied", "Blumen Rosa"),
            ("E40", "2024-02-01", "vacant"),
            ("E41", "2024-03-01", "probably_vacant"),
            ("E50", "2023-01-01", "occupied", "Imbiss Eck"),
            ("E60", "2023-01-01", "occupied", "Baeckerei Mueller"),
            ("E70", "2023-01-01", "demolished"),
            ("E80", "2025-09-01", "vacant"),
            ("E90", "2023-01-01", "unknown"),
        ],
    )
    features = osm_frame(
        [
            business(1, 29.5, shop="bakery", name="Bäckerei Sonne"),
            business(2, 230.5, shop="hairdresser", name="Friseur Schnitt"),
            business(3, 405, shop="copyshop", name="Copyshop Blatt"),
            business(4, 612, shop="florist", name="Blumenladen Lilie"),
            business(5, 606, amenity="cafe", name="Café Kiezperle"),
            business(6, 804, shop="vacant"),
            business(7, 1001, shop="bakery", name="BÄCKEREI MÜLLER"),
            business(8, 1203, shop="kiosk", name="Kiosk Mitte"),
            business(9, 1402, shop="convenience", name="Späti Ost"),
            business(10, 1603, office="lawyer"),
            business(
                11,
                3000,
                **{"disused:shop": "butcher", "addr:street": "Torgauer Straße", "addr:housenumber": "5"},
            ),
        ]
    )
    return register, features


def test_lists_are_exact(scene):
    register, features = scene
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    assert pairs(result.matches.sort_values("unit_id")) == [
        ("E10", "node/1"), ("E40", "node/5"), ("E41", "node/4"), ("E50", "node/6"), ("E60", "node/7"),
        ("E90", "node/10"),
    ]  # fmt: skip
    missing = result.osm_missing_in_register
    assert sorted(keys(missing)) == ["node/11", "node/2", "node/3", "node/8", "node/9"]
    assert pairs(result.vacant_but_osm_business) == [("E40", "node/5"), ("E41", "node/4")]
    assert pairs(result.occupied_but_osm_disused) == [("E50", "node/6")]
    for kind, frame in result.lists().items():
        assert list(frame.columns) == [*matching.LIST_COLUMNS, "geometry"], kind
        assert (frame["kind"] == kind).all() and frame.crs.to_epsg() == 4326
        assert frame.index.is_unique

    by_key = {k: r for k, r in zip(keys(missing), missing.to_dict("records"), strict=True)}
    # different names 5 m apart: listed, with the nearest unit for orientation
    assert by_key["node/3"]["unit_id"] == "E30" and by_key["node/3"]["distance_m"] == pytest.approx(
        5, abs=0.1
    )
    assert "Nächste Einheit: E30 (5 m, genutzt, „Nähstube Faden“)" in by_key["node/3"]["reason"]
    # just outside the tolerance: no nearby unit at all
    assert pd.isna(by_key["node/2"]["unit_id"]) and pd.isna(by_key["node/2"]["distance_m"])
    assert by_key["node/2"]["reason"] == (
        "Dienstleistung: „Friseur Schnitt“ (shop=hairdresser) ist in OpenStreetMap eingetragen; "
        "im Register keine passende Einheit im Umkreis von 30 m."
    )
    assert by_key["node/11"]["disused"] and by_key["node/11"]["reason"].startswith(
        "In OpenStreetMap als leer/aufgegeben markiert: disused:shop=butcher"
    )
    # demolished and not yet registered units take no part
    assert pd.isna(by_key["node/8"]["unit_id"]) and pd.isna(by_key["node/9"]["unit_id"])

    vacant = result.vacant_but_osm_business.iloc[0]
    assert vacant["unit_status"] == "vacant" and vacant["osm_name"] == "Café Kiezperle"
    assert vacant["reason"] == (
        "Im Register leer (seit 01.02.2024), in OpenStreetMap „Café Kiezperle“ (amenity=cafe) "
        "in 6 m Entfernung – beim nächsten Rundgang prüfen."
    )
    closed = result.occupied_but_osm_disused.iloc[0]
    assert closed["unit_business_name"] == "Imbiss Eck" and closed["disused"]
    assert closed["reason"].startswith(
        "Im Register genutzt („Imbiss Eck“), in OpenStreetMap als leer/aufgegeben"
    )
    # list geometry: the OSM point for missing businesses, the unit's point otherwise
    assert missing.loc[missing["osm_id"] == 3].geometry.iloc[0].x == pytest.approx(lonlat(405)[0])
    assert result.occupied_but_osm_disused.geometry.iloc[0].x == pytest.approx(lonlat(800)[0])
    assert result.data_date == STAND and result.at == pd.Timestamp("2025-07-01")


def test_one_to_one_when_shops_are_close():
    register = make_register(
        [unit("A1", 0), unit("A2", 8)],
        [
            ("A1", "2024-01-01", "occupied", "Bäckerei Sonne"),
            ("A2", "2024-01-01", "occupied", "Friseur Schnitt"),
        ],
    )
    # each OSM shop is nearer to the other unit: names decide
    features = osm_frame(
        [
            business(1, 7, shop="bakery", name="Baeckerei Sonne"),
            business(2, 1, shop="hairdresser", name="Friseur Schnitt"),
        ]
    )
    result = matching.compare_with_osm(register, features, at="2025-01-01")
    assert sorted(pairs(result.matches)) == [("A1", "node/1"), ("A2", "node/2")]
    assert all(f.empty for f in result.lists().values())

    # two unnamed shops near one vacant unit: only the nearer one matches it
    register = make_register([unit("V1", 0)], [("V1", "2024-01-01", "vacant")])
    features = osm_frame([business(1, 10, shop="kiosk"), business(2, 3, shop="florist")])
    result = matching.compare_with_osm(register, features, at="2025-01-01")
    assert pairs(result.vacant_but_osm_business) == [("V1", "node/2")]
    assert keys(result.osm_missing_in_register) == ["node/1"]
    assert result.osm_missing_in_register.iloc[0]["unit_id"] == "V1"


def test_a_confirmed_name_beats_a_nearer_unit_without_name():
    register = make_register(
        [unit("V1", 0), unit("O1", 20)],
        [("V1", "2024-01-01", "vacant"), ("O1", "2024-01-01", "occupied", "Pizzeria Da Toni")],
    )
    features = osm_frame([business(1, 2, amenity="restaurant", name="Da Toni")])
    result = matching.compare_with_osm(register, features, at="2025-01-01")
    assert pairs(result.matches) == [("O1", "node/1")]
    assert result.vacant_but_osm_business.empty


def test_tolerance_and_threshold_are_options(scene):
    register, features = scene
    wide = matching.compare_with_osm(register, features, at="2025-07-01", tolerance_m=40)
    assert "node/2" not in keys(wide.osm_missing_in_register)
    strict = matching.compare_with_osm(register, features, at="2025-07-01", name_threshold=100)
    assert ("E60", "node/7") in pairs(strict.matches)
    with pytest.raises(InputError):
        matching.compare_with_osm(register, features, tolerance_m=0)
    with pytest.raises(InputError, match="fehlen die Spalten"):
        matching.compare_with_osm(register, features.drop(columns="disused"))


def test_empty_inputs(scene):
    register, features = scene
    result = matching.compare_with_osm(register, features.iloc[0:0], at="2025-07-01")
    assert all(f.empty for f in result.lists().values()) and result.matches.empty
    empty_register = make_register([], [])
    result = matching.compare_with_osm(empty_register, features, at="2025-07-01")
    assert len(result.osm_missing_in_register) == len(features)


# -- observations and new units ---------------------------------------------------------------


def test_observations_have_the_right_statuses_and_sources(scene):
    register, features = scene
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    day = date(2025, 6, 30)
    vac = to_observations(
        result.vacant_but_osm_business, kind="vacant_but_osm_business", observed_on=day
    )
    assert list(vac.columns) == [c for c in OBSERVATION_COLUMNS if c != "obs_id"]
    assert plain(vac[["unit_id", "status", "business_name", "sector", "confidence"]]) == [
        ["E40", "occupied", "Café Kiezperle", "food", "reported"],
        ["E41", "occupied", "Blumenladen Lilie", "retail", "reported"],
    ]
    assert set(vac["source"]) == {"OpenStreetMap (Stand 30.06.2025)"}
    assert not vac["new_settlement"].any() and (vac["observed_on"] == pd.Timestamp(day)).all()
    assert vac["note"].iloc[0] == "Abgleich mit OpenStreetMap: node/5 (amenity=cafe)"

    closed = to_observations(
        result.occupied_but_osm_disused,
        kind="occupied_but_osm_disused",
        observed_on=day,
        recorded_by="Team Ost",
    )
    assert plain(closed[["unit_id", "status", "business_name", "recorded_by"]]) == [
        ["E50", "probably_vacant", None, "Team Ost"]
    ]
    missing = result.osm_missing_in_register.sort_values("osm_id")
    new = to_observations(missing, kind="osm_missing_in_register", observed_on=day)
    assert plain(new[["unit_id", "status", "business_name"]]) == [
        ["OSM-n2", "occupied", "Friseur Schnitt"],
        ["OSM-n3", "occupied", "Copyshop Blatt"],
        ["OSM-n8", "occupied", "Kiosk Mitte"],
        ["OSM-n9", "occupied", "Späti Ost"],
        ["OSM-n11", "probably_vacant", None],
    ]
    units = units_from_osm(missing)
    assert list(units["unit_id"]) == ["OSM-n2", "OSM-n3", "OSM-n8", "OSM-n9", "OSM-n11"]
    assert list(units.columns) == [*UNIT_COLUMNS, "geometry"]
    assert units.iloc[-1][["street", "housenumber", "use_class"]].tolist() == [
        "Torgauer Straße",
        "5",
        "retail",
    ]
    assert matching.osm_unit_id("way", 2001) == "OSM-w2001"
    with pytest.raises(InputError, match="gehören nicht zur Liste"):
        to_observations(missing, kind="vacant_but_osm_business", observed_on=day)
    with pytest.raises(InputError, match="unbekannt"):
        to_observations(missing, kind="irgendwas", observed_on=day)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store_path(tmp_path, scene) -> Path:
    register, _ = scene
    path = tmp_path / "register.gpkg"
    store = GeoPackageStore.create(path)
    store.write(
        ChangeSet(
            boundaries=official_boundaries(),
            new_units=assign_areas(register.units, official_boundaries()),
            observations=register.observations.drop(columns="obs_id"),
        )
    )
    return path


class CountingStore:
    """A store wrapper that counts writes."""

    def __init__(self, store) -> None:
        self.store, self.writes = store, 0
        self.location = store.location

    def read(self):
        return self.store.read()

    def write(self, changes):
        self.writes += 1
        return self.store.write(changes)


def test_apply_writes_units_and_observations_in_one_transaction(scene, store_path):
    register, features = scene
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    store = CountingStore(open_store(store_path))
    selection = {
        "vacant_but_osm_business": result.vacant_but_osm_business.iloc[:1],
        "occupied_but_osm_disused": result.occupied_but_osm_disused,
        "osm_missing_in_register": result.osm_missing_in_register.loc[lambda f: f["osm_id"].isin([3, 11])],
    }
    done = apply_to_register(
        store, selection, observed_on=date(2025, 6, 30), recorded_by="Team Ost", today=TODAY
    )
    assert store.writes == 1
    assert (
        done.summary == "4 Beobachtungen übernommen, davon 2 für neu angelegte Einheiten aus OpenStreetMap."
    )
    assert done.observations["obs_id"].notna().all()
    after = open_store(store_path).read()
    assert sorted(set(after.units["unit_id"]) - set(register.units["unit_id"])) == ["OSM-n11", "OSM-n3"]
    new_unit = after.units.loc[after.units["unit_id"] == "OSM-n3"].iloc[0]
    outlines = official_boundaries()
    inside = outlines.loc[outlines.contains(gpd.points_from_xy(*[[v] for v in lonlat(405)])[0])]
    assert (new_unit["ortsteil"], new_unit["quarter"]) == (inside["name"].iloc[0], inside["quarter"].iloc[0])
    assert new_unit["quarter"] == "Leipziger Osten"
    now = status_at(after, "2025-07-01").set_index("unit_id")
    assert now.loc["E40", ["status", "business_name", "confidence"]].tolist() == [
        "occupied",
        "Café Kiezperle",
        "reported",
    ]
    assert now.loc["E50", "status"] == "probably_vacant"
    assert now.loc["OSM-n3", ["status", "business_name"]].tolist() == ["occupied", "Copyshop Blatt"]
    assert now.loc["OSM-n11", "status"] == "probably_vacant"
    assert now.loc["E40", "source"] == "OpenStreetMap (Stand 30.06.2025)"

    # taking the same OSM feature over again is refused
    before = digest(store_path)
    with pytest.raises(InputError, match="OSM-n3 ist schon im Register"):
        apply_to_register(
            store,
            {"osm_missing_in_register": selection["osm_missing_in_register"]},
            observed_on=date(2025, 6, 30),
            today=TODAY,
        )
    assert digest(store_path) == before


def test_apply_writes_nothing_when_a_row_is_bad(scene, store_path):
    register, features = scene
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    good_new = result.osm_missing_in_register.loc[lambda f: f["osm_id"] == 3]
    bad = result.vacant_but_osm_business.copy()
    bad.loc[bad.index[1], "unit_id"] = "GIBT-ES-NICHT"
    before = digest(store_path)
    store = open_store(store_path)
    with pytest.raises(InputError, match="GIBT-ES-NICHT gibt es im Register nicht"):
        apply_to_register(
            store, {"osm_missing_in_register": good_new, "vacant_but_osm_business": bad},
            observed_on=date(2025, 6, 30), today=TODAY,
        )  # fmt: skip
    assert digest(store_path) == before
    with pytest.raises(InputError, match="Zukunft"):
        apply_to_register(
            store, {"osm_missing_in_register": good_new}, observed_on=date(2025, 8, 1), today=TODAY
        )
    with pytest.raises(InputError, match="Keine Zeilen"):
        apply_to_register(
            store, {"vacant_but_osm_business": bad.iloc[0:0]}, observed_on=date(2025, 6, 30), today=TODAY
        )
    twice = pd.concat([result.vacant_but_osm_business.iloc[:1]] * 2)
    with pytest.raises(InputError, match="mehrfach"):
        apply_to_register(
            store, {"vacant_but_osm_business": twice}, observed_on=date(2025, 6, 30), today=TODAY
        )
    assert digest(store_path) == before
    assert len(open_store(store_path).read().observations) == len(register.observations)


def test_a_failing_write_leaves_the_file_unchanged(scene, store_path, monkeypatch):
    """Units and observations go in one transaction: a failure in the second part rolls back the first."""
    register, features = scene
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    selection = {"osm_missing_in_register": result.osm_missing_in_register.loc[lambda f: f["osm_id"] == 3]}
    original = to_observations

    def broken(rows, **kwargs):
        obs = original(rows, **kwargs)
        return obs.assign(status="kaputt")  # refused by the store's CHECK constraint

    monkeypatch.setattr("geo.osm.takeover.to_observations", broken)
    before = digest(store_path)
    with pytest.raises(StoreError):
        apply_to_register(
            open_store(store_path), selection, observed_on=date(2025, 6, 30), today=TODAY
        )
    assert digest(store_path) == before


# -- map and table --------------------------------------------------------------------------


def test_map_has_one_layer_per_list_and_escapes_names(scene):
    register, features = scene
    features.loc[features["osm_id"] == 3, "name"] = "<script>alert('x')</script> Copy"
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    m = osm_maps.comparison_map(result, boundaries=official_boundaries())
    assert osm_maps.layer_names(m) == [
        "In OpenStreetMap, aber nicht im Register (5)",
        "Im Register leer, in OpenStreetMap ein Betrieb (2)",
        "Im Register genutzt, in OpenStreetMap leer/aufgegeben (1)",
    ]
    html = m.get_root().render()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert osm.ATTRIBUTION in html
    # the layer control comes after the layers it lists
    assert html.index("var unit_points_") < html.index("layer_control")


def test_review_table(scene):
    register, features = scene
    result = matching.compare_with_osm(register, features, at="2025-07-01")
    table = matching.review_table(result.vacant_but_osm_business)
    assert list(table.columns)[:3] == ["Übernehmen", "Einheit", "Adresse (Register)"]
    assert not table["Übernehmen"].any() and list(table.index) == list(result.vacant_but_osm_business.index)
    assert table["Status (Register)"].tolist() == ["leer", "vermutlich leer"]
    assert table["Nutzungsart (OSM)"].tolist() == ["Gastronomie", "Einzelhandel"]
