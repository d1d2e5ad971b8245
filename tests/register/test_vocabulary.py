"""Real list vocabulary (issue "Real data in"): status words from a table, areas as lists write them.

The status words live in ``data/status_words.csv`` (:data:`geo.settings.status_words_path`), which
the office extends without code; areas like ``ca. 80 m²`` or ``80–100 qm`` are read; a bad optional
field (area, position) is a warning and never costs the row its status.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo import settings
from geo.errors import InputError
from geo.register.imports import ImportPlan, plan_import
from geo.register.imports._values import parse_area
from geo.register.model import OBSERVATION_COLUMNS, STATUSES, UNIT_COLUMNS

TODAY = date(2025, 6, 30)
HEADER = "Nr.;Straße;Hausnummer;Status;Datum;lon;lat;Fläche;Lage\n"


def _row(uid: str, status: str, area: str = "80", position: str = "EG") -> str:
    return f"{uid};Eisenbahnstraße;66;{status};01.03.2025;12,403806;51,345528;{area};{position}\n"


def _plan(tmp_path: Path, rows: list[str], **kwargs) -> ImportPlan:
    path = tmp_path / "liste.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    units = gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in UNIT_COLUMNS}, geometry=gpd.GeoSeries([], crs=4326), crs=4326
    )
    obs = pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})
    return plan_import(path, units=units, observations=obs, today=TODAY, **kwargs)


def _table_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


@pytest.fixture
def words_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped table, set as :data:`geo.settings.status_words_path`."""
    copy = tmp_path / "status_words.csv"
    shutil.copyfile(settings.data_dir / "status_words.csv", copy)
    monkeypatch.setattr(settings, "status_words_path", copy)
    return copy


# -- status words --------------------------------------------------------------------


def test_the_shipped_table_is_the_setting_and_covers_real_list_words():
    assert settings.status_words_path == settings.data_dir / "status_words.csv"
    table = {r["word"]: r["status"] for r in _table_rows(settings.status_words_path)}
    expected = {
        "zu vermieten": "vacant",
        "frei": "vacant",
        "Leerstand": "vacant",
        "leerstehend": "vacant",
        "leer stehend": "vacant",
        "geschlossen": "vacant",
        "Sanierung": "renovation",
        "Umbau": "renovation",
        "in Umbau": "renovation",
        "abgerissen": "demolished",
        "Abriss": "demolished",
        "Zwischennutzung": "temporary_use",
        "Pop-up": "temporary_use",
        "Popup": "temporary_use",
        "vermietet": "occupied",
        "genutzt": "occupied",
        "belegt": "occupied",
        "in Betrieb": "occupied",
    }
    assert {w: table.get(w) for w in expected} == expected
    assert set(table.values()) <= set(STATUSES)


def test_every_word_of_the_table_is_read_as_its_status(tmp_path):
    table = _table_rows(settings.status_words_path)
    # as written, and as a list would vary it (upper case, extra spaces)
    variants = [(r["word"], r["status"]) for r in table]
    variants += [(f"  {r['word'].upper()} ", r["status"]) for r in table]
    variants.append(("ZU  VERMIETEN", "vacant"))
    variants.append(("Rueckbau", "demolished"))  # umlaut spelt out
    variants.append(("probably_vacant", "probably_vacant"))
    rows = [_row(f"A-{i}", word) for i, (word, _) in enumerate(variants)]
    result = _plan(tmp_path, rows)
    assert result.report.ok, result.report.to_text()
    got = result.observations.set_index("unit_id")["status"]
    wrong = [(w, s, got[f"A-{i}"]) for i, (w, s) in enumerate(variants) if got[f"A-{i}"] != s]
    assert wrong == []


def test_words_accepted_before_the_table_are_still_accepted(tmp_path):
    old = {
        "genutzt": "occupied", "belegt": "occupied", "vermietet": "occupied", "in nutzung": "occupied",
        "aktiv": "occupied", "occupied": "occupied", "leer": "vacant", "leerstand": "vacant",
        "frei": "vacant", "vacant": "vacant", "vermutlich leer": "probably_vacant",
        "wahrscheinlich leer": "probably_vacant", "probably vacant": "probably_vacant",
        "zwischennutzung": "temporary_use", "temporär": "temporary_use", "temporaer": "temporary_use",
        "temporary use": "temporary_use", "sanierung": "renovation", "umbau": "renovation",
        "sanierung/umbau": "renovation", "sanierung / umbau": "renovation", "renovation": "renovation",
        "entfallen": "demolished", "abgerissen": "demolished", "abriss": "demolished",
        "demolished": "demolished", "unbekannt": "unknown", "unknown": "unknown", "?": "unknown",
    }  # fmt: skip
    words = list(old)
    result = _plan(tmp_path, [_row(f"A-{i}", w) for i, w in enumerate(words)])
    assert result.report.ok, result.report.to_text()
    got = result.observations.set_index("unit_id")["status"]
    assert {w: got[f"A-{i}"] for i, w in enumerate(words)} == old


def test_an_unknown_word_names_the_table(tmp_path):
    result = _plan(tmp_path, [_row("A-1", "leerr")])
    [issue] = result.report.errors
    assert (issue.row, issue.column, issue.value) == (2, "Status", "leerr")
    assert "Leerstand" in issue.reason and "status_words.csv" in issue.reason


def test_the_office_extends_the_table_without_code(tmp_path, words_copy):
    assert _plan(tmp_path, [_row("A-1", "Ladenlokal frei ab sofort")]).report.errors
    with words_copy.open("a", encoding="utf-8") as f:
        f.write("Ladenlokal frei ab sofort;vacant;aus der Liste der Wirtschaftsförderung\n")
    result = _plan(tmp_path, [_row("A-1", "Ladenlokal frei ab sofort")])
    assert result.report.ok, result.report.to_text()
    assert result.observations["status"].tolist() == ["vacant"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("dicht;closed;\n", r"status_words\.csv.*Zeile 46.*'closed'"),
        ("frei;occupied;\n", r"status_words\.csv.*Zeile 46.*'frei'.*Zeile 14.*'vacant'"),
        ("FREI ;occupied;\n", r"status_words\.csv.*Zeile 46.*Zeile 14"),
        ("a;b;c;d\n", r"status_words\.csv.*Zeile 46"),
        (";vacant;\n", r"status_words\.csv.*Zeile 46.*leer"),
    ],
)
def test_a_malformed_table_is_refused_naming_file_row_and_value(tmp_path, words_copy, line, expected):
    rows = _table_rows(words_copy)
    assert len(rows) == 44 and rows[12]["word"] == "frei"  # the new line is row 46, "frei" row 14
    with words_copy.open("a", encoding="utf-8") as f:
        f.write(line)
    with pytest.raises(InputError, match=expected):
        _plan(tmp_path, [_row("A-1", "leer")])


def test_a_table_with_a_wrong_header_or_missing_is_refused(tmp_path, words_copy, monkeypatch):
    words_copy.write_text("Wort,Status\nleer,vacant\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"status_words\.csv.*Zeile 1"):
        _plan(tmp_path, [_row("A-1", "leer")])
    monkeypatch.setattr(settings, "status_words_path", tmp_path / "fehlt.csv")
    with pytest.raises(InputError, match=r"fehlt\.csv.*status_words_path"):
        _plan(tmp_path, [_row("A-1", "leer")])


# -- areas -------------------------------------------------------------------------


def test_areas_as_lists_write_them():
    texts = [
        "ca. 80 m²",
        "80,5 qm",
        "rund 80 m2",
        "circa 1.200 qm",
        "~ 60",
        "80–100 m²",
        "80-100 qm",
        "80 bis 100",
    ]
    got = parse_area(pd.Series(texts, dtype="str"))
    assert got["low"].tolist() == [80.0, 80.5, 80.0, 1200.0, 60.0, 80.0, 80.0, 80.0]
    assert got["high"].isna().tolist() == [True] * 5 + [False] * 3
    assert got["high"].dropna().tolist() == [100.0] * 3


def test_an_approximate_area_and_a_range_are_imported(tmp_path):
    result = _plan(tmp_path, [_row("A-1", "leer", "ca. 80 m²"), _row("A-2", "frei", "80–100 m²")])
    assert result.report.ok, result.report.to_text()
    units = result.new_units.set_index("unit_id")
    assert units["floor_area_m2"].to_dict() == {"A-1": 80.0, "A-2": 80.0}
    [warning] = result.report.warnings
    assert (warning.row, warning.column, warning.value) == (3, "Fläche", "80–100 m²")
    assert "untere Grenze 80 m²" in warning.reason


@pytest.mark.parametrize(("area", "position"), [("groß", "EG"), ("100-80", "EG"), ("80", "Keller")])
def test_a_bad_optional_field_keeps_the_row_with_a_warning(tmp_path, area, position):
    result = _plan(tmp_path, [_row("A-1", "zu vermieten", area, position)])
    assert result.report.ok, result.report.to_text()
    assert result.observations["status"].tolist() == ["vacant"]
    [warning] = result.report.warnings
    assert warning.row == 2 and warning.column in ("Fläche", "Lage")
    assert "Zeile wird übernommen" in warning.reason
    units = result.new_units
    assert (
        units["floor_area_m2"].isna().all() if warning.column == "Fläche" else units["position"].isna().all()
    )
