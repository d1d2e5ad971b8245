"""Tests of geo.register.imports: reading unit lists, validating rows and planning imports."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from geo import settings
from geo.errors import InputError
from geo.register.imports import ImportPlan, ImportReport, RowIssue, plan_import, read, read_table
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS

TODAY = date(2025, 6, 30)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "leipzig"
ACTORS = SHARED / "actors-leipziger-osten.geojson"

# Points in Leipziger Osten (lon, lat)
EISENBAHN_66 = (12.403806, 51.345528)
EISENBAHN_31 = (12.399562, 51.345978)
TORGAUER_80 = (12.420571, 51.347652)


# -- helpers -----------------------------------------------------------------------


def make_units(rows: list[dict] | None = None) -> gpd.GeoDataFrame:
    """Units as the store hands them over (UNIT_COLUMNS + geometry, EPSG:4326)."""
    rows = rows or []
    data = {c: pd.Series([r.get(c) for r in rows], dtype=object) for c in UNIT_COLUMNS}
    data["floor_area_m2"] = pd.Series([r.get("floor_area_m2") for r in rows], dtype="float64")
    geometry = [Point(r["lon"], r["lat"]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"), crs="EPSG:4326")


def make_obs(rows: list[dict] | None = None) -> pd.DataFrame:
    """Observations as the store hands them over."""
    rows = rows or []
    data = {c: pd.Series([r.get(c) for r in rows], dtype=object) for c in OBSERVATION_COLUMNS}
    data["obs_id"] = pd.Series([r["obs_id"] for r in rows], dtype="int64")
    data["observed_on"] = pd.to_datetime(pd.Series([r["observed_on"] for r in rows], dtype=object))
    data["recorded_at"] = pd.to_datetime(
        pd.Series([r.get("recorded_at", "2025-01-01 10:00") for r in rows], dtype=object)
    )
    data["new_settlement"] = pd.Series([bool(r.get("new_settlement", False)) for r in rows], dtype=bool)
    data["supersedes"] = pd.Series([r.get("supersedes") for r in rows], dtype="Int64")
    return pd.DataFrame(data)


def write_csv(tmp_path: Path, text: str, *, name: str = "liste.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def plan(path: Path, units=None, obs=None, **kwargs) -> ImportPlan:
    kwargs.setdefault("today", TODAY)
    return plan_import(
        path,
        units=make_units() if units is None else units,
        observations=make_obs() if obs is None else obs,
        **kwargs,
    )


def errors_by_row(report: ImportReport) -> dict[int | None, list[RowIssue]]:
    out: dict[int | None, list[RowIssue]] = {}
    for issue in report.errors:
        out.setdefault(issue.row, []).append(issue)
    return out


def store_from(result: ImportPlan, units=None, obs=None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Apply a plan the way the store would (for re-import tests)."""
    units = make_units() if units is None else units
    obs = make_obs() if obs is None else obs
    new_units = result.new_units.copy()
    new_units["created_at"] = pd.Timestamp("2025-06-30 12:00")
    all_units = pd.concat([units, new_units], ignore_index=True)
    new_obs = result.observations.copy()
    start = int(obs["obs_id"].max()) + 1 if len(obs) else 1
    new_obs.insert(0, "obs_id", np.arange(start, start + len(new_obs), dtype="int64"))
    new_obs["recorded_at"] = pd.Timestamp("2025-06-30 12:00")
    new_obs["import_id"] = 1
    all_obs = pd.concat([obs, new_obs[list(OBSERVATION_COLUMNS)]], ignore_index=True)
    return gpd.GeoDataFrame(all_units, geometry="geometry", crs="EPSG:4326"), all_obs


GERMAN_CSV = (
    "Straße;Hausnummer;Betrieb;Branche;Status;Datum;Länge;Breite;Fläche\n"
    "Eisenbahnstraße;66;Café Eins;Gastronomie;genutzt;01.03.2025;12,403806;51,345528;85,5\n"
    "Eisenbahnstr.;31;;;leer;2025-03-01;12,399562;51,345978;\n"
    "Torgauer Str.;80 a;Späti Zwei;G;vermietet;1.3.25;12,420571;51,347652;1.200\n"
)


# -- reading -----------------------------------------------------------------------


def test_german_csv_with_bom_semicolon_and_decimal_comma(tmp_path):
    path = write_csv(tmp_path, GERMAN_CSV, encoding="utf-8-sig")
    table = read_table(path)
    assert table["_row"].tolist() == [2, 3, 4]
    assert table.columns[0] == "Straße"  # BOM removed from the first header
    assert table.loc[0, "Länge"] == "12,403806"

    result = plan(path)
    assert result.accepted and result.report.ok
    units = result.new_units
    assert units["unit_id"].tolist() == ["QM-000001", "QM-000002", "QM-000003"]
    assert units["street"].tolist() == ["Eisenbahnstraße", "Eisenbahnstraße", "Torgauer Straße"]
    assert units["housenumber"].tolist() == ["66", "31", "80a"]
    assert units.crs.equals("EPSG:4326")
    assert units.geometry.x.round(6).tolist() == [12.403806, 12.399562, 12.420571]
    assert units.geometry.y.round(6).tolist() == [51.345528, 51.345978, 51.347652]
    assert units["floor_area_m2"].tolist()[0] == 85.5
    assert np.isnan(units["floor_area_m2"].tolist()[1])
    assert units["floor_area_m2"].tolist()[2] == 1200.0
    assert units[["ortsteil", "quarter", "created_at"]].isna().all().all()
    assert list(units.columns) == [*UNIT_COLUMNS, "geometry"]

    obs = result.observations.set_index("unit_id")
    assert obs.loc["QM-000001", "status"] == "occupied"
    assert obs.loc["QM-000002", "status"] == "vacant"
    assert obs.loc["QM-000003", "status"] == "occupied"
    assert obs.loc["QM-000003", "sector"] == "G"
    assert (obs["observed_on"] == pd.Timestamp("2025-03-01")).all()
    assert (obs["confidence"] == "reported").all()
    assert (obs["source"] == "liste.csv").all()
    assert not obs["new_settlement"].any()
    assert obs["supersedes"].isna().all()
    assert str(obs["supersedes"].dtype) == "Int64"
    assert list(result.observations.columns) == [
        c for c in OBSERVATION_COLUMNS if c not in ("obs_id", "recorded_at", "import_id")
    ]
    assert result.report.units_added == 3
    assert result.report.observations_added == 3
    assert any("Semikolon" in n for n in result.report.notes)


def test_cp1252_csv_with_umlauts(tmp_path):
    text = (
        "Straße;Hausnummer;Betrieb;Bemerkung;lon;lat\n"
        "Meißner Straße;44;Bäckerei Müller;Schaufenster größer;12,402917;51,347664\n"
    )
    path = write_csv(tmp_path, text, encoding="cp1252")
    result = plan(path)
    assert result.report.ok
    assert result.new_units.loc[0, "street"] == "Meißner Straße"
    assert result.observations.loc[0, "business_name"] == "Bäckerei Müller"
    assert result.observations.loc[0, "note"] == "Schaufenster größer"
    assert any("Windows-1252" in n for n in result.report.notes)


@pytest.mark.parametrize(("sep", "decimal"), [(",", "."), ("\t", ","), (";", ".")])
def test_csv_separator_is_sniffed(tmp_path, sep, decimal):
    rows = [
        ["Nr.", "Adresse", "Status", "lat", "lon"],
        ["A-1", "Eisenbahnstraße 66", "leer", "51.345528", "12.403806"],
    ]
    rows[1][3:] = [v.replace(".", decimal) for v in rows[1][3:]]
    if sep == ",":
        rows[1] = [f'"{v}"' for v in rows[1]]
    text = "\n".join(sep.join(r) for r in rows) + "\n"
    result = plan(write_csv(tmp_path, text))
    assert result.report.ok, result.report.to_text()
    unit = result.new_units.iloc[0]
    assert unit["unit_id"] == "A-1"  # own ids are kept for new units
    assert unit["street"] == "Eisenbahnstraße"
    assert unit["housenumber"] == "66"
    assert round(unit.geometry.x, 6) == 12.403806


def test_xlsx_round_trip_with_date_cells_and_numbers(tmp_path):
    path = tmp_path / "liste.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Gewerbe"
    sheet.append(["Nr.", "Straße", "Hausnr.", "PLZ", "Betrieb", "Stand", "lon", "lat", "Fläche"])
    sheet.append(
        [
            17,
            "Eisenbahnstraße",
            66,
            4315,
            "Café Eins",
            datetime(2025, 3, 1),
            12.403806,
            51.345528,
            85,
        ]
    )
    sheet.append([None] * 9)  # blank spreadsheet row: counts for the row numbers, not as data
    sheet.append([18, "Eisenbahnstraße", "31", "04315", "Laden", "15.04.2025", 12.399562, 51.345978, 40.5])
    book.create_sheet("Notizen")
    book.save(path)

    table = read_table(path)
    assert table["_row"].tolist() == [2, 4]
    assert table.loc[0, "Nr."] == "17"
    assert table.loc[0, "Stand"] == "2025-03-01"
    assert table.loc[0, "PLZ"] == "4315"

    result = plan(path)
    assert result.report.ok, result.report.to_text()
    units = result.new_units.set_index("unit_id")
    assert units.loc["17", "postcode"] == "04315"  # leading zero restored
    assert units.loc["17", "housenumber"] == "66"
    assert units.loc["18", "floor_area_m2"] == 40.5
    obs = result.observations.set_index("unit_id")
    assert obs.loc["17", "observed_on"] == pd.Timestamp("2025-03-01")
    assert obs.loc["18", "observed_on"] == pd.Timestamp("2025-04-15")
    assert any("'Notizen'" in n for n in result.report.notes)


def _actors_frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "title": ["Café Eins", "Laden Zwei"],
            "address1": ["Eisenbahnstraße 66", "Torgauer Str. 80"],
            "url": ["https://example.org", None],
        },
        geometry=[Point(*EISENBAHN_66), Point(*TORGAUER_80)],
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


@pytest.mark.parametrize(("name", "driver"), [("a.geojson", "GeoJSON"), ("a.gpkg", "GPKG")])
def test_geojson_and_geopackage(tmp_path, name, driver):
    path = tmp_path / name
    _actors_frame().to_file(path, driver=driver)
    table = read_table(path)
    assert table["_row"].tolist() == [1, 2]
    assert table["lon"].round(6).tolist() == [EISENBAHN_66[0], TORGAUER_80[0]]
    result = plan(path)
    assert result.report.ok, result.report.to_text()
    assert result.new_units["street"].tolist() == ["Eisenbahnstraße", "Torgauer Straße"]
    assert result.observations["business_name"].tolist() == ["Café Eins", "Laden Zwei"]
    assert any("'url'" in n for n in result.report.notes)  # ignored column is named


def test_geopackage_in_metric_crs_is_reprojected_and_polygons_give_a_point(tmp_path):
    path = tmp_path / "m.gpkg"
    frame = _actors_frame("EPSG:25833")
    x, y = frame.geometry.iloc[0].x, frame.geometry.iloc[0].y
    frame.loc[0, "geometry"] = Polygon([(x - 5, y - 5), (x + 5, y - 5), (x + 5, y + 5), (x - 5, y + 5)])
    frame.to_file(path, driver="GPKG")
    raw = read(path)
    table = raw.frame
    assert table["lon"].round(5).tolist() == [round(EISENBAHN_66[0], 5), round(TORGAUER_80[0], 5)]
    notes = " ".join(raw.notes)
    assert "EPSG:4326" in notes and "keine Punkte" in notes


def test_zipped_shapefile(tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _actors_frame("EPSG:25833").to_file(shp_dir / "einheiten.shp")
    archive = tmp_path / "einheiten.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, arcname=part.name)
    table = read_table(archive)
    assert table["_row"].tolist() == [1, 2]
    assert table["lat"].round(6).tolist() == [EISENBAHN_66[1], TORGAUER_80[1]]
    result = plan(archive)
    assert result.report.ok
    assert len(result.new_units) == 2


def test_xy_in_epsg25833(tmp_path):
    to_metric = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
    x, y = to_metric.transform(*EISENBAHN_66)
    x_text, y_text = f"{x:.2f}".replace(".", ","), f"{y:.2f}".replace(".", ",")
    text = f"Nr.;Straße;Hausnummer;Rechtswert;Hochwert\nE-1;Eisenbahnstraße;66;{x_text};{y_text}\n"
    result = plan(write_csv(tmp_path, text))
    assert result.report.ok, result.report.to_text()
    lon, lat = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True).transform(
        round(x, 2), round(y, 2)
    )
    point = result.new_units.geometry.iloc[0]
    assert point.x == pytest.approx(lon, abs=1e-9)
    assert point.y == pytest.approx(lat, abs=1e-9)
    assert point.x == pytest.approx(EISENBAHN_66[0], abs=1e-6)


# -- file-level errors -------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="gibt es nicht"):
        read_table(tmp_path / "fehlt.csv")


def test_empty_files(tmp_path):
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"'leer\.csv' ist leer"):
        plan(empty)
    header_only = write_csv(tmp_path, "Straße;Hausnummer\n", name="kopf.csv")
    with pytest.raises(InputError, match="keine Datenzeilen"):
        plan(header_only)
    blank = write_csv(tmp_path, "\n\n  \n", name="blank.csv")
    with pytest.raises(InputError, match="nur Leerzeilen"):
        read_table(blank)


def test_file_content_must_match_extension(tmp_path):
    fake_xlsx = write_csv(tmp_path, "Straße;Nr\nA;1\n", name="liste.xlsx")
    with pytest.raises(InputError, match="keine Excel-Datei"):
        read_table(fake_xlsx)
    binary = tmp_path / "bild.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError, match="Binärdaten"):
        read_table(binary)
    zipped = tmp_path / "liste2.csv"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("x.txt", "hallo")
    with pytest.raises(InputError, match="keine CSV-Datei"):
        read_table(zipped)
    not_json = write_csv(tmp_path, "Straße;Nr\n", name="orte.geojson")
    with pytest.raises(InputError, match="kein gültiges GeoJSON"):
        read_table(not_json)
    plain_json = write_csv(tmp_path, json.dumps([1, 2]), name="orte2.json")
    with pytest.raises(InputError, match="kein GeoJSON"):
        read_table(plain_json)
    not_gpkg = write_csv(tmp_path, "hallo", name="orte.gpkg")
    with pytest.raises(InputError, match="keine GeoPackage-Datei"):
        read_table(not_gpkg)
    no_shp = tmp_path / "leer.zip"
    with zipfile.ZipFile(no_shp, "w") as zf:
        zf.writestr("liesmich.txt", "nichts")
    with pytest.raises(InputError, match="kein Shapefile"):
        read_table(no_shp)
    other = write_csv(tmp_path, "x", name="liste.ods")
    with pytest.raises(InputError, match="nicht unterstützt"):
        read_table(other)
    old_excel = write_csv(tmp_path, "x", name="liste.xls")
    with pytest.raises(InputError, match=r"\.xlsx"):
        read_table(old_excel)


def test_ragged_csv_names_the_line(tmp_path):
    # a row that does not fit the header is reported at its line and not read (issue "Trust")
    path = write_csv(tmp_path, "Straße;Hausnummer\nA;1\nB;2;3;4\n")
    raw = read(path)
    assert raw.frame["_row"].tolist() == [2]
    [issue] = raw.issues
    assert issue.row == 3 and "die Zeile hat 4 Felder, die Kopfzeile aber 2" in issue.reason


def test_file_without_any_unit_column_is_rejected(tmp_path):
    path = write_csv(tmp_path, "Farbe;Größe\nrot;groß\n")
    with pytest.raises(InputError, match="'Farbe', 'Größe'"):
        plan(path)


def test_invalid_options():
    with pytest.raises(InputError, match="Fehlermodus"):
        plan(Path("egal.csv"), on_error="ignore")
    with pytest.raises(InputError, match="Zukunft"):
        plan(Path("egal.csv"), as_of=date(2030, 1, 1))


# -- row-level errors ------------------------------------------------------------------

HEADER = "Nr.;Straße;Hausnummer;Betrieb;Status;Datum;lon;lat;Fläche\n"
ROW_OK = "A-1;Eisenbahnstraße;66;Café Eins;genutzt;01.03.2025;12,403806;51,345528;80\n"


def test_unknown_status_is_an_error_naming_row_column_and_value(tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + ROW_OK + "A-2;Eisenbahnstraße;31;;leerr;01.03.2025;12,399562;51,345978;\n",
    )
    result = plan(path)
    assert not result.accepted
    [issue] = result.report.errors
    assert (issue.row, issue.column, issue.value) == (3, "Status", "leerr")
    assert "unbekannter Status" in issue.reason and "Erlaubt" in issue.reason
    assert issue.to_text().startswith(
        "Zeile 3, Spalte 'Status', Wert 'leerr': unbekannter Status. Erlaubt: genutzt"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("32.13.2024", "Datum nicht lesbar"),
        ("gestern", "Datum nicht lesbar"),
        ("01.07.2025", "Zukunft"),
    ],
)
def test_bad_dates(tmp_path, value, reason):
    path = write_csv(tmp_path, HEADER + ROW_OK.replace("01.03.2025", value))
    [issue] = plan(path).report.errors
    assert (issue.row, issue.column, issue.value) == (2, "Datum", value)
    assert reason in issue.reason


def test_date_formats(tmp_path):
    dates = ["2025-03-01", "1.3.2025", "01.03.25", "03/2025", "2025-03-01 00:00:00"]
    rows = "".join(f"A-{i};Eisenbahnstraße;{i};;leer;{d};12,403806;51,345528;\n" for i, d in enumerate(dates))
    result = plan(write_csv(tmp_path, HEADER + rows))
    assert result.report.ok, result.report.to_text()
    assert (result.observations["observed_on"] == pd.Timestamp("2025-03-01")).all()
    assert any("nur mit Monat" in n for n in result.report.notes)


@pytest.mark.parametrize(
    ("lon", "lat", "reason"),
    [
        ("13,7373", "51,0504", "außerhalb Leipzigs"),  # Dresden
        ("51,345528", "12,403806", "vertauscht"),
        ("abc", "51,3", "keine Zahl"),
        ("", "51,3", "unvollständige"),
        ("318000", "5690000", "Meter-Koordinaten"),
    ],
)
def test_bad_lon_lat(tmp_path, lon, lat, reason):
    path = write_csv(tmp_path, HEADER + ROW_OK.replace("12,403806;51,345528", f"{lon};{lat}"))
    [issue] = plan(path).report.errors
    assert issue.row == 2
    assert issue.column == "lon/lat"
    assert reason in issue.reason
    assert issue.value == f"{lon}; {lat}"


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        ("411000", "5655000", "außerhalb Leipzigs"),
        ("5690000", "318000", "vertauscht"),
        ("12,4", "51,3", "Längen-/Breitengrad"),
    ],
)
def test_bad_xy(tmp_path, x, y, reason):
    path = write_csv(tmp_path, f"Nr.;Straße;Hausnummer;x;y\nA-1;Eisenbahnstraße;66;{x};{y}\n")
    [issue] = plan(path).report.errors
    assert (issue.row, issue.column) == (2, "x/y")
    assert reason in issue.reason


def test_floor_area_problems_are_warnings(tmp_path):
    # an optional field: a bad area is a warning, the row (and its status) is imported
    rows = ROW_OK.replace(";80\n", ";-5\n") + ROW_OK.replace("A-1", "A-2").replace(";80\n", ";groß\n")
    result = plan(write_csv(tmp_path, HEADER + rows))
    report = result.report
    assert report.ok
    by_row = {i.row: i for i in report.warnings}
    assert by_row[2].column == "Fläche" and by_row[2].value == "-5"
    assert "negativ" in by_row[2].reason
    assert by_row[3].value == "groß" and "keine Zahl" in by_row[3].reason
    assert len(result.observations) == 2 and result.new_units["floor_area_m2"].isna().all()


def test_unit_with_two_locations_in_the_file(tmp_path):
    far = ROW_OK.replace("01.03.2025", "01.04.2025").replace("12,403806", "12,406806")  # ~210 m east
    report = plan(write_csv(tmp_path, HEADER + ROW_OK + far)).report
    by_row = errors_by_row(report)
    assert set(by_row) == {2, 3}
    assert "Zeile 3" in by_row[2][0].reason and "Zeile 2" in by_row[3][0].reason
    assert "auseinander" in by_row[2][0].reason
    assert by_row[2][0].column == "lon/lat"
    near = ROW_OK.replace("01.03.2025", "01.04.2025").replace("12,403806", "12,403906")  # ~7 m
    assert plan(write_csv(tmp_path, HEADER + ROW_OK + near, name="near.csv")).report.ok


def test_unit_far_from_its_stored_location(tmp_path):
    units = make_units(
        [
            {
                "unit_id": "A-1",
                "street": "Eisenbahnstraße",
                "housenumber": "66",
                "lon": 12.41,
                "lat": 51.3455,
            }
        ]
    )
    report = plan(write_csv(tmp_path, HEADER + ROW_OK), units=units).report
    [issue] = report.errors
    assert issue.row == 2
    assert "gespeicherten Ort der Einheit 'A-1'" in issue.reason


def test_same_unit_same_date_disagreeing_rows_are_both_errors(tmp_path):
    other = ROW_OK.replace("genutzt", "leer")
    report = plan(write_csv(tmp_path, HEADER + ROW_OK + other)).report
    by_row = errors_by_row(report)
    assert set(by_row) == {2, 3}
    assert by_row[2][0].column == "Status"
    assert (by_row[2][0].value, by_row[3][0].value) == ("genutzt", "leer")
    assert "Widerspruch" in by_row[2][0].reason and "Zeile 3" in by_row[2][0].reason


def test_exact_duplicate_rows_are_kept_once_with_a_warning(tmp_path):
    result = plan(write_csv(tmp_path, HEADER + ROW_OK + ROW_OK))
    assert result.report.ok
    [warning] = result.report.warnings
    assert warning.row == 3 and "exakte Kopie von Zeile 2" in warning.reason
    assert len(result.new_units) == 1 and len(result.observations) == 1


def test_rows_without_coordinates(tmp_path):
    units = make_units(
        [
            {
                "unit_id": "A-1",
                "street": "Eisenbahnstraße",
                "housenumber": "66",
                "lon": EISENBAHN_66[0],
                "lat": EISENBAHN_66[1],
            }
        ]
    )
    text = "Nr.;Status\nA-1;leer\nB-7;leer\n"
    result = plan(write_csv(tmp_path, text), units=units, on_error="skip")
    [issue] = result.report.errors
    assert issue.row == 3 and "Geokodierung" in issue.reason and "lon/lat oder x/y" in issue.reason
    assert result.observations["unit_id"].tolist() == ["A-1"]
    # nothing matches at all: also one clear message for the whole file
    report = plan(write_csv(tmp_path, text, name="b.csv")).report
    file_level = [i for i in report.errors if i.row is None]
    assert len(file_level) == 1 and "keine Koordinatenspalten" in file_level[0].reason
    assert report.to_text().count("keine Koordinatenspalten") == 1


# -- modes ---------------------------------------------------------------------------


def test_reject_and_skip(tmp_path):
    text = HEADER + ROW_OK + "A-2;Eisenbahnstraße;31;;leerr;01.03.2025;12,399562;51,345978;\n"
    path = write_csv(tmp_path, text)
    rejected = plan(path)
    assert rejected.report.mode == "reject"
    assert not rejected.accepted and not rejected.report.ok
    assert rejected.new_units.empty and rejected.observations.empty and rejected.unit_updates.empty
    assert list(rejected.new_units.columns) == [*UNIT_COLUMNS, "geometry"]
    assert rejected.report.units_added == 0 and rejected.report.rows_rejected == 1
    assert any("würden 1 neue Einheit und 1 Beobachtung" in n for n in rejected.report.notes)

    skipped = plan(path, on_error="skip")
    assert skipped.accepted and not skipped.report.ok
    assert skipped.new_units["unit_id"].tolist() == ["A-1"]
    assert skipped.report.rows_rejected == 1 and skipped.report.observations_added == 1


# -- defaults, snapshots and histories ------------------------------------------------


def test_snapshot_defaults_for_date_and_status(tmp_path):
    text = (
        "Straße;Hausnummer;Betrieb;lon;lat\n"
        "Eisenbahnstraße;66;Café Eins;12,403806;51,345528\n"
        "Eisenbahnstraße;31;;12,399562;51,345978\n"
    )
    path = write_csv(tmp_path, text)
    result = plan(path, as_of=date(2025, 1, 15))
    obs = result.observations.sort_values("business_name", na_position="last")
    assert obs["status"].tolist() == ["occupied", "unknown"]
    assert (obs["observed_on"] == pd.Timestamp("2025-01-15")).all()
    notes = " ".join(result.report.notes)
    assert "2 Zeilen ohne Datum: Stichtag 15.01.2025" in notes
    assert "1 als 'genutzt'" in notes and "1 als 'unbekannt'" in notes
    assert "Stichtagsliste" in notes
    # without as_of: today
    result = plan(path)
    assert (result.observations["observed_on"] == pd.Timestamp(TODAY)).all()
    assert "heutiges Datum 30.06.2025" in " ".join(result.report.notes)


def test_history_file(tmp_path):
    text = HEADER + (
        "A-1;Eisenbahnstraße;66;Café Eins;genutzt;01.03.2023;12,403806;51,345528;\n"
        "A-1;Eisenbahnstraße;66;Café Eins;genutzt;01.03.2024;12,403806;51,345528;\n"
        "A-1;Eisenbahnstraße;66;;leer;01.09.2024;12,403806;51,345528;\n"
        "A-1;Eisenbahnstraße;66;Bäckerei;genutzt;01.03.2025;12,403806;51,345528;\n"
    )
    result = plan(write_csv(tmp_path, text))
    assert len(result.new_units) == 1
    obs = result.observations
    assert obs["observed_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-03-01",
        "2024-09-01",
        "2025-03-01",
    ]
    assert obs["status"].tolist() == ["occupied", "vacant", "occupied"]
    assert result.report.unchanged == 1  # 2024-03-01 repeats 2023
    assert "Verlauf: 1 Einheit mit" in " ".join(result.report.notes)


def test_reimport_adds_only_changes_and_supersedes_same_day_corrections(tmp_path):
    text = HEADER + ROW_OK + "A-2;Eisenbahnstraße;31;;leer;01.03.2025;12,399562;51,345978;\n"
    first = plan(write_csv(tmp_path, text))
    units, obs = store_from(first)
    again = plan(write_csv(tmp_path, text, name="again.csv"), units=units, obs=obs)
    assert again.report.ok
    assert again.observations.empty and again.new_units.empty and again.unit_updates.empty
    assert again.report.unchanged == 2

    # a later list: A-1 unchanged (business written differently), A-2 now occupied
    later = HEADER + (
        "A-1;Eisenbahnstraße;66;CAFÉ  eins;genutzt;01.05.2025;12,403806;51,345528;80\n"
        "A-2;Eisenbahnstraße;31;Neuer Laden;genutzt;01.05.2025;12,399562;51,345978;\n"
    )
    changed = plan(write_csv(tmp_path, later, name="later.csv"), units=units, obs=obs)
    assert changed.observations["unit_id"].tolist() == ["A-2"]
    assert changed.observations["supersedes"].isna().all()
    assert changed.report.unchanged == 1

    # same date, different content: corrects the stored observation
    fix = HEADER + "A-2;Eisenbahnstraße;31;;Zwischennutzung;01.03.2025;12,399562;51,345978;\n"
    corrected = plan(write_csv(tmp_path, fix, name="fix.csv"), units=units, obs=obs)
    [row] = corrected.observations.to_dict("records")
    a2_obs_id = int(obs.loc[obs["unit_id"] == "A-2", "obs_id"].iloc[0])
    assert row["status"] == "temporary_use" and row["supersedes"] == a2_obs_id


def test_superseded_stored_observations_are_ignored(tmp_path):
    units = make_units(
        [
            {
                "unit_id": "A-1",
                "street": "Eisenbahnstraße",
                "housenumber": "66",
                "lon": EISENBAHN_66[0],
                "lat": EISENBAHN_66[1],
            }
        ]
    )
    obs = make_obs(
        [
            {"obs_id": 1, "unit_id": "A-1", "observed_on": "2025-03-01", "status": "vacant"},
            {
                "obs_id": 2,
                "unit_id": "A-1",
                "observed_on": "2025-03-01",
                "status": "occupied",
                "business_name": "Café Eins",
                "supersedes": 1,
            },
        ]
    )
    # the file repeats the superseded state -> a change against the effective state (obs 2)
    text = HEADER + "A-1;Eisenbahnstraße;66;;leer;01.04.2025;12,403806;51,345528;\n"
    result = plan(write_csv(tmp_path, text), units=units, obs=obs)
    assert result.observations["status"].tolist() == ["vacant"]
    # and repeating the effective state adds nothing
    same = HEADER + "A-1;Eisenbahnstraße;66;Café Eins;genutzt;01.04.2025;12,403806;51,345528;\n"
    assert plan(write_csv(tmp_path, same, name="b.csv"), units=units, obs=obs).observations.empty


def test_new_ids_continue_after_existing_qm_numbers(tmp_path):
    units = make_units(
        [
            {
                "unit_id": "QM-000041",
                "street": "Torgauer Straße",
                "housenumber": "80",
                "lon": TORGAUER_80[0],
                "lat": TORGAUER_80[1],
            },
            {
                "unit_id": "X-900",
                "street": "Hedwigstraße",
                "housenumber": "20",
                "lon": 12.403524,
                "lat": 51.34748,
            },
        ]
    )
    text = "Adresse;lon;lat\nEisenbahnstraße 66;12,403806;51,345528\nEisenbahnstraße 31;12,399562;51,345978\n"
    result = plan(write_csv(tmp_path, text), units=units)
    assert result.new_units["unit_id"].tolist() == ["QM-000042", "QM-000043"]


def test_address_matching_and_unit_updates(tmp_path):
    units = make_units(
        [
            {
                "unit_id": "QM-000001",
                "street": "Eisenbahnstraße",
                "housenumber": "66",
                "postcode": None,
                "floor_area_m2": 60.0,
                "lon": EISENBAHN_66[0],
                "lat": EISENBAHN_66[1],
            },
        ]
    )
    text = "Adresse;PLZ;Fläche;Lage;Status\nEisenbahnstr. 66;04315;75;EG;leer\n"
    result = plan(write_csv(tmp_path, text), units=units)
    assert result.report.ok, result.report.to_text()
    assert result.new_units.empty
    [update] = result.unit_updates.to_dict("records")
    assert update["unit_id"] == "QM-000001"
    assert update["postcode"] == "04315" and update["floor_area_m2"] == 75.0
    assert update["position"] == "ground_floor"
    assert pd.isna(update["street"]) and pd.isna(update["housenumber"])  # same address, other spelling
    assert result.observations["unit_id"].tolist() == ["QM-000001"]
    assert result.report.units_updated == 1


def test_several_businesses_at_one_address_are_distinct_units(tmp_path):
    text = (
        "Adresse;Betrieb;lon;lat\n"
        "Eisenbahnstraße 66;FAIRbund;12,403806;51,345528\n"
        "Eisenbahnstr.  66;Naomi e.V.;12,403806;51,345528\n"
        "Eisenbahnstraße 66;Seniorenbüro;12,403806;51,345528\n"
    )
    first = plan(write_csv(tmp_path, text), as_of=date(2025, 3, 1))
    assert first.report.ok
    assert len(first.new_units) == 3
    assert first.observations["unit_id"].nunique() == 3
    units, obs = store_from(first)
    # a later list: one business left, the others are matched by name
    later = text.replace("Naomi e.V.", "Neuer Verein")
    second = plan(write_csv(tmp_path, later, name="b.csv"), units=units, obs=obs, as_of=date(2025, 6, 1))
    assert second.report.unchanged == 2
    assert len(second.new_units) == 1
    assert second.observations["business_name"].tolist() == ["Neuer Verein"]


def test_leerstand_column_with_yes_no(tmp_path):
    text = (
        "Nr.;Leerstand;Betrieb;lon;lat\n"
        "A-1;ja;;12,403806;51,345528\n"
        "A-2;nein;Café;12,399562;51,345978\n"
        "A-3;x;;12,420571;51,347652\n"
        "A-4;vielleicht;;12,420571;51,347652\n"
    )
    result = plan(write_csv(tmp_path, text), on_error="skip")
    assert result.observations.set_index("unit_id")["status"].to_dict() == {
        "A-1": "vacant",
        "A-2": "occupied",
        "A-3": "vacant",
    }
    [issue] = result.report.errors
    assert (issue.row, issue.column, issue.value) == (5, "Leerstand", "vielleicht")


def test_vocabularies_and_optional_fields(tmp_path):
    text = (
        "Nr.;Straße;Hausnr.;Betrieb;Status;Sicherheit;Lage;Nutzungsart;Neuansiedlung;Quelle;"
        "Eigentümer;E-Mail;Beschreibung;lon;lat\n"
        "A-1;Eisenbahnstraße;66;Café;genutzt;vor Ort;1. OG;Gastronomie;ja;Begehung;Frau X;"
        "x@example.org;schön;12,403806;51,345528\n"
        "A-2;Eisenbahnstraße;31;;Sanierung/Umbau;angenommen;Hinterhof;retail;nein;;;;;12,399562;51,345978\n"
        "A-3;Eisenbahnstraße;33;;leer;ziemlich;Keller;Zoo;vielleicht;;;;;12,399562;51,345978\n"
    )
    result = plan(write_csv(tmp_path, text), recorded_by="mk", source="Begehung 2025", on_error="skip")
    errors = {(i.row, i.column) for i in result.report.errors}
    assert errors == {(4, "Sicherheit"), (4, "Nutzungsart"), (4, "Neuansiedlung")}
    assert {(i.row, i.column) for i in result.report.warnings} == {(4, "Lage")}  # optional: a warning
    units = result.new_units.set_index("unit_id")
    assert units.loc["A-1", "position"] == "upper_floor" and units.loc["A-2", "position"] == "rear_building"
    assert units.loc["A-1", "use_class"] == "food" and units.loc["A-2", "use_class"] == "retail"
    assert units.loc["A-1", "owner_name"] == "Frau X" and units.loc["A-1", "contact_email"] == "x@example.org"
    obs = result.observations.set_index("unit_id")
    assert obs.loc["A-1", "confidence"] == "confirmed_on_site" and obs.loc["A-2", "confidence"] == "assumed"
    assert obs.loc["A-2", "status"] == "renovation"
    assert bool(obs.loc["A-1", "new_settlement"]) and not bool(obs.loc["A-2", "new_settlement"])
    assert obs.loc["A-1", "source"] == "Begehung" and obs.loc["A-2", "source"] == "Begehung 2025"
    assert (obs["recorded_by"] == "mk").all()
    assert "'Beschreibung'" in " ".join(result.report.notes)


def test_report_outputs(tmp_path):
    text = HEADER + ROW_OK + ROW_OK + "A-2;Eisenbahnstraße;31;;leerr;01.03.2025;12,399562;51,345978;\n"
    report = plan(write_csv(tmp_path, text), on_error="skip").report
    frame = report.to_frame()
    assert list(frame.columns) == ["Zeile", "Spalte", "Wert", "Grund", "Art"]
    assert frame["Zeile"].tolist() == [3, 4]
    assert frame["Art"].tolist() == ["Warnung", "Fehler"]
    text_out = report.to_text()
    assert "Zeile 4, Spalte 'Status', Wert 'leerr': unbekannter Status" in text_out
    assert "Gelesen: 3 Zeilen" in text_out
    data = json.loads(json.dumps(report.to_dict()))
    assert data["rows_rejected"] == 1 and data["ok"] is False
    assert data["issues"][1]["column"] == "Status"


# -- real data -----------------------------------------------------------------------


def test_real_actor_list_leipziger_osten():
    if not ACTORS.exists():
        pytest.skip(f"shared Leipzig data not available: {ACTORS}")
    rejected = plan_import(ACTORS, units=make_units(), observations=make_obs(), today=TODAY)
    assert not rejected.accepted

    result = plan_import(ACTORS, units=make_units(), observations=make_obs(), today=TODAY, on_error="skip")
    report = result.report
    assert report.rows_read == 91
    # Wurzner Str. 70 / Wurzner Straße 70: same actor, two points ~170 m apart -> rows 63 and 84
    assert sorted(i.row for i in report.errors) == [63, 84]
    assert all("Quartiersmanagement Leipziger Osten" in i.reason for i in report.errors)
    assert report.rows_rejected == 2
    # "Kleine stadtfarm" twice (row 38 copies row 29); Dresdner59/DRESDNER59, Projekt Umut,
    # Polyloid Filmfest: same actor at the same address -> one observation each
    warnings = {i.row: i.reason for i in report.warnings}
    assert set(warnings) == {38, 60, 67, 89}
    assert "exakte Kopie von Zeile 29" in warnings[38]
    assert report.units_added == 85 and report.observations_added == 85
    # nine actors at Eisenbahnstraße 66 (spelt three ways) are nine units
    at_66 = result.new_units[
        (result.new_units["street"] == "Eisenbahnstraße") & (result.new_units["housenumber"] == "66")
    ]
    assert len(at_66) == 9 and at_66["unit_id"].is_unique
    # address parsing on real spellings
    units = result.new_units
    assert ((units["street"] == "Elisabethstraße") & (units["postcode"] == "04315")).sum() == 1
    assert ((units["street"] == "Torgauer Straße") & (units["housenumber"] == "74c")).sum() == 1
    assert ((units["street"] == "Eisenbahnstraße") & units["housenumber"].isna()).sum() == 1
    assert (units["housenumber"] == "44-54").sum() == 1
    # the feature ids of the GeoJSON are not taken as unit numbers
    assert units["unit_id"].str.fullmatch(r"QM-\d{6}").all()

    # importing the same list again adds nothing
    store_units, store_obs = store_from(result)
    again = plan_import(ACTORS, units=store_units, observations=store_obs, today=TODAY, on_error="skip")
    assert again.report.units_added == 0 and again.report.observations_added == 0
    assert again.report.unchanged == 85


def test_settings_tolerance_is_used(tmp_path, monkeypatch):
    near = ROW_OK.replace("01.03.2025", "01.04.2025").replace("12,403806", "12,403906")  # ~7 m
    path = write_csv(tmp_path, HEADER + ROW_OK + near)
    monkeypatch.setattr(settings, "location_tolerance_m", 5.0)
    assert not plan(path).report.ok


def test_geojson_property_id_is_a_unit_number_but_feature_id_is_not(tmp_path):
    features = [
        {
            "type": "Feature",
            "id": "feature-1",
            "properties": {"id": "E-1", "Adresse": "Eisenbahnstraße 66"},
            "geometry": {"type": "Point", "coordinates": list(EISENBAHN_66)},
        }
    ]
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = plan(path)
    assert result.new_units["unit_id"].tolist() == ["E-1"]


def test_one_coordinate_column_alone_is_a_file_error(tmp_path):
    path = write_csv(tmp_path, "Nr.;Straße;Hausnummer;lon\nA-1;Eisenbahnstraße;66;12,4\n")
    report = plan(path).report
    file_errors = [i for i in report.errors if i.row is None]
    assert "'lon' (Längengrad) gefunden, aber keine Spalte für Breitengrad" in file_errors[0].reason
    assert file_errors[0].to_text().startswith("Datei: Spalte 'lon'")
    assert "keine Koordinatenspalten" in file_errors[1].reason


def test_excel_sep_line_and_blank_lines_keep_row_numbers(tmp_path):
    text = "sep=;\nNr.;Status;lon;lat\nA-1;leer;12,4038;51,3455\n\nA-2;leerr;12,4038;51,3455\n"
    table = read_table(write_csv(tmp_path, text))
    assert table["_row"].tolist() == [3, 5]
    [issue] = plan(write_csv(tmp_path, text, name="b.csv")).report.errors
    assert issue.row == 5
