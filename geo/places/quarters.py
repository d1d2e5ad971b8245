"""The quarters (Quartiere) and their Ortsteile, as configured in ``data/quarters.toml``.

A *quarter* (e.g. "Leipziger Osten") is a configured set of Ortsteile with its office.
:func:`load_quarters` reads the configuration (:class:`QuarterConfig` per quarter);
:func:`quarter_names`, :func:`get_quarter`, :func:`ortsteile_of` and :func:`quarter_of` look
names up, tolerating spelling variants (:func:`geo.text.place_key`: "Gruenau" is "Grünau").
The boundaries and the spatial assignment of units are in :mod:`geo.places.areas`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geo import settings
from geo.errors import InputError
from geo.text import place_key

__all__ = ["QuarterConfig", "get_quarter", "load_quarters", "ortsteile_of", "quarter_names", "quarter_of"]


@dataclass(frozen=True)
class QuarterConfig:
    """One quarter as configured in ``data/quarters.toml``.

    Parameters
    ----------
    name
        Display name, e.g. ``"Leipziger Osten"``.
    slug
        ASCII key for URLs, file names and command-line options, e.g. ``"leipziger-osten"``.
    ortsteile
        Names of the Ortsteile that form the quarter, in official spelling.
    office_name
        Name of the quarter office.
    office_address
        Postal address of the quarter office.
    office_lon
        Longitude of the office (EPSG:4326).
    office_lat
        Latitude of the office (EPSG:4326).
    office_configured
        False when the office's address is not entered yet (``configured = false`` in its ``office``
        table): its point is then only approximate, and walks start at their first stop instead.
    """

    name: str
    slug: str
    ortsteile: tuple[str, ...]
    office_name: str
    office_address: str
    office_lon: float
    office_lat: float
    office_configured: bool = True

    def has_ortsteil(self, ortsteil: str) -> bool:
        """Whether an Ortsteil (in any tolerated spelling) belongs to this quarter."""
        key = place_key(ortsteil)
        return any(place_key(o) == key for o in self.ortsteile)


def load_quarters(path: str | Path | None = None) -> dict[str, QuarterConfig]:
    """Read the quarter configuration.

    Parameters
    ----------
    path
        TOML file with one table ``[quarters."<Name>"]`` per quarter (keys
        ``slug``, ``ortsteile``, ``office = {name, address, lon, lat}``; ``configured = false`` in
        ``office`` marks an office whose address is not entered yet, ``address`` may then be left out).
        Default :data:`geo.settings.quarters_config_path`.

    Returns
    -------
    dict[str, QuarterConfig]
        Quarters by display name, in file order.

    Raises
    ------
    InputError
        If the file is missing, is no valid TOML or lacks required entries.
    """
    path = Path(path) if path is not None else Path(settings.quarters_config_path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"Quartierskonfiguration nicht gefunden: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"Quartierskonfiguration {path.name} ist kein gültiges TOML: {exc}"
        ) from exc

    tables = raw.get("quarters")
    if not isinstance(tables, dict) or not tables:
        raise InputError(
            f"Quartierskonfiguration {path.name} enthält keine Quartiere. "
            'Erwartet wird je Quartier eine Tabelle [quarters."Name"].'
        )
    quarters: dict[str, QuarterConfig] = {}
    seen_slugs: dict[str, str] = {}
    seen_ortsteile: dict[str, str] = {}
    for name, table in tables.items():
        config = _quarter_from_table(name, table, path.name)
        if config.slug in seen_slugs:
            raise InputError(
                f"Quartierskonfiguration {path.name}: Kürzel (slug) „{config.slug}“ "
                f"ist doppelt vergeben ({seen_slugs[config.slug]}, {name})."
            )
        seen_slugs[config.slug] = name
        for ortsteil in config.ortsteile:
            key = place_key(ortsteil)
            if key in seen_ortsteile:
                raise InputError(
                    f"Quartierskonfiguration {path.name}: Ortsteil „{ortsteil}“ ist mehreren "
                    f"Quartieren zugeordnet ({seen_ortsteile[key]}, {name})."
                )
            seen_ortsteile[key] = name
        quarters[name] = config
    return quarters


def _quarter_from_table(name: str, table: object, file_name: str) -> QuarterConfig:
    where = f"Quartierskonfiguration {file_name}, Quartier „{name}“"
    if not isinstance(table, dict):
        raise InputError(f"{where}: Eintrag muss eine Tabelle sein.")
    slug = table.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        raise InputError(
            f"{where}: „slug“ fehlt oder ist ungültig (erlaubt: Kleinbuchstaben a–z, "
            f'Ziffern und Bindestriche, z. B. "leipziger-osten"), gefunden: {slug!r}.'
        )
    ortsteile = table.get("ortsteile")
    if (
        not isinstance(ortsteile, list)
        or not ortsteile
        or not all(isinstance(o, str) and o.strip() for o in ortsteile)
    ):
        raise InputError(f"{where}: „ortsteile“ muss eine nicht leere Liste von Namen sein.")
    office = table.get("office")
    if not isinstance(office, dict):
        raise InputError(
            f"{where}: Tabelle „office“ (name, address, lon, lat) für das Quartiersbüro fehlt."
        )
    configured = office.get("configured", True)
    if not isinstance(configured, bool):
        raise InputError(f"{where}: „office.configured“ muss true oder false sein, gefunden: {configured!r}.")
    required = ("name", "address", "lon", "lat") if configured else ("name", "lon", "lat")
    missing = [key for key in required if key not in office]
    if missing:
        raise InputError(f"{where}: im Eintrag „office“ fehlt {', '.join(missing)}.")
    lon, lat = office["lon"], office["lat"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        raise InputError(f"{where}: „office.lon“ und „office.lat“ müssen Zahlen sein.")
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
        raise InputError(
            f"{where}: Bürostandort lon={lon}, lat={lat} liegt nicht in Leipzig "
            "(lon etwa 12,2–12,6, lat etwa 51,2–51,5; Werte vertauscht?)."
        )
    return QuarterConfig(
        name=name,
        slug=slug,
        ortsteile=tuple(o.strip() for o in ortsteile),
        office_name=str(office["name"]),
        office_address=str(office.get("address", "")),
        office_lon=float(lon),
        office_lat=float(lat),
        office_configured=configured,
    )


def quarter_names(*, quarters: Mapping[str, QuarterConfig] | None = None) -> tuple[str, ...]:
    """Display names of the configured quarters, in configuration order.

    Parameters
    ----------
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    tuple[str, ...]
        For example ``("Leipziger Osten", "Grünau")``.
    """
    quarters = load_quarters() if quarters is None else quarters
    return tuple(quarters)


def get_quarter(key: str, *, quarters: Mapping[str, QuarterConfig] | None = None) -> QuarterConfig:
    """Look a quarter up by display name or slug, tolerating spelling variants.

    Parameters
    ----------
    key
        ``"Grünau"``, ``"gruenau"``, ``"Leipziger Osten"`` or ``"leipziger-osten"``, ...
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    QuarterConfig
        The matching quarter.

    Raises
    ------
    InputError
        If no quarter matches; the message lists the configured ones.
    """
    quarters = load_quarters() if quarters is None else quarters
    wanted = place_key(key)
    for config in quarters.values():
        if wanted in (place_key(config.name), place_key(config.slug)):
            return config
    choices = ", ".join(f"{c.name} ({c.slug})" for c in quarters.values())
    raise InputError(f"Unbekanntes Quartier „{key}“. Konfiguriert sind: {choices}.")


def ortsteile_of(
    quarter: str, *, quarters: Mapping[str, QuarterConfig] | None = None
) -> tuple[str, ...]:
    """Ortsteile of one quarter.

    Parameters
    ----------
    quarter
        Display name or slug of the quarter (see :func:`get_quarter`).
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    tuple[str, ...]
        Names in official spelling, in configuration order.
    """
    return get_quarter(quarter, quarters=quarters).ortsteile


def quarter_of(ortsteil: str, *, quarters: Mapping[str, QuarterConfig] | None = None) -> str | None:
    """Quarter an Ortsteil belongs to.

    Parameters
    ----------
    ortsteil
        Ortsteil name in any tolerated spelling.
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    str or None
        Display name of the quarter, or None if the Ortsteil is in none.
    """
    quarters = load_quarters() if quarters is None else quarters
    return _quarter_lookup(quarters).get(place_key(ortsteil))


def _quarter_lookup(quarters: Mapping[str, QuarterConfig]) -> dict[str, str]:
    return {place_key(o): q.name for q in quarters.values() for o in q.ortsteile}


def _official_spelling(quarters: Mapping[str, QuarterConfig]) -> dict[str, str]:
    return {place_key(o): o for q in quarters.values() for o in q.ortsteile}
