"""Sectors as real lists write them (issue 11): free-text sectors give units a use class by keyword.

The keywords live in ``data/sector_keywords.csv`` (:data:`geo.settings.sector_keywords_path`), read
like the status words; a keyword matches where it starts a word of the folded sector, the longest
wins; the sector text is kept as given, unmapped sectors are listed in the report.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo import settings
from geo.errors import InputError
from geo.register.imports import ImportPlan, plan_import
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS

TODAY = date(2025, 6, 30)
HEADER = "Nr.;Straße;Hausnummer;Status;Datum;lon;lat;Branche\n"

EXAMPLES = {
    "Bäckerei": "retail",
    "Friseur": "services",
    "Späti": "retail",
    "Imbiss": "food",
    "Döner": "food",
    "Café": "food",
    "Kiosk": "retail",
    "Nagelstudio": "services",
    "Arztpraxis": "health",
    "Physiotherapie": "health",
    "Versicherung": "services",
    "Steuerberatung": "office",
    "Reisebüro": "services",
    "Handyladen": "retail",
    "Änderungsschneiderei": "craft",
    "Kfz-Werkstatt": "craft",
    "Spielothek": "other",
    "Verein": "culture_social",
    "Galerie": "culture_social",
    "BÄCKEREI  Schmidt": "retail",
    "Döner Kebab Haus": "food",
}


def _row(uid: str, sector: str, *, n: int = 66) -> str:
    return f"{uid};Eisenbahnstraße;{n};genutzt;01.03.2025;12,403806;51,345528;{sector}\n"


def _empty_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in UNIT_COLUMNS}, geometry=gpd.GeoSeries([], crs=4326), crs=4326
    )


def _plan(tmp_path: Path, rows: list[str], *, units: gpd.GeoDataFrame | None = None) -> ImportPlan:
    path = tmp_path / "liste.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    obs = pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})
    return plan_import(
        path, units=units if units is not None else _empty_units(), observations=obs, today=TODAY
    )


def _use_classes(result: ImportPlan) -> dict[str, str | None]:
    nu = result.new_units
    return {u: (None if pd.isna(c) else c) for u, c in zip(nu["unit_id"], nu["use_class"], strict=True)}


@pytest.fixture
def keywords_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped table, set as :data:`geo.settings.sector_keywords_path`."""
    copy = tmp_path / "sector_keywords.csv"
    shutil.copyfile(settings.data_dir / "sector_keywords.csv", copy)
    monkeypatch.setattr(settings, "sector_keywords_path", copy)
    return copy


def test_the_examples_of_office_lists_get_their_use_class_and_keep_their_sector(tmp_path):
    assert settings.sector_keywords_path == settings.data_dir / "sector_keywords.csv"
    sectors = list(EXAMPLES)
    result = _plan(tmp_path, [_row(f"A-{i}", s, n=i + 1) for i, s in enumerate(sectors)])
    assert result.report.ok, result.report.to_text()
    got = _use_classes(result)
    assert {s: got[f"A-{i}"] for i, s in enumerate(sectors)} == EXAMPLES
    # the observation keeps the sector as the list wrote it (spaces tidied, as for every text)
    by_unit = dict(zip(result.observations["unit_id"], result.observations["sector"], strict=True))
    assert {s: by_unit[f"A-{i}"] for i, s in enumerate(sectors)} == {s: " ".join(s.split()) for s in sectors}


def test_the_longest_keyword_wins_and_keywords_match_at_word_starts(tmp_path, keywords_copy):
    with keywords_copy.open("a", encoding="utf-8") as f:
        f.write("Café Galerie;culture_social;Kunstcafé mit Ausstellungen\n")
    rows = [
        _row("A-1", "Änderungsschneiderei", n=1),  # Änderungsschneiderei (craft) over nothing shorter
        _row("A-2", "Praxis für Steuerberatung", n=2),  # Steuerberatung (office) over Praxis (health)
        _row("A-3", "Café Galerie am Markt", n=3),  # the two-word keyword over Café and Galerie
        _row("A-4", "Cocktailbar", n=4),  # "Bar" does not start a word here
        _row("A-5", "Barbershop", n=5),  # Barber (services) over Bar (food)
    ]
    got = _use_classes(_plan(tmp_path, rows))
    assert got == {"A-1": "craft", "A-2": "office", "A-3": "culture_social", "A-4": None, "A-5": "services"}


def test_unmapped_sectors_are_kept_and_listed_in_the_report(tmp_path):
    rows = [
        _row("A-1", "Xyz Handel", n=1),
        _row("A-2", "Xyz Handel", n=2),
        _row("A-3", "Xyz Handel", n=3),
        _row("A-4", "Zauberladenwerk", n=4),
        _row("A-5", "G", n=5),  # a WZ letter is no free text
        _row("A-6", "Bäckerei", n=6),
    ]
    result = _plan(tmp_path, rows)
    assert result.report.ok, result.report.to_text()
    notes = [n for n in result.report.notes if n.startswith("Branchen ohne Zuordnung")]
    assert len(notes) == 1, result.report.notes
    assert "'Xyz Handel' (3 Zeilen), 'Zauberladenwerk' (1 Zeile)" in notes[0]
    assert "'G'" not in notes[0] and "Bäckerei" not in notes[0]
    assert "sector_keywords.csv" in notes[0]
    got = _use_classes(result)
    assert got["A-1"] is None and got["A-5"] is None and got["A-6"] == "retail"
    assert set(result.observations["sector"]) == {"Xyz Handel", "Zauberladenwerk", "G", "Bäckerei"}


def test_a_use_class_column_wins_and_a_stored_use_class_is_kept(tmp_path):
    path = tmp_path / "liste.csv"
    path.write_text(
        "Nr.;Straße;Hausnummer;Status;Datum;lon;lat;Branche;Nutzungsart\n"
        "A-1;Eisenbahnstraße;1;genutzt;01.03.2025;12,403806;51,345528;Bäckerei;Gastronomie\n",
        encoding="utf-8",
    )
    obs = pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})
    result = plan_import(path, units=_empty_units(), observations=obs, today=TODAY)
    assert _use_classes(result) == {"A-1": "food"}
    assert not [n for n in result.report.notes if n.startswith("Branchen ohne")]

    stored = _empty_units().iloc[:0].copy()
    row = {c: None for c in UNIT_COLUMNS}
    row.update(unit_id="A-2", street="Eisenbahnstraße", housenumber="2", use_class="office")
    row3 = {**row, "unit_id": "A-3", "housenumber": "3", "use_class": None}
    stored = gpd.GeoDataFrame(
        pd.DataFrame([row, row3]).astype(
            {c: "str" for c in ("unit_id", "street", "housenumber", "use_class")}
        ),
        geometry=[Point(12.403806, 51.345528)] * 2,
        crs=4326,
    )
    result = _plan(tmp_path, [_row("A-2", "Bäckerei", n=2), _row("A-3", "Bäckerei", n=3)], units=stored)
    assert result.report.ok, result.report.to_text()
    updates = result.unit_updates.set_index("unit_id")["use_class"]
    assert "A-2" not in updates.index or pd.isna(updates.get("A-2"))
    assert updates["A-3"] == "retail"


def test_the_office_extends_the_table_without_code(tmp_path, keywords_copy):
    assert _use_classes(_plan(tmp_path, [_row("A-1", "Schnellrestaurantkette Zzz")])) == {"A-1": None}
    with keywords_copy.open("a", encoding="utf-8") as f:
        f.write("Schnellrestaurantkette;food;aus der Liste der Wirtschaftsförderung\n")
    result = _plan(tmp_path, [_row("A-1", "Schnellrestaurantkette Zzz")])
    assert _use_classes(result) == {"A-1": "food"}
    assert not [n for n in result.report.notes if n.startswith("Branchen ohne")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Bäckerei;bakery;\n", r"sector_keywords\.csv.*Zeile (\d+).*'bakery'.*retail"),
        ("BÄCKER ;food;\n", r"sector_keywords\.csv.*Zeile \d+, Wert 'BÄCKER'.*Zeile 2.*'retail'"),
        ("a;b;c;d\n", r"sector_keywords\.csv.*Zeile \d+.*'a;b;c;d'"),
        (";food;\n", r"sector_keywords\.csv.*Zeile \d+.*leer"),
    ],
)
def test_a_malformed_table_is_refused_naming_file_row_and_value(tmp_path, keywords_copy, line, expected):
    n_lines = len(keywords_copy.read_text(encoding="utf-8").splitlines())
    with keywords_copy.open("a", encoding="utf-8") as f:
        f.write(line)
    with pytest.raises(InputError, match=expected) as info:
        _plan(tmp_path, [_row("A-1", "Bäckerei")])
    assert f"Zeile {n_lines + 1}" in str(info.value)


def test_a_table_with_a_wrong_header_or_missing_is_refused(tmp_path, keywords_copy, monkeypatch):
    keywords_copy.write_text("Stichwort,Nutzung\nBäcker,retail\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"sector_keywords\.csv.*Zeile 1"):
        _plan(tmp_path, [_row("A-1", "Bäckerei")])
    monkeypatch.setattr(settings, "sector_keywords_path", tmp_path / "fehlt.csv")
    with pytest.raises(InputError, match=r"fehlt\.csv.*fehlt.*sector_keywords_path"):
        _plan(tmp_path, [_row("A-1", "Bäckerei")])
