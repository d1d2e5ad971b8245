"""Benchmark: the building-stock analysis of all real OSM building snapshots.

Reads every ``*-<year>-buildings.geojson`` in ``../shared/data/leipzig/osm-buildings``
(12 Ortsteile x 12 years = 144 files, about 50 MB of GeoJSON), assigns the
buildings to the official Ortsteile (``ortsteile.geojson``) and computes the
figures per Ortsteil and year, then per quarter, and the change list for the
map. Prints the timings and the peak memory (RSS). Target (issue): the whole
analysis under 30 s on a 2-core machine.

The data is not part of the project; without it the benchmark says so and exits 0.

Run: ``.venv/bin/python bench/bench_buildings.py [--folder DIR]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.osm import buildings  # noqa: E402
from geo.osm.snapshots import load_snapshots  # noqa: E402
from geo.places.areas import load_boundaries  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "leipzig"
TARGET_S = 30.0


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=SHARED / "osm-buildings", help="snapshot folder")
    parser.add_argument("--boundaries", type=Path, default=SHARED / "ortsteile.geojson")
    args = parser.parse_args(argv)
    if not args.folder.is_dir() or not args.boundaries.is_file():
        print(f"skipped: real building snapshots not available at {args.folder} / {args.boundaries}")
        return 0

    files = sorted(args.folder.glob("*-buildings.geojson"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"{len(files)} snapshot files, {size_mb:.1f} MB GeoJSON; baseline RSS {_peak_mb():.0f} MB")

    t0 = time.perf_counter()
    boundaries = load_boundaries(args.boundaries).frame
    t_bounds = time.perf_counter() - t0

    t0 = time.perf_counter()
    stats = buildings.analyse_files(files, boundaries, by="ortsteil").table
    t_ortsteil = time.perf_counter() - t0
    peak_stream = _peak_mb()

    t0 = time.perf_counter()
    by_quarter = buildings.analyse_files(files, boundaries, by="quarter").table
    t_quarter = time.perf_counter() - t0

    t0 = time.perf_counter()
    snapshots = load_snapshots(files).frame
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    changes = buildings.building_changes(snapshots, since=2015, boundaries=boundaries)
    t_changes = time.perf_counter() - t0

    total = t_bounds + t_ortsteil
    n_dates = stats["date"].nunique()
    print(f"load boundaries                          {t_bounds:6.2f} s")
    print(
        f"analyse_files by Ortsteil (streaming)    {t_ortsteil:6.2f} s  "
        f"{len(stats)} rows, {stats['group'].nunique()} groups x {n_dates} dates"
    )
    print(f"analyse_files by quarter (streaming)     {t_quarter:6.2f} s  {len(by_quarter)} rows")
    print(f"load_snapshots, all tags, all dates      {t_load:6.2f} s  {len(snapshots)} building rows")
    print(f"building_changes since 2015              {t_changes:6.2f} s  {len(changes)} events")
    print(f"peak RSS after streaming analysis        {peak_stream:6.0f} MB")
    print(f"peak RSS overall (incl. all snapshots)   {_peak_mb():6.0f} MB")
    verdict = "OK" if total < TARGET_S else "TOO SLOW"
    print(f"whole analysis (boundaries + figures)    {total:6.2f} s  target < {TARGET_S:.0f} s: {verdict}")
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
