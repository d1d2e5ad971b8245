"""Global settings of the Quartiersmonitor library.

Change them by assignment, e.g. ``geo.settings.location_tolerance_m = 40``,
as with ``osmnx.settings``. Environment variables set the initial values
where noted.
"""

from __future__ import annotations

import os
import re
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


#: Folder with the project's own data: demo register, official Ortsteil boundaries, quarter config.
data_dir: Path = _package_data_dir()

#: The committed demo register (fictional), made by ``python -m geo demo``.
demo_store_path: Path = data_dir / "demo.gpkg"

#: The register the app and the command line use when none is given (``--store``, page *Daten*):
#: a ``.gpkg`` file or the URL of a PostGIS register (``postgresql://…``).
#: ``None``: the environment variable ``QM_STORE``, read when needed (:func:`named_store_path`).
#: Writing commands need one of them; reading commands and the app fall back to the demo
#: working copy (:func:`demo_work_path`) and say so.
default_store_path: Path | str | None = None

#: Default Ortsteil boundaries: the official polygons of the Stadt Leipzig for the Ortsteile of both
#: quarters (Datenlizenz Deutschland – Namensnennung 2.0; see ``data/README.md``). Another polygon file
#: with a name column can be given; it is read as :func:`geo.places.areas.official_boundaries`.
boundaries_path: Path = data_dir / "ortsteile.geojson"

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


#: Time zone of the register's dates: "today" is the date in Leipzig (:func:`geo.dates.local_today`), also on
#: a server whose clock runs in UTC (there, 0-1 h after midnight a day behind otherwise).
timezone: str = "Europe/Berlin"

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


#: How a register on a PostgreSQL/PostGIS server is named instead of a file (``--store``, ``QM_STORE``).
_STORE_URL_PREFIXES: tuple[str, ...] = ("postgresql://", "postgres://")


def store_location(value: str | os.PathLike[str]) -> Path | str:
    """A register as the user named it: a URL (``postgresql://…``) stays text, anything else is a file path.

    (``Path`` would fold the URL's ``//``; ``~`` in a file path is expanded.) Any ``scheme://``
    stays text, so that a mistyped one is refused as an address (its password masked), not
    looked for as a file.
    """
    text = os.fspath(value).strip()
    if text.lower().startswith(_STORE_URL_PREFIXES) or re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        return text
    return Path(text).expanduser()


def is_store_url(value: str | os.PathLike[str]) -> bool:
    """Whether ``value`` names a register on a PostgreSQL/PostGIS server (``postgresql://``, ``postgres://``)."""
    return os.fspath(value).strip().lower().startswith(_STORE_URL_PREFIXES)


def named_store_path() -> Path | str | None:
    """The register the user named for this process: :data:`default_store_path`, else ``QM_STORE``.

    A file path, or the URL of a PostGIS register as text (:func:`store_location`). ``None``
    when neither is set; only reading may then fall back to the demo working copy.
    """
    if default_store_path is not None:
        return store_location(default_store_path)
    text = os.environ.get("QM_STORE", "").strip()
    return store_location(text) if text else None


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

# -- sign-in and accounts -----------------------------------------------------------------------------

#: Shortest password a local account accepts (characters).
min_password_chars: int = _env_int("QM_MIN_PASSWORD_CHARS", 10)

#: Failed sign-ins in a row (within :data:`signin_failure_window_s`) after which an account pauses.
signin_max_failures: int = _env_int("QM_SIGNIN_MAX_FAILURES", 5)

#: Seconds a sign-in pauses after :data:`signin_max_failures` failures; tries meanwhile are refused.
signin_pause_s: int = _env_int("QM_SIGNIN_PAUSE_S", 60)

#: Window (seconds) within which failed sign-ins are counted.
signin_failure_window_s: int = _env_int("QM_SIGNIN_FAILURE_WINDOW_S", 3600)

# -- walks: the real walking network and which stops come first (issues 11 and 13) -----------------

#: Metres by which a quarter's outline is widened when its walking network is downloaded or cut from a
#: file (``python -m geo network``), so that streets along the boundary and short cuts just outside count.
walk_network_buffer_m: float = 300.0

#: Priority points a stop gets for each rule it was selected by (the points add up): ``picked`` by hand,
#: ``verify`` (register and OpenStreetMap disagree), ``new`` (new business not yet welcomed),
#: ``vacant``, ``unvisited``. A time budget leaves out the stops with the fewest points first.
walk_rule_weights: dict[str, float] = {
    "picked": 5.0, "verify": 4.0, "new": 3.0, "vacant": 2.0, "unvisited": 1.0,
}  # fmt: skip

#: Priority points per month a stop has stood empty (vacant or probably vacant), counted up to
#: :data:`walk_vacancy_max_months`: a unit empty for 27 months gets 2.7 points more than a new vacancy.
walk_weight_vacant_month: float = 0.1

#: Priority points of a stop with a follow-up (Nachfassen) due on or before the walk's date and not done.
walk_weight_follow_up: float = 3.0

#: Priority points per month since a stop's last visit, counted up to :data:`walk_unvisited_max_months`;
#: a unit never visited counts as visited that long ago.
walk_weight_unvisited_month: float = 0.05

#: Months after which a longer vacancy adds no more priority points (five years and more count alike).
walk_vacancy_max_months: int = 60

#: Months after which a longer time since the last visit adds no more priority points (also the
#: months a unit never visited counts as).
walk_unvisited_max_months: int = 36

# -- geocoding: addresses without coordinates (issue 11) ------------------------------------------
# Read when a geocoder is made or an address placed (see README, *Loading your own list*).

#: Nominatim server for ``--geocode nominatim`` (``QM_NOMINATIM_URL``), e.g. an own server
#: ``http://127.0.0.1:8080``. The public server allows no bulk geocoding (see
#: :data:`nominatim_max_queries`).
nominatim_url: str = os.environ.get("QM_NOMINATIM_URL", "").strip() or "https://nominatim.openstreetmap.org"

#: How the project names itself to Nominatim (``QM_NOMINATIM_USER_AGENT``; its usage policy asks
#: for an identifying user agent).
nominatim_user_agent: str = (
    os.environ.get("QM_NOMINATIM_USER_AGENT", "").strip()
    or "Quartiersmonitor/0.1 (Quartiersservice Wirtschaft, Leipzig)"
)

#: Seconds between two Nominatim requests; values below 1 are taken as 1 (usage policy).
nominatim_min_delay_s: float = 1.0

#: Seconds to wait for one Nominatim answer.
nominatim_timeout_s: float = 10.0

#: Most addresses one run may ask Nominatim that are not in the cache yet
#: (``QM_NOMINATIM_MAX_QUERIES``); a longer list is refused before anything is sent.
nominatim_max_queries: int = _env_int("QM_NOMINATIM_MAX_QUERIES", 500)

#: Smallest similarity (0-100, rapidfuzz ratio of the street keys) at which an unknown street
#: name is read as a known one (a typo such as "Ludwisgtraße"); the result is ``fuzzy_street``.
geocode_street_threshold: float = 88.0

#: Points of one address farther than this (metres) from their centre are different places
#: (the same street name twice): the address is not placed and the user is asked for a postcode.
geocode_max_spread_m: float = 150.0

#: A house number not in the address data is placed between the nearest known numbers of the same
#: side (parity) below and above when they differ by at most this much (``interpolated``).
geocode_max_number_gap: int = 10

#: A street-only result (house number missing or unknown) is the centre of the street's known
#: addresses, given only when they lie within this distance (metres) of it; else not placed.
geocode_street_only_max_m: float = 300.0

# -- the server's data folder (issue "One register for the whole team") ----------------------------

#: The one folder on the server whose files the app offers by name (address files, OSM extracts,
#: building snapshots, walking networks). ``None``: ``QM_FILES_DIR``; unset, the app offers uploads
#: only. Pages never read a path a user typed.
server_files_dir: Path | None = None


def server_files_folder() -> Path | None:
    """The configured server data folder (:data:`server_files_dir` or ``QM_FILES_DIR``), or ``None``."""
    if server_files_dir is not None:
        return Path(server_files_dir)
    return _env_path("QM_FILES_DIR")
