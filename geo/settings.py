"""Global settings of the Quartiersmonitor library.

Change them by assignment, e.g. ``geo.settings.location_tolerance_m = 40``,
as with ``osmnx.settings``. Environment variables set the initial values
where noted.
"""

from __future__ import annotations

import os
from datetime import date
from importlib import resources
from pathlib import Path

#: CRS every geometry is stored in.
storage_crs: str = "EPSG:4326"

#: CRS for lengths, areas and distances (ETRS89 / UTM zone 33N, Leipzig's own CRS).
metric_crs: str = "EPSG:25833"


def _package_data_dir() -> Path:
    """The project's ``data/`` folder: shipped in the wheel as package ``geo.data``.

    Read through :mod:`importlib.resources`. An editable install (``pip install -e``, as
    ``./dev`` does) maps no ``geo.data`` package, so the checkout's ``data/`` is used there.
    """
    try:
        return Path(str(resources.files("geo.data")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "data"


#: Folder with the project's own data: demo register, approximate boundaries, quarter config.
data_dir: Path = _package_data_dir()

#: The committed demo register (fictional), made by ``python -m geo demo``.
demo_store_path: Path = data_dir / "demo.gpkg"

#: The register the app and the command line use when none is given (``--store``, page *Daten*).
#: ``None``: the environment variable ``QM_STORE``, read when needed (:func:`named_store_path`).
#: Writing commands need one of them; reading commands and the app fall back to the demo
#: working copy (:func:`demo_work_path`) and say so.
default_store_path: Path | None = None

#: The project's own approximate Ortsteil outlines (hand-drawn, not official).
approx_boundaries_path: Path = data_dir / "boundaries-approx.geojson"

#: Which Ortsteile form which quarter (configuration, not code).
quarters_config_path: Path = data_dir / "quarters.toml"

#: Bounding box of the city of Leipzig (lon_min, lat_min, lon_max, lat_max), generous.
leipzig_bbox: tuple[float, float, float, float] = (12.23, 51.23, 12.55, 51.45)

#: Two locations of one unit further apart than this (metres) are a conflict.
location_tolerance_m: float = 25.0

#: Name given to units outside every Ortsteil/quarter in grouped figures.
unassigned_label: str = "(ohne Zuordnung)"

#: Label shown wherever demo data appears.
demo_label: str = "Demo-Daten (fiktiv)"

# -- plausibility and limits (issue "Trust") ------------------------------------
# Read where they are used (``settings.NAME`` at call time), so a change by
# assignment takes effect at once. The environment sets the initial values.


def _env_date(name: str, default: date) -> date:
    text = os.environ.get(name)
    return date.fromisoformat(text) if text else default


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    return int(text) if text else default


#: Earliest plausible date of an observation, a visit or a query date (``QM_EARLIEST_DATE``,
#: ISO date). Earlier dates in an import are rejected with a row reason; earlier dates already
#: in a store or in a URL are shown but pages fall back to this date with a notice.
#: The latest plausible date is always today.
earliest_date: date = _env_date("QM_EARLIEST_DATE", date(1990, 1, 1))

#: Largest file accepted for import, in bytes (``QM_MAX_IMPORT_BYTES``; default 100 MB).
max_import_bytes: int = _env_int("QM_MAX_IMPORT_BYTES", 100 * 1024 * 1024)

#: Most data rows (or features) accepted in one import (``QM_MAX_IMPORT_ROWS``).
max_import_rows: int = _env_int("QM_MAX_IMPORT_ROWS", 250_000)

#: Most bytes a compressed import (XLSX, zipped Shapefile) may expand to
#: (``QM_MAX_EXPANDED_BYTES``; default 500 MB), checked from the archive's directory before reading.
max_expanded_bytes: int = _env_int("QM_MAX_EXPANDED_BYTES", 500 * 1024 * 1024)

#: Largest ratio of expanded to compressed size of an archive (``QM_MAX_EXPANSION_RATIO``);
#: larger is treated as a zip bomb.
max_expansion_ratio: int = _env_int("QM_MAX_EXPANSION_RATIO", 100)

#: Longest text accepted in one field (characters; ``QM_MAX_FIELD_CHARS``). Business names,
#: notes and addresses longer than this are rejected with a row reason, in imports and forms.
max_field_chars: int = _env_int("QM_MAX_FIELD_CHARS", 2000)


# -- where registers, working copies and caches live (issue "Trust") ------------------------------
# Resolved when used (functions below), so an assignment or a changed environment takes effect
# at once. Nothing is written into the source tree: working copies go to the user's data folder,
# downloads to the user's cache folder.

#: Folder for the user's working copies, e.g. the demo working copy. ``None``: ``QM_DATA_DIR``,
#: else the platform's user data folder (``platformdirs.user_data_path("quartiersmonitor")``).
user_data_dir: Path | None = None

#: Folder for caches (OpenStreetMap downloads). ``None``: ``QM_CACHE_DIR``, else the platform's
#: user cache folder (``platformdirs.user_cache_path("quartiersmonitor")``).
cache_dir: Path | None = None


def _env_path(name: str) -> Path | None:
    text = os.environ.get(name, "").strip()
    return Path(text).expanduser() if text else None


def named_store_path() -> Path | None:
    """The register the user named for this process: :data:`default_store_path`, else ``QM_STORE``.

    ``None`` when neither is set; only reading may then fall back to the demo working copy.
    """
    if default_store_path is not None:
        return Path(default_store_path).expanduser()
    return _env_path("QM_STORE")


def user_data_folder() -> Path:
    """The folder of the user's working copies (:data:`user_data_dir`, ``QM_DATA_DIR`` or the platform's)."""
    if user_data_dir is not None:
        return Path(user_data_dir)
    import platformdirs

    return _env_path("QM_DATA_DIR") or platformdirs.user_data_path("quartiersmonitor")


def cache_folder() -> Path:
    """The cache folder (:data:`cache_dir`, ``QM_CACHE_DIR`` or the platform's user cache folder)."""
    if cache_dir is not None:
        return Path(cache_dir)
    import platformdirs

    return _env_path("QM_CACHE_DIR") or platformdirs.user_cache_path("quartiersmonitor")


def osm_cache_folder() -> Path:
    """The OpenStreetMap cache (``QM_OSM_CACHE``, else ``osm`` in :func:`cache_folder`)."""
    return _env_path("QM_OSM_CACHE") or cache_folder() / "osm"


def demo_work_path() -> Path:
    """The working copy of the demo register (``demo-work.gpkg`` in :func:`user_data_folder`)."""
    return user_data_folder() / "demo-work.gpkg"


# -- period views (issue "Trust": dates) ------------------------------------------

#: Most periods one timeline may have (``QM_MAX_TIMELINE_PERIODS``); a longer range (e.g. monthly from
#: year 1) is refused with a message instead of computing thousands of periods.
max_timeline_periods: int = _env_int("QM_MAX_TIMELINE_PERIODS", 1200)


# -- policy knobs of public outputs, OSM matching and walks (issue "Restructure") ----------------
# Read as ``settings.NAME`` when used: functions that take one of them as an option default to
# ``None``, meaning "the setting at call time", so an assignment takes effect at once.

#: Smallest number of units of a street, street section or Ortsteil whose vacancy is published
#: (``QM_PUBLIC_MIN_UNITS``; default 3). Public reports, maps and tables show vacancy only for
#: street sections (:data:`segment_length_m`) of at least this many units and leave smaller
#: groups out, so no single vacant unit can be made out.
public_min_units: int = _env_int("QM_PUBLIC_MIN_UNITS", 3)

#: Target length of a street section in public maps and tables (metres).
segment_length_m: float = 400.0

#: Farthest distance (metres) between an OpenStreetMap business and a register unit that may be the
#: same place, when the register is compared with OpenStreetMap.
osm_match_distance_m: float = 30.0

#: Smallest similarity of two known names (0-100) that counts as the same business when the register
#: is compared with OpenStreetMap.
osm_name_threshold: float = 80.0

#: Walking speed of a planned walk (km/h) when the walk names none.
walk_speed_kmh: float = 4.5

#: Farthest distance (metres) of a stop from the walking network; farther stops are refused with a
#: message naming them.
walk_max_snap_m: float = 250.0

#: Table of the status words an import understands (``word;status;note``, UTF-8, ``;``); the office
#: extends it without code. Read when an import runs (see README, *Loading your own list*).
status_words_path: Path = data_dir / "status_words.csv"

#: Table of the sector keywords (``keyword;use_class;note``, UTF-8, ``;``): a free-text sector
#: (``Bäckerei``, ``Späti``) gives a unit without use class the use class of the longest keyword that
#: starts one of its words. The office extends it without code (see README, *Loading your own list*).
sector_keywords_path: Path = data_dir / "sector_keywords.csv"
