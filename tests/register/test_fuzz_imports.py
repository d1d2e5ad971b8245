"""Fuzz the import path: mutated files of every format end in success or a clear rejection.

From small valid lists (CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile; eight units
in Leipzig) a seeded generator makes damaged variants: truncated, with inserted
delimiters, quotes, line breaks and NUL bytes, mixed encodings, duplicated or missing
headers, huge fields, nonsense numbers, dates and coordinates; binary formats also get
flipped bytes. Every file is imported into a copy of a small valid register
(:func:`geo.register.io.import_file`, a subset also through the CLI). Allowed outcomes:

* accepted: nothing stored holds mojibake, a placeholder ("nan", "None", "NaT") or an
  implausible date (read back with sqlite3);
* rejected with a row report (:class:`geo.errors.ImportRejected`) or a file message
  (:class:`geo.errors.InputError`, CLI exit 2): the store is byte-identical.

Any other exception is a failure. Each case has its own seed (``case_rng``), so a
failing case can be rerun alone with :func:`run_case`. Run with ``-s`` to see the
one-line summary with the outcome counts.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import random
import re
import shutil
import sqlite3
import time
import traceback
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from shapely.geometry import Point

from geo import settings
from geo.cli import main as cli_main
from geo.errors import ImportRejected, InputError
from geo.register.io import import_file

TODAY = date(2025, 6, 30)
SEED = 20250630
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "zip")

HEADER = [
    "Nr.",
    "Straße",
    "Hausnummer",
    "PLZ",
    "Betrieb",
    "Branche",
    "Status",
    "Datum",
    "lon",
    "lat",
    "Fläche",
    "Bemerkung",
]
#: Shapefile field names: at most 10 ASCII characters.
SHP_NAMES = {"Nr.": "Nr", "Straße": "Strasse", "Fläche": "Flaeche"}

BASE_ROWS = [
    ["A-1", "Eisenbahnstraße", "66", "04315", "Café Eins", "Gastronomie", "genutzt", "01.03.2024",
     "12,403806", "51,345528", "85,5", "Schaufenster groß"],
    ["A-2", "Eisenbahnstraße", "70", "04315", "", "", "leer", "01.03.2024",
     "12,404500", "51,345600", "120", ""],
    ["A-3", "Torgauer Straße", "80", "04318", "Späti Zwei", "Einzelhandel", "genutzt", "15.04.2024",
     "12,420571", "51,347652", "40", ""],
    ["A-4", "Meißner Straße", "44", "04315", "Bäckerei Müller", "Lebensmittel", "genutzt", "2024-05-02",
     "12,402917", "51,347664", "60", "Öffnungszeiten prüfen"],
    ["A-5", "Hermann-Liebmann-Straße", "12", "04315", "", "", "vermutlich leer", "03/2024",
     "12,397000", "51,343800", "", ""],
    ["A-6", "Ludwigstraße", "5", "04315", "Döner Grill", "Gastronomie", "genutzt", "01.02.2024",
     "12,399000", "51,348000", "55", ""],
    ["A-7", "Rabet", "3", "04315", "", "", "Sanierung", "01.01.2024",
     "12,395000", "51,344500", "200", ""],
    ["R-1", "Eisenbahnstraße", "100", "04315", "Laden Neu", "Einzelhandel", "genutzt", "01.06.2024",
     "12,410000", "51,345900", "70", "Mieterwechsel"],
]  # fmt: skip

#: The small valid register every case imports into.
REGISTER_CSV = (
    "Nr.;Straße;Hausnummer;Betrieb;Status;Datum;lon;lat\n"
    "R-1;Eisenbahnstraße;100;Laden Alt;genutzt;01.01.2024;12,410000;51,345900\n"
    "R-2;Eisenbahnstraße;102;;leer;01.01.2024;12,410300;51,345950\n"
    "R-3;Torgauer Straße;90;Imbiss;genutzt;01.01.2024;12,421000;51,347800\n"
)

NONSENSE = [
    "", " ", ";", ",", '"', '""', "'", "\n", "\r\n", "\t", "\x00", "\x1f", "\x7f", "\x85",
    "StraÃŸe", "BÃ¤ckerei", "â€žZitatâ€œ", "Ã¶", "\ufffd", "Ä±", "nan", "None", "NaT", "NULL",
    "#NV", "#DIV/0!", "<NA>", "01.01.0001", "1900-01-01", "31.02.2024", "2099-12-31", "00.00.0000",
    "13/2024", "1.1.", "2024-06-01T25:99", "01.01.85", "gestern", "1e308", "-1", "NaN", "inf",
    "-inf", "12,34,56", "9" * 40, "0x1F", "1.000.000,5", "-0", "0", "999", "51,345528", "12,403806",
    "4520000", "5700000", "\u202eevil", "😀 Laden", "Ａｂｃ", "e\u0301", "\u200b", "leerr", "genutzt",
    "leer", "ja", "x", "=1+1", '=HYPERLINK("x")', "@SUM(A1)", "A-1", "R-2", "Groß“", "Ö–",
]  # fmt: skip


def case_rng(seed: int, case: int) -> random.Random:
    """The generator of one case (string seeds are hashed with SHA-512: stable across runs)."""
    return random.Random(f"{seed}/{case}")


# -- making files ------------------------------------------------------------------


def _nonsense(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        return "X" * rng.choice([2_001, 5_000])  # over settings.max_field_chars
    if roll < 0.025:
        return "Y" * 140_000  # over the csv module's field limit
    return rng.choice(NONSENSE)


def _mutate_value(rng: random.Random, value: str) -> str:
    kind = rng.randrange(5)
    if kind == 0 or not value:
        return _nonsense(rng)
    pos = rng.randrange(len(value) + 1)
    if kind == 1:
        return value[:pos] + _nonsense(rng) + value[pos:]
    if kind == 2:
        return value[:pos]
    if kind == 3:
        return value * rng.randint(2, 4)
    return value + rng.choice([";", '"', "\n", "Ã", "\x00", " ;x"])


def _table(rng: random.Random, *, vector: bool) -> tuple[list[str], list[list[str]]]:
    """Header and rows, with some cells and header names mutated."""
    rows = [list(r) for r in rng.sample(BASE_ROWS, rng.randint(5, len(BASE_ROWS)))]
    header = list(HEADER)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        row = rng.choice(rows)
        col = rng.randrange(len(header))
        row[col] = _mutate_value(rng, row[col])
    if rng.random() < 0.15:
        kind = rng.randrange(4)
        col = rng.randrange(len(header))
        if kind == 0 and not vector:
            header[col] = header[rng.randrange(len(header))]  # duplicated name
        elif kind == 1:
            header.pop(col)
            for row in rows:
                row.pop(col)
        elif kind == 2:
            header[col] = rng.choice(["StraÃŸe", "Betrieb\ufffd", "x", "Unnamed: 3", "Status "])
        elif not vector:
            header[col] = ""
    if rng.random() < 0.1:
        rows.append(list(rng.choice(rows)))  # exact duplicate row
    return header, rows


def _number(text: str) -> float | str:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _mutate_bytes(rng: random.Random, data: bytes, *, keep: int = 0) -> bytes:
    """Flip, insert, delete or truncate bytes (after the first ``keep`` bytes)."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if len(buf) <= keep + 1:
            break
        pos = rng.randrange(keep, len(buf))
        kind = rng.randrange(6)
        if kind == 0:
            buf[pos] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buf[pos:pos] = rng.choice(
                [b";", b'"', b"\n", b"\r", b"\x00", b",", b"\t", b"\xc3", b"\xa0", b"\xff"]
            )
        elif kind == 2:
            del buf[pos : pos + rng.randint(1, 40)]
        elif kind == 3:
            del buf[pos:]
        elif kind == 4:
            buf[pos : pos + 8] = bytes(rng.randrange(256) for _ in range(8))
        else:
            buf[pos:pos] = b"\xef\xbb\xbf"
    return bytes(buf)


def _make_csv(rng: random.Random, path: Path) -> Path:
    header, rows = _table(rng, vector=False)
    sep = rng.choice([";", ";", ";", ",", "\t"])
    if sep != ";":
        rows = [[c.replace(",", ".") if h in ("lon", "lat", "Fläche") else c for h, c in zip(header, r, strict=False)]
                for r in rows]  # fmt: skip
    records = [header, *rows]
    if rng.random() < 0.5:
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator="\n").writerows(records)
        lines = out.getvalue().splitlines(keepends=True)
    else:  # written naively, without quoting
        lines = [sep.join(r) + "\n" for r in records]
    if rng.random() < 0.1:
        start = 0 if rng.random() < 0.5 else 1
        lines = lines[:start] + [line.rstrip("\n") + sep + "\n" for line in lines[start:]]
    if rng.random() < 0.05:
        lines.insert(0, f"sep={sep}\n")
    newline = rng.choice(["\n", "\n", "\r\n", "\r"])
    lines = [line[:-1] + newline if line.endswith("\n") else line for line in lines]
    encoding = rng.choice(["utf-8", "utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16", "mixed"])
    if encoding == "mixed":
        data = b"".join(
            line.encode("cp1252", errors="replace") if rng.random() < 0.3 else line.encode("utf-8")
            for line in lines
        )
    else:
        data = "".join(lines).encode(encoding, errors="replace")
    if rng.random() < 0.4:
        data = _mutate_bytes(rng, data)
    if rng.random() < 0.1:
        text = data.split(b"\n")
        a, b = rng.randrange(len(text)), rng.randrange(len(text))
        text.insert(a, text[b])  # a duplicated line (maybe the header)
        if rng.random() < 0.5 and len(text) > 2:
            text.pop(rng.randrange(len(text)))
        data = b"\n".join(text)
    path = path.with_suffix(".csv")
    path.write_bytes(data)
    return path


def _make_xlsx(rng: random.Random, path: Path) -> Path:
    header, rows = _table(rng, vector=False)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Gewerbe"
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in header])
    for row in rows:
        cells: list[object] = []
        for name, value in zip(header, row, strict=False):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if name in ("lon", "lat", "Fläche", "Hausnummer") and rng.random() < 0.6:
                cells.append(_number(value) if value else None)
            elif name == "Datum" and rng.random() < 0.4 and re.fullmatch(r"\d\d\.\d\d\.\d{4}", value):
                day, month, year = (int(x) for x in value.split("."))
                try:
                    cells.append(datetime(year, month, day))
                except ValueError:
                    cells.append(value)
            elif value.startswith("=") or rng.random() < 0.02:
                cells.append(value if value.startswith("=") else '="leer"')  # formula, no stored result
            else:
                cells.append(value or None)
        sheet.append(cells)
    if rng.random() < 0.1:
        book.create_sheet("Notizen").append(["nicht lesen"])
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    if rng.random() < 0.25:
        data = _mutate_bytes(rng, data)
    path = path.with_suffix(".xlsx")
    path.write_bytes(data)
    return path


def _frame(rng: random.Random, names: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    header, rows = _table(rng, vector=True)
    points = []
    for row in rows:
        lon = _number(row[header.index("lon")]) if "lon" in header else 12.40
        lat = _number(row[header.index("lat")]) if "lat" in header else 51.34
        points.append(Point(lon, lat) if isinstance(lon, float) and isinstance(lat, float) else None)
    data = {}
    for j, name in enumerate(header):
        if name in ("lon", "lat"):
            continue
        data[(names or {}).get(name, name)] = [r[j] or None for r in rows]
    frame = gpd.GeoDataFrame(data, geometry=points, crs="EPSG:4326")
    if rng.random() < 0.15:
        frame = frame.to_crs("EPSG:25833")
    return frame


def _make_geojson(rng: random.Random, path: Path) -> Path:
    frame = _frame(rng)
    features = []
    for i, row in frame.iterrows():
        props = {k: (_number(v) if rng.random() < 0.2 else v) if isinstance(v, str) else None
                 for k, v in row.items() if k != "geometry"}  # fmt: skip
        geom = row.geometry
        features.append(
            {
                "type": "Feature",
                "id": i,
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [geom.x, geom.y]}
                if isinstance(geom, Point)
                else None,
            }
        )
    doc: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}
    data = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8")
    if rng.random() < 0.3:
        data = _mutate_bytes(rng, data)
    path = path.with_suffix(".geojson")
    path.write_bytes(data)
    return path


def _make_gpkg(rng: random.Random, path: Path) -> Path:
    path = path.with_suffix(".gpkg")
    try:
        _frame(rng).to_file(path, driver="GPKG", layer="einheiten")
    except Exception:  # noqa: BLE001 - the writer refused the mutated values: write valid ones
        path.unlink(missing_ok=True)
        _frame(random.Random(0)).to_file(path, driver="GPKG", layer="einheiten")
    if rng.random() < 0.25:
        path.write_bytes(_mutate_bytes(rng, path.read_bytes(), keep=100))
    return path


def _make_zip(rng: random.Random, path: Path) -> Path:
    folder = path.with_suffix("")
    folder.mkdir()
    encoding = rng.choice(["UTF-8", "UTF-8", "cp1252"])
    try:
        _frame(rng, SHP_NAMES).to_file(folder / "einheiten.shp", encoding=encoding)
    except Exception:  # noqa: BLE001 - the writer refused the mutated values: write valid ones
        for part in folder.iterdir():
            part.unlink()
        _frame(random.Random(0), SHP_NAMES).to_file(folder / "einheiten.shp", encoding="UTF-8")
    parts = sorted(folder.iterdir())
    if rng.random() < 0.15:
        (folder / "einheiten.cpg").unlink(missing_ok=True)  # encoding unknown: read as Latin-1
    if rng.random() < 0.2:
        victim = rng.choice([p for p in parts if p.exists()])
        victim.write_bytes(_mutate_bytes(rng, victim.read_bytes(), keep=min(100, victim.stat().st_size // 2)))
    archive = path.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, arcname=part.name)
    shutil.rmtree(folder)
    if rng.random() < 0.15:
        archive.write_bytes(_mutate_bytes(rng, archive.read_bytes()))
    return archive


MAKERS = {
    "csv": _make_csv,
    "xlsx": _make_xlsx,
    "geojson": _make_geojson,
    "gpkg": _make_gpkg,
    "zip": _make_zip,
}


# -- checking the store ------------------------------------------------------------

_CP1252_SPECIAL = "".join(bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xA0))
_HIGH_RUN = re.compile(f"[\u0080-\u00ff{re.escape(_CP1252_SPECIAL)}]{{2,}}")


def _to_cp1252(ch: str) -> int:
    try:
        return ch.encode("cp1252")[0]
    except UnicodeEncodeError:
        return ord(ch)


#: What UTF-8 mojibake decodes back to: Latin letters, Cyrillic, Arabic, punctuation, currency,
#: letterlike symbols, the byte order mark. ("Ö–" decodes to a Hebrew accent: German, not mojibake.)
_MOJIBAKE_TARGETS = (
    (0xA0, 0x17F),
    (0x400, 0x47F),
    (0x600, 0x6FF),
    (0x2000, 0x20CF),
    (0x2100, 0x214F),
    (0xFEFF, 0xFEFF),
)


def looks_like_mojibake(text: str) -> bool:
    """True when ``text`` holds UTF-8 bytes shown as Windows-1252 (independent of geo.register.imports)."""
    if "\ufffd" in text:
        return True
    for run in _HIGH_RUN.findall(text):
        raw = bytes(_to_cp1252(ch) for ch in run)
        for i in range(len(raw) - 1):
            for size in (2, 3):
                try:
                    point = ord(raw[i : i + size].decode("utf-8"))
                except (UnicodeDecodeError, TypeError):
                    continue
                if any(lo <= point <= hi for lo, hi in _MOJIBAKE_TARGETS):
                    return True
    return False


def stored_problems(store: Path) -> list[str]:
    """Texts in the store that must never be there (read with sqlite3, raw values)."""
    problems = []
    with contextlib.closing(sqlite3.connect(store)) as con:
        for table in ("units", "observations", "imports"):
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[2].upper() == "TEXT"]
            if table == "imports":  # the report quotes the rejected input on purpose
                columns = [c for c in columns if c != "report"]
            for column in columns:
                for (value,) in con.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
                    if not isinstance(value, str):
                        continue
                    if value.strip().casefold() in {"nan", "none", "nat", "<na>", "null"}:
                        problems.append(f"{table}.{column}: placeholder {value!r}")
                    elif looks_like_mojibake(value):
                        problems.append(f"{table}.{column}: mojibake {value!r}")
                    elif re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", value):
                        problems.append(f"{table}.{column}: control character {value!r}")
        for (day,) in con.execute("SELECT observed_on FROM observations"):
            if not (settings.earliest_date.isoformat() <= str(day)[:10] <= TODAY.isoformat()):
                problems.append(f"observations.observed_on: implausible {day!r}")
    return problems


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- running -----------------------------------------------------------------------


@dataclass
class Outcomes:
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    cli: Counter[int] = field(default_factory=Counter)


def run_case(case: int, seed: int, work: Path, register: Path, *, cli: bool, outcomes: Outcomes) -> None:
    """Make, import and check one fuzz case; records the outcome (or the failure) in ``outcomes``."""
    rng = case_rng(seed, case)
    fmt = FORMATS[case % len(FORMATS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = MAKERS[fmt](rng, work / f"case{case}")
    mode = "skip" if rng.random() < 0.25 else "reject"
    store = work / f"store{case}.gpkg"
    shutil.copyfile(register, store)
    before = digest(store)
    label = f"case {case} ({fmt}, {mode}, seed {seed}, file {path})"
    try:
        try:
            report = import_file(path, store=store, on_error=mode, today=TODAY)
        except ImportRejected as exc:
            assert exc.report.errors, f"{label}: rejected without errors"
            assert all(i.reason for i in exc.report.errors), label
            assert digest(store) == before, f"{label}: store changed by a rejected import"
            outcomes.counts["rejected with row report"] += 1
        except InputError as exc:
            message = str(exc)
            assert path.name in message, f"{label}: message does not name the file: {message}"
            assert digest(store) == before, f"{label}: store changed by a refused file"
            outcomes.counts["rejected with file message"] += 1
        else:
            assert report.mode == mode
            problems = stored_problems(store)
            assert not problems, f"{label}: {problems[:5]}"
            outcomes.counts["accepted"] += 1
        if cli:
            cli_store = work / f"cli{case}.gpkg"
            shutil.copyfile(register, cli_store)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli_main(["import", str(path), "--store", str(cli_store), "--on-error", mode])
            assert code in (0, 2), f"{label}: CLI exit {code}: {err.getvalue()[-500:]}"
            assert "Traceback" not in err.getvalue(), label
            if code == 2:
                assert digest(cli_store) == before, f"{label}: CLI changed the store"
                assert err.getvalue().strip(), f"{label}: CLI exit 2 without a message"
            else:
                assert not stored_problems(cli_store), label
            outcomes.cli[code] += 1
            cli_store.unlink()
    except AssertionError as exc:
        outcomes.failures.append(str(exc))
        return
    except Exception:  # noqa: BLE001 - any other exception is what the fuzzer looks for
        outcomes.failures.append(f"{label}: {traceback.format_exc()}")
        return
    store.unlink()
    path.unlink()


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Path:
    """A small valid register (three units) that every case imports into."""
    folder = tmp_path_factory.mktemp("fuzz-register")
    source = folder / "register.csv"
    source.write_text(REGISTER_CSV, encoding="utf-8")
    store = folder / "register.gpkg"
    report = import_file(source, store=store, today=TODAY)
    assert report.units_added == 3
    return store


def fuzz(n: int, seed: int, work: Path, register: Path, *, cli_every: int) -> Outcomes:
    outcomes = Outcomes()
    start = time.perf_counter()
    for case in range(n):
        run_case(case, seed, work, register, cli=case % cli_every == 0, outcomes=outcomes)
    seconds = time.perf_counter() - start
    counts = outcomes.counts
    print(
        f"\nfuzz imports: {n} cases (seed {seed}) in {seconds:.1f} s: accepted {counts['accepted']}, "
        f"rejected with row report {counts['rejected with row report']}, rejected with file message "
        f"{counts['rejected with file message']}; CLI {sum(outcomes.cli.values())} cases, exit 0: "
        f"{outcomes.cli[0]}, exit 2: {outcomes.cli[2]}; failures {len(outcomes.failures)}"
    )
    return outcomes


def test_every_valid_base_file_is_accepted(tmp_path, register):
    """The unmutated files of every format import cleanly (the fuzzer starts from valid input)."""

    class Calm(random.Random):
        def random(self) -> float:
            return 0.99  # no mutation is ever chosen

        def choice(self, seq):  # type: ignore[override]
            return seq[0]

        def randint(self, a: int, b: int) -> int:
            return b

    for fmt, make in MAKERS.items():
        store = tmp_path / f"{fmt}.gpkg"
        shutil.copyfile(register, store)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = make(Calm(1), tmp_path / f"base-{fmt}")
        report = import_file(path, store=store, today=TODAY)
        assert report.ok, (fmt, report.to_text())
        assert report.units_added == 7 and report.observations_added == 8, (fmt, report.to_text())
        assert not stored_problems(store), fmt


def test_fuzz_imports(tmp_path, register):
    outcomes = fuzz(200, SEED, tmp_path, register, cli_every=10)
    assert not outcomes.failures, "\n\n".join(outcomes.failures[:10])
    assert sum(outcomes.counts.values()) == 200
    assert all(
        outcomes.counts[k] for k in ("accepted", "rejected with row report", "rejected with file message")
    )


@pytest.mark.slow
def test_fuzz_imports_long(tmp_path, register):
    outcomes = fuzz(1000, SEED + 1, tmp_path, register, cli_every=20)
    assert not outcomes.failures, "\n\n".join(outcomes.failures[:10])
    assert sum(outcomes.counts.values()) == 1000
