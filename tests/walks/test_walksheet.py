"""The walk sheet PDF: content in walking order, personal data only internally, escaping, page 1 rendered."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import numpy as np
import pypdf
import pytest

from geo import settings
from geo.osm._synthetic import write_grid_osm
from geo.register.history import Register
from geo.walks import outreach, walksheet
from geo.walks.network import OSM_CREDIT, SYNTHETIC_CREDIT, load_walk_graph, network_credit
from tests.conftest import make_observations, make_units

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "walks"
AT = date(2024, 5, 3)
NASTY = 'Café & Bar "Zur <Ecke>"'
PERSONAL = ["Erika Eigentümerin", "Kurt Kontakt", "0341 999 111", "Hans Halter", "Pia Person", "0341 555 222"]


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> outreach.OutreachWalk:
    """A planned walk of six units on a synthetic grid near the Arbeitsladen."""
    folder = tmp_path_factory.mktemp("sheet")
    grid = write_grid_osm(folder / "grid.osm", nx=24, ny=24, spacing_m=50, seed=2)
    lon0, lat0, lon1, lat1 = grid.bounds
    rng = np.random.default_rng(11)
    streets = ["Eisenbahnstraße", "Hermann-Liebmann-Straße", "Torgauer Straße"]
    rows, obs = [], []
    for i in range(6):
        row = {
            "unit_id": f"S-{i}", "street": streets[i % 3], "housenumber": str(10 + i), "quarter": "Leipziger Osten",
            "ortsteil": "Volkmarsdorf", "lon": float(rng.uniform(lon0 + 0.002, lon1 - 0.002)),
            "lat": float(rng.uniform(lat0 + 0.002, lat1 - 0.002)),
        }
        if i == 0:
            row.update(owner_name=PERSONAL[0], contact_person=PERSONAL[1], contact_phone=PERSONAL[2])
        if i == 1:
            row.update(owner_name=PERSONAL[3], contact_person=PERSONAL[4], contact_phone=PERSONAL[5])
        rows.append(row)
        if i % 2 == 0:
            obs.append((f"S-{i}", "2022-03-15", "vacant"))
        else:
            obs.append((f"S-{i}", "2021-01-01", "occupied", NASTY if i == 1 else f"Laden {i}"))
    register = Register(make_units(rows), make_observations(obs), meta={"demo": "true"})
    return outreach.plan_outreach(
        register, load_walk_graph(grid.path), at=AT, rules=["vacant>6m"], picked=["S-1", "S-3", "S-5"],
        area="Leipziger Osten", network_credit=network_credit(grid.path),
    )


def text_of(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def test_sheet_lists_every_stop_in_walking_order(walk):
    pdf = walk.sheet_pdf()
    assert pdf.startswith(b"%PDF")
    pages = text_of(pdf)
    assert len(pages) >= 2
    first = pages[0]
    assert walk.title in first and "Stand 03.05.2024" in first
    assert "ohne personenbezogene Daten" in first
    assert SYNTHETIC_CREDIT in first and "© OpenStreetMap" not in first
    assert settings.demo_label in first
    table = " ".join(pages[1:])
    table = table[table.index("Stopps in Reihenfolge"):]
    assert "Stra ße" not in table, "a street name was broken inside a word"
    compact = re.sub(r"\s+", "", table)  # a cell may wrap an address at a hyphen
    positions = [compact.index(re.sub(r"\s+", "", f"{label} {uid}"))
                 for label, uid in zip(walk.plan.stops["label"], walk.plan.stops["unit_id"], strict=True)]
    assert positions == sorted(positions), "addresses out of walking order"
    assert table.count("leer seit 03.2022") >= 3
    assert "Eigentümer/in ansprechen" in table
    assert all(settings.demo_label in page for page in pages)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)
    assert reader.metadata.title == walk.title


def test_personal_data_only_in_the_internal_version(walk):
    public = " ".join(text_of(walk.sheet_pdf()))
    internal = " ".join(text_of(walk.sheet_pdf(internal=True)))
    for value in PERSONAL:
        assert value not in public
    assert "Kontakt: Kurt Kontakt" in internal and "Eigentümer/in: Hans Halter" in internal
    assert "INTERN" in internal and "INTERN" not in public


def test_business_names_with_markup_characters_survive(walk):
    text = " ".join(text_of(walk.sheet_pdf()))
    assert NASTY in text
    assert "&amp;" not in text and "&lt;" not in text


def test_osm_network_is_credited(walk):
    pdf = walksheet.walk_sheet_pdf(walk.plan, at=AT, network_credit=OSM_CREDIT, streets=walk.streets())
    first = text_of(pdf)[0]
    assert "Wegenetz und Straßen: © OpenStreetMap-Mitwirkende, ODbL" in first
    assert settings.demo_label not in first  # not marked demo unless told


def test_map_has_scale_bar_north_arrow_and_metric_crs(walk):
    from geo.outputs.staticmaps import GID_NORTH, GID_SCALEBAR, MAP_CRS

    fig = walksheet.walk_figure(walk.plan, streets=walk.streets(), at=AT, demo=True)
    ax = fig.axes[0]
    gids = {a.get_gid() for a in ax.get_children()}
    assert {GID_SCALEBAR, GID_NORTH} <= gids
    # drawn in EPSG:25833 (UTM 33N): the extent is in metres, eastings around 315 km for Leipzig
    assert MAP_CRS == "EPSG:25833"
    x0, x1 = ax.get_xlim()
    assert 300_000 < x0 < x1 < 330_000
    numbers = sorted(int(t.get_text()) for t in ax.texts if t.get_text().isdigit())
    assert numbers == list(range(1, len(walk.plan.stops) + 1))
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Stand 03.05.2024" in texts and settings.demo_label in texts


def test_render_page_one(walk):
    """Page 1 rendered to PNG for a look (artifacts/walks/walksheet-page1.png)."""
    pdfium = pytest.importorskip("pypdfium2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(walk.sheet_pdf(internal=True))
    try:
        for number in range(min(2, len(doc))):
            image = doc[number].render(scale=1.6).to_pil()
            image.save(ARTIFACTS / f"walksheet-page{number + 1}.png")
            pixels = np.asarray(image.convert("L"), dtype=float)
            assert pixels.std() > 10  # not blank
            assert image.size[1] / image.size[0] == pytest.approx(297 / 210, rel=0.01)
    finally:
        doc.close()
