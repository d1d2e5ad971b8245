"""What the app's page *Bericht* offers for one report (:func:`geo.outputs.report.report_bundle`).

The figures are drawn once, for the PDF, and the same PNGs are the downloads; the time the page
shows covers everything the bundle holds, not the PDF alone.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from geo import settings
from geo.outputs import figures as F
from geo.outputs import report
from geo.register.history import Register
from geo.register.store import open_store

ROOT = Path(__file__).resolve().parents[2]
QUARTER = "Leipziger Osten"
START, END = date(2025, 1, 1), date(2025, 6, 30)


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    target = tmp_path_factory.mktemp("bundle") / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
    else:
        from geo.register.io import build_demo_store

        build_demo_store(target)
    return open_store(target).read()


def test_bundle_offers_the_report_figures_drawn_once(register: Register) -> None:
    osm = report.load_osm_buildings(ROOT / "data" / "demo-buildings", register)
    options = {"quarter": QUARTER, "start": START, "end": END, "osm_buildings": osm}
    bundle = report.report_bundle(register, **options)
    figures = report.report_figures(register, **options)
    assert list(bundle.images) == list(figures)  # the same figures, in the same order
    assert "gebaeudebestand" in figures
    for name, fig in figures.items():
        png, svg = bundle.images[name]
        assert png == F.figure_bytes(fig, fmt="png"), name  # the PDF's drawing is the download
        assert svg.lstrip()[:5] in (b"<?xml", b"<svg "), name
    # the page shows the bundle's time: PDF, XLSX and images, not the PDF alone
    assert bundle.seconds >= bundle.summary.seconds > 0


def test_display_png_is_shown_small_and_the_download_stays_200_dpi(register):
    import io

    from PIL import Image

    bundle = report.report_bundle(register, quarter=QUARTER, start=START, end=END)
    name, (png, _) = next(iter(bundle.images.items()))
    with Image.open(io.BytesIO(png)) as original:
        assert original.width > 1460, name  # wider than Streamlit shows without shrinking it on every run
        ratio = original.height / original.width
    shown = report.display_png(png)
    with Image.open(io.BytesIO(shown)) as small:
        assert small.width == 1200
        assert abs(small.height / small.width - ratio) < 0.01
    narrow = report.display_png(shown, width=1300)
    assert narrow is shown  # already narrow enough: the same bytes, not encoded again
