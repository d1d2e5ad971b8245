"""The period report (geo.outputs.report): PDF content, public version, XLSX, CLI, the Bericht page."""

from __future__ import annotations

import argparse
import io
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from geo import settings
from geo.cli import report as report_cli
from geo.errors import InputError
from geo.formats import fmt_int, fmt_months, fmt_pct, unit_address
from geo.osm.buildings import CAVEAT
from geo.outputs import figures as F
from geo.outputs import report
from geo.register import stats
from geo.register.history import Register
from geo.register.model import PERSONAL_COLUMNS
from geo.register.store import open_store
from tests.signin import signed_in

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "report"
SHARED = ROOT.parent / "shared" / "data" / "leipzig"
QUARTER = "Leipziger Osten"
START, END = date(2025, 1, 1), date(2025, 12, 31)
DPI = 80  # enough for text checks; the rendered artifacts use the default


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store (built fresh when the committed one is missing)."""
    target = tmp_path_factory.mktemp("report") / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    from geo.register.io import build_demo_store

    return build_demo_store(target)


@pytest.fixture(scope="module")
def register(store_path: Path) -> Register:
    return open_store(store_path).read()


@pytest.fixture(scope="module")
def osten(register: Register) -> Register:
    return register.subset((register.units["quarter"] == QUARTER).fillna(False).to_numpy())


def build(register: Register, **kwargs: object) -> tuple[report.ReportSummary, bytes]:
    options: dict[str, object] = {"quarter": QUARTER, "start": START, "end": END, "public": False, "dpi": DPI}
    options.update(kwargs)
    buffer = io.BytesIO()
    summary = report.build_report(register, out=buffer, **options)  # type: ignore[arg-type]
    return summary, buffer.getvalue()


def pdf_pages(data: bytes) -> list[str]:
    """The text of every page, whitespace collapsed."""
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def internal(register: Register) -> tuple[report.ReportSummary, bytes, str]:
    summary, data = build(register, public=False)
    return summary, data, " ".join(pdf_pages(data))


@pytest.fixture(scope="module")
def public(register: Register) -> tuple[report.ReportSummary, bytes, str]:
    summary, data = build(register, public=True)
    return summary, data, " ".join(pdf_pages(data))


# -- content ---------------------------------------------------------------------------------------


def test_pdf_contains_the_figures_of_geo_stats(internal, osten: Register) -> None:
    summary, data, text = internal
    assert data[:5] == b"%PDF-"
    assert summary.pages == len(PdfReader(io.BytesIO(data)).pages) >= 8
    now = stats.stats(osten, at=END).iloc[0]
    before = stats.stats(osten, at=START - timedelta(days=1)).iloc[0]
    settled = stats.events(osten, kind="settlement", start=START - timedelta(days=1), end=END)
    closed = stats.events(osten, kind="closure", start=START - timedelta(days=1), end=END)
    expected = [
        f"Am 31.12.2025 standen {fmt_int(now['vacant'])} von {fmt_int(now['units'])} Gewerbeeinheiten leer",
        f"Leerstandsquote {fmt_pct(now['vacancy_rate'])}; Vorperiode {fmt_pct(before['vacancy_rate'])}",
        f"Leerstandsquote nach Anzahl {fmt_pct(now['vacancy_rate'])} {fmt_pct(before['vacancy_rate'])}",
        f"Leerstandsquote nach Fläche {fmt_pct(now['vacancy_rate_area'])}",
        f"Neuansiedlungen im Zeitraum {fmt_int(len(settled))}",
        f"Schließungen im Zeitraum {fmt_int(len(closed))}",
        f"{fmt_int(len(settled))} Neuansiedlungen und {fmt_int(len(closed))} Schließungen",
        f"Leerstandsdauer (Median) {fmt_months(now['median_vacancy_days'])}",
        f"Längster laufender Leerstand {fmt_months(now['longest_vacancy_days'])}",
    ]
    for snippet in expected:
        assert snippet in text, snippet
    for business in settled["business_name"].dropna().head(10):
        assert str(business) in text
    for street in stats.stats(osten, at=END, by="street").query("units >= 3")["group"]:
        assert street in text


def test_key_figures_match_geo_stats(osten: Register) -> None:
    figures = report.key_figures(osten, start=START, end=END).set_index("key")
    now = stats.stats(osten, at=END).iloc[0]
    then = stats.stats(osten, at=date(2024, 12, 31)).iloc[0]
    for key in (
        "units",
        "vacant",
        "vacancy_rate",
        "vacancy_rate_area",
        "median_vacancy_days",
        "longest_vacancy_days",
    ):
        assert figures.loc[key, "value"] == pytest.approx(float(now[key]), nan_ok=True)
        assert figures.loc[key, "previous"] == pytest.approx(float(then[key]), nan_ok=True)
    year = stats.timeline(osten, freq="year", start="2024-01-01", end=END).set_index("period")
    assert figures.loc["new_settlements", "value"] == year.loc["2025", "new_settlements"]
    assert figures.loc["new_settlements", "previous"] == year.loc["2024", "new_settlements"]
    assert figures.loc["closures", "value"] == year.loc["2025", "closures"]
    assert figures.loc["net_settlements", "change"] == pytest.approx(
        (year.loc["2025", "net_settlements"]) - (year.loc["2024", "net_settlements"])
    )


def test_title_page_sources_and_demo_label_on_every_page(internal) -> None:
    _, data, _ = internal
    pages = pdf_pages(data)
    assert "Leipziger Osten" in pages[0] and "Jahr 2025 (01.01.2025 – 31.12.2025)" in pages[0]
    assert "Ortsteilgrenzen Stadt Leipzig, Datenlizenz Deutschland – Namensnennung 2.0" in pages[0]
    assert "letzte Beobachtung vom" in pages[0]
    for number, page in enumerate(pages, start=1):
        assert settings.demo_label in page, f"Seite {number} ohne Demo-Hinweis"
        assert f"Seite {number} von {len(pages)}" in page
    assert (
        "Methodik, Definitionen und Hinweise" in pages[-1]
        or "Methodik, Definitionen und Hinweise" in pages[-2]
    )
    for term in (
        "Leerstandsquote nach Fläche",
        "Neuansiedlung",
        "Schließung",
        "Leerstandsdauer",
        "Vorperiode",
    ):
        assert term in " ".join(pages[-3:])


def personal_values(register: Register) -> set[str]:
    units = register.units
    values = {str(v).strip() for c in PERSONAL_COLUMNS for v in units[c].dropna() if str(v).strip()}
    notes = {str(v).strip() for v in register.observations["note"].dropna() if len(str(v).strip()) >= 6}
    staff = {
        str(v).strip() for v in register.observations["recorded_by"].dropna() if len(str(v).strip()) >= 4
    }
    return values | notes | staff


def test_public_version_has_no_personal_data(public, register: Register) -> None:
    summary, _, text = public
    assert summary.public
    values = personal_values(register)
    assert len(values) > 50
    leaked = sorted(v for v in values if v in text)
    assert not leaked
    assert "INTERN" not in text and "Öffentliche Fassung" in text


def test_public_version_names_no_vacant_unit(public, osten: Register) -> None:
    _, _, text = public
    current = stats.status_at(osten, END)
    vacant = current.loc[current["vacant_days"].notna()]
    settled = set(stats.events(osten, kind="settlement", start=START - timedelta(days=1), end=END)["unit_id"])
    addresses = {unit_address(r) for r in vacant.loc[~vacant["unit_id"].isin(settled)].to_dict("records")}
    assert addresses
    for address in addresses:
        assert not re.search(re.escape(address) + r"(?![\d–a-z])", text), address
    assert "Leerstand nach Straßenabschnitten" in text
    assert "Am längsten leerstehende Einheiten" not in text


def test_internal_version_lists_owners_and_contacts(internal, osten: Register) -> None:
    _, _, text = internal
    longest = stats.longest_vacant(osten, at=END, n=15)
    owners = [o for o in longest["owner_name"].dropna()]
    assert owners and any(o in text for o in owners)
    phones = [p for p in longest["contact_phone"].dropna()]
    assert phones and all(p in text for p in phones)
    assert "INTERN – enthält personenbezogene Daten" in text


def test_public_unit_level_shows_units_but_no_personal_data(register: Register, osten: Register) -> None:
    _, data = build(register, public=True, unit_level=True)
    text = " ".join(pdf_pages(data))
    assert "Am längsten leerstehende Einheiten" in text
    first = stats.longest_vacant(osten, at=END, n=1).iloc[0].to_dict()
    # the public version shows the address without the (internal) address note
    assert unit_address({**first, "address_note": None}) in text
    if first.get("address_note"):
        assert unit_address(first) not in text
    assert not [v for v in personal_values(register) if v in text]


def test_two_quarters_side_by_side(register: Register) -> None:
    summary, data = build(
        register,
        quarter=["Leipziger Osten", "gruenau"],
        public=True,
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
    )
    pages = pdf_pages(data)
    assert summary.quarters == ("Leipziger Osten", "Grünau")
    figures_page = next(p for p in pages if p.startswith("Quartiersmonitor") and "Kennzahlen" in p)
    assert "Leipziger Osten Grünau" in figures_page
    for name in ("Leipziger Osten", "Grünau"):
        sub = register.subset((register.units["quarter"] == name).fillna(False).to_numpy())
        rate = stats.stats(sub, at=date(2025, 6, 30)).iloc[0]["vacancy_rate"]
        assert f"{name}: Am 30.06.2025" in figures_page
        assert fmt_pct(rate) in figures_page
        assert f"{name}: Karten" in " ".join(pages)
    assert "1. Halbjahr 2025" in pages[0] and "2. Halbjahr 2024" in pages[0]


def test_empty_quarter_and_period_before_any_data(register: Register) -> None:
    summary, data = build(Register.empty(), quarter=None, public=False)
    assert summary.pages >= 5
    assert "keine Einheiten" in " ".join(pdf_pages(data))
    summary, data = build(
        register, quarter="Grünau", start=date(2010, 1, 1), end=date(2010, 12, 31), public=True
    )
    text = " ".join(pdf_pages(data))
    assert summary.notes == ["Grünau: Bis zum 31.12.2010 liegen keine Beobachtungen vor."]
    assert summary.pages >= 5 and "Grünau" in text
    # a quarter with no units while the other quarter has some
    without_gruenau = register.subset((register.units["quarter"] != "Grünau").fillna(True).to_numpy())
    assert len(without_gruenau.units) > 0
    summary, _ = build(without_gruenau, quarter="Grünau", public=True)
    assert summary.notes == ["Grünau: Im Register sind für dieses Quartier keine Einheiten erfasst."]


def test_bad_input(register: Register, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Unbekanntes Quartier"):
        build(register, quarter="Connewitz")
    with pytest.raises(InputError, match="Höchstens zwei"):
        build(register, quarter=["Leipziger Osten", "Grünau", "gruenau", "x"])
    with pytest.raises(InputError, match="liegt nach dem Ende"):
        build(register, start=date(2025, 12, 31), end=date(2025, 1, 1))
    with pytest.raises(InputError, match="existiert nicht"):
        report.build_report(
            register, quarter=QUARTER, start=START, end=END, public=True, out=tmp_path / "no" / "x.pdf"
        )


def test_periods() -> None:
    half = report.parse_period("2025H1")
    assert (half.start, half.end, half.label) == (date(2025, 1, 1), date(2025, 6, 30), "1. Halbjahr 2025")
    prev = half.previous()
    assert (prev.start, prev.end, prev.label) == (date(2024, 7, 1), date(2024, 12, 31), "2. Halbjahr 2024")
    q3 = report.parse_period("2025-q3")
    assert (q3.start, q3.end, q3.label) == (date(2025, 7, 1), date(2025, 9, 30), "3. Quartal 2025")
    assert report.parse_period("2024").previous().label == "Jahr 2023"
    assert report.parse_period("2025-02").previous().start == date(2025, 1, 1)
    free = report.Period.between(date(2025, 3, 10), date(2025, 3, 19))
    assert free.label == "10.03.2025 – 19.03.2025"
    assert (free.previous().start, free.previous().end) == (date(2025, 2, 28), date(2025, 3, 9))
    with pytest.raises(InputError, match="nicht lesbar"):
        report.parse_period("2025H3")


def test_building_stock_section(register: Register) -> None:
    days = pd.to_datetime(["2024-01-01", "2025-01-01"])
    bstats = pd.DataFrame(
        {
            "group": ["Volkmarsdorf", "Volkmarsdorf", "Grünau-Mitte", "Grünau-Mitte"],
            "date": list(days) * 2,
            "buildings": [612, 670, 900, 905],
            "footprint_m2": [1.0] * 4,
            "commercial": [22, 35, 10, 11],
            "added": [pd.NA, 80, pd.NA, 7],
            "removed": [pd.NA, 22, pd.NA, 2],
            "changed": [pd.NA] * 4,
            "geometry_changed": [pd.NA] * 4,
            "use_changed": [pd.NA] * 4,
        }
    )
    _, data = build(register, public=True, osm_buildings=bstats)
    pages = pdf_pages(data)
    text = " ".join(pages)
    assert "Gebäudebestand nach OpenStreetMap" in text
    assert CAVEAT[:60] in text
    assert "Volkmarsdorf 612 670 +58 22 35 80 22" in text
    assert "Grünau-Mitte 900" not in text  # another quarter's Ortsteil
    assert "© OpenStreetMap-Mitwirkende, ODbL (Gebäudebestand)" in pages[0]


def test_building_stock_takes_the_results_of_the_building_analysis(register: Register) -> None:
    """Figures come as BuildingStats and snapshots as Snapshots (no DataFrame.attrs): both are taken."""
    import geopandas as gpd

    from geo.osm.buildings import BuildingStats, building_stats
    from geo.osm.snapshots import Snapshots
    from geo.outputs.report.data import _boundaries, _building_stats

    table = pd.DataFrame(
        {"group": ["Volkmarsdorf"], "date": pd.to_datetime(["2025-01-01"]), "buildings": [3]}
    )
    assert _building_stats(BuildingStats(table, ("Notiz",)), register) is table
    footprint = _boundaries(register).geometry.iloc[0].representative_point().buffer(0.0001)
    frame = gpd.GeoDataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2025-01-01"]),
            "osm_id": ["1", "1"],
            "building": ["yes", "retail"],
        },
        geometry=[footprint, footprint],
        crs="EPSG:4326",
    )
    expected = building_stats(frame, _boundaries(register)).table
    assert expected["buildings"].tolist() == [1, 1] and expected["changed"].tolist()[1] == 1
    pd.testing.assert_frame_equal(_building_stats(Snapshots(frame, ("Notiz",)), register), expected)
    pd.testing.assert_frame_equal(_building_stats(frame, register), expected)


@pytest.mark.shared_data
def test_building_stock_from_real_osm_snapshots(register: Register, shared_data: Path) -> None:
    from geo.osm.buildings import analyse_files

    folder = shared_data / "osm-buildings"
    files = [folder / f"Volkmarsdorf-{y}-buildings.geojson" for y in (2023, 2024, 2025)]
    bstats = analyse_files(files, register.boundaries)
    summary, data = build(register, public=True, osm_buildings=bstats)
    assert "Volkmarsdorf" in " ".join(pdf_pages(data)) and summary.pages > 8


def test_render_pages_for_inspection(internal, public, register: Register) -> None:
    """Pages as PNG in artifacts/report/ to look at (what goes on the projector)."""
    pdfium = pytest.importorskip("pypdfium2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _, full = build(register, public=False, dpi=150)
    _, two = build(register, quarter=["Leipziger Osten", "Grünau"], public=True, dpi=150)
    for name, data in (("intern", full), ("oeffentlich", public[1]), ("zwei-quartiere", two)):
        (ARTIFACTS / f"{name}.pdf").write_bytes(data)
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            target = ARTIFACTS / f"{name}-{i + 1:02d}.png"
            doc[i].render(scale=1.5).to_pil().save(target)
            assert target.read_bytes()[:4] == b"\x89PNG"


# -- figures, XLSX ---------------------------------------------------------------------------------


def test_report_figures(register: Register) -> None:
    figs = report.report_figures(
        register, quarter=["Leipziger Osten", "Grünau"], start=START, end=END, public=True
    )
    for slug in ("leipziger-osten", "gruenau"):
        for key in (
            "karte_bestand",
            "karte_veraenderung",
            "leerstandsquote",
            "ansiedlungen",
            "branchen",
            "leerstandsdauer",
        ):
            assert f"{key}_{slug}" in figs
    assert F.figure_bytes(figs["karte_bestand_gruenau"], fmt="svg").lstrip()[:5] in (b"<?xml", b"<svg ")


def test_xlsx_figures_equal_geo_stats(register: Register, osten: Register, tmp_path: Path) -> None:
    out = tmp_path / "kennzahlen.xlsx"
    report.period_figures_xlsx(register, quarter=QUARTER, start=START, end=END, out=out, public=False)
    book = openpyxl.load_workbook(out)
    assert tuple(book.sheetnames) == report.XLSX_SHEETS
    figures = pd.read_excel(out, sheet_name="Kennzahlen").set_index("Kennzahl")
    now = stats.stats(osten, at=END).iloc[0]
    labels = {key: label for key, label, _ in report.FIGURES}
    assert figures.loc[labels["vacant"], QUARTER] == now["vacant"]
    assert figures.loc[labels["vacancy_rate"], QUARTER] == pytest.approx(now["vacancy_rate"])
    assert (
        figures.loc[labels["units"], f"{QUARTER} Vorperiode"]
        == stats.stats(osten, at="2024-12-31").iloc[0]["units"]
    )
    settled = stats.events(osten, kind="settlement", start="2024-12-31", end=END)
    assert figures.loc[labels["new_settlements"], QUARTER] == len(settled)
    ortsteile = pd.read_excel(out, sheet_name="Ortsteile").set_index("Ortsteil")
    by_ortsteil = stats.stats(osten, at=END, by="ortsteil").set_index("group")
    assert (ortsteile["Einheiten"] == by_ortsteil["units"].reindex(ortsteile.index)).all()
    assert (ortsteile["leer"] == by_ortsteil["vacant"].reindex(ortsteile.index)).all()
    assert len(pd.read_excel(out, sheet_name="Neuansiedlungen")) == len(settled)
    longest = pd.read_excel(out, sheet_name="Am längsten leer")
    assert "Eigentümer/in" in longest.columns
    assert book["Kennzahlen"].cell(row=4, column=3).number_format == "0.0%"


def test_public_xlsx_has_no_personal_data(register: Register, tmp_path: Path) -> None:
    out = tmp_path / "oeffentlich.xlsx"
    report.period_figures_xlsx(register, quarter=QUARTER, start=START, end=END, out=out, public=True)
    cells = " ".join(
        str(c) for ws in openpyxl.load_workbook(out) for row in ws.iter_rows(values_only=True) for c in row
    )
    assert not [v for v in personal_values(register) if v in cells]
    assert "Straßenabschnitt" in pd.read_excel(out, sheet_name="Am längsten leer").columns


# -- command line and page ---------------------------------------------------------------------------


def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo")
    report_cli.add_cli(parser.add_subparsers(dest="command"))
    return report_cli.run_cli(parser.parse_args(argv))


def test_cli(store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bericht.pdf"
    xlsx = tmp_path / "bericht.xlsx"
    code = cli(
        [
            "report",
            "--store",
            str(store_path),
            "--quarter",
            "gruenau",
            "--period",
            "2025H1",
            "--public",
            "--out",
            str(out),
            "--xlsx",
            str(xlsx),
        ]
    )
    assert code == 0
    assert out.read_bytes()[:5] == b"%PDF-" and xlsx.exists()
    assert "1. Halbjahr 2025 (öffentlich" in capsys.readouterr().out
    assert (
        cli(
            [
                "report",
                "--store",
                str(store_path),
                "--quarter",
                "Connewitz",
                "--period",
                "2025",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "Unbekanntes Quartier" in capsys.readouterr().err
    assert cli(["report", "--store", str(store_path), "--period", "2025H3", "--out", str(out)]) == 2
    assert "2025H1 (Halbjahr)" in capsys.readouterr().err
    assert cli(["report", "--store", str(store_path), "--out", str(out)]) == 2
    assert "Zeitraum fehlt" in capsys.readouterr().err


def test_bericht_page(store_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "bericht.py"), default_timeout=120)
    at.session_state["qm_store_path"] = str(store_path)
    signed_in(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.radio(key="b_kind").set_value("Jahr").run()
    at.selectbox(key="b_year").set_value(2025).run()
    at.button(key="b_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.label for b in at.get("download_button")]
    assert labels[0].startswith("PDF herunterladen") and "Kennzahlen als XLSX" in labels
    assert labels.count("PNG") == labels.count("SVG") >= 6
    table = at.dataframe[0].value
    assert table.iloc[0, 0] == "Gewerbeeinheiten (bekannter Status)"
