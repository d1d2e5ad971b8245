"""Benchmark: a synthetic register of 100,000 units with 1,000,000 observations.

Times the import of a history CSV, reading the store, status at a date,
``stats --by street`` and a 10-year monthly ``timeline``; prints the figures
and the peak memory (RSS). Targets (issue 2): each query under 1 s on a 2-core
machine, memory under 2 GB.

Run: ``./dev bench`` or ``.venv/bin/python bench/bench_register.py [--units N]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import settings  # noqa: E402
from geo.register import stats  # noqa: E402
from geo.register.io import import_file  # noqa: E402
from geo.register.store import open_store  # noqa: E402

STATUS_WORDS = np.array(["genutzt", "leer", "vermutlich leer", "Zwischennutzung", "Sanierung", "unbekannt"])


def synthetic_history(path: Path, *, units: int, per_unit: int, seed: int = 1) -> int:
    """Write a German-Excel CSV with ``units * per_unit`` observation rows."""
    rng = np.random.default_rng(seed)
    n = units * per_unit
    unit_idx = np.repeat(np.arange(units), per_unit)
    street_of_unit = rng.integers(0, 2000, units)
    # 10 distinct dates per unit between 2015-01-01 and 2025-12-31
    offsets = np.sort(rng.choice(4017, size=(units, per_unit), replace=True), axis=1)
    offsets = offsets + np.arange(per_unit)  # strictly increasing -> distinct dates
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(offsets.reshape(-1), unit="D")
    # every row changes the unit's state (so all 1,000,000 rows become observations):
    # a random walk over the statuses that never stays put, with new business names
    steps = rng.integers(1, len(STATUS_WORDS), size=(units, per_unit))
    status = STATUS_WORDS[np.cumsum(steps, axis=1).reshape(-1) % len(STATUS_WORDS)]
    business = np.where(status == "genutzt", np.char.add("Betrieb ", np.arange(n).astype(str)), "")
    lon = 12.30 + rng.random(units) * 0.14
    lat = 51.31 + rng.random(units) * 0.05
    frame = pd.DataFrame(
        {
            "Nr.": np.char.add("B", unit_idx.astype(str)),
            "Straße": np.char.add("Teststraße ", street_of_unit[unit_idx].astype(str)),
            "Hausnummer": (unit_idx % 200 + 1).astype(str),
            "PLZ": "04315",
            "lon": np.round(lon[unit_idx], 6),
            "lat": np.round(lat[unit_idx], 6),
            "Datum": days.strftime("%d.%m.%Y"),
            "Status": status,
            "Betrieb": business,
            "Fläche": np.round(40 + rng.random(units) * 300, 1)[unit_idx],
        }
    )
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return n


def timed(label: str, fn, results: dict):
    t0 = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - t0
    print(f"{label:<34} {results[label]:8.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--per-unit", type=int, default=10)
    args = parser.parse_args()
    results: dict[str, float] = {}
    # a whole history of 1M rows is beyond the default import limit (an office list is far
    # smaller); raising it is what a user with such a file does (QM_MAX_IMPORT_ROWS)
    settings.max_import_rows = max(settings.max_import_rows, args.units * args.per_unit + 1)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "history.csv"
        store_path = Path(tmp) / "bench.gpkg"
        n = timed("write synthetic CSV", lambda: synthetic_history(csv, units=args.units, per_unit=args.per_unit), results)
        print(f"  {args.units:,} units, {n:,} observation rows, {csv.stat().st_size / 1e6:.0f} MB CSV")
        report = timed(
            "import (validate + write)",
            lambda: import_file(csv, store=store_path, today=date(2026, 11, 1)),
            results,
        )
        print(f"  {report.units_added:,} units, {report.observations_added:,} observations added; "
              f"store {store_path.stat().st_size / 1e6:.0f} MB")
        register = timed("read store", lambda: open_store(store_path).read(), results)
        timed("derive history (once per load)", lambda: register.history, results)
        current = timed("status at date", lambda: stats.status_at(register, "2024-06-30"), results)
        print(f"  {current['status'].eq('vacant').sum():,} units vacant on 2024-06-30")
        by_street = timed("stats --by street", lambda: stats.stats(register, at="2024-06-30", by="street"), results)
        print(f"  {len(by_street):,} streets")
        line = timed(
            "timeline monthly 2015-2024",
            lambda: stats.timeline(register, freq="month", start="2015-01-01", end="2024-12-31"),
            results,
        )
        print(f"  {len(line)} periods")
        timed(
            "timeline monthly by ortsteil",
            lambda: stats.timeline(register, freq="month", start="2015-01-01", end="2024-12-31", by="ortsteil"),
            results,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory (RSS)':<34} {peak_mb:8.0f} MB")
    slow = [k for k in ("status at date", "stats --by street", "timeline monthly 2015-2024") if results[k] > 1.0]
    print("targets: queries < 1 s:", "met" if not slow else f"MISSED ({', '.join(slow)})",
          "| memory < 2 GB:", "met" if peak_mb < 2048 else "MISSED")


if __name__ == "__main__":
    main()
