"""The ``geocode`` subcommand, and the geocoding options ``import`` shares.

``python -m geo geocode "Eisenbahnstraße 31, 04315 Leipzig" --addresses DATEI [DATEI …]``
(offline, from OSM data or official house coordinates) or ``--nominatim`` (online,
rate-limited and cached) prints the result as JSON: ``lon``, ``lat``, ``method``,
``quality`` (``exact``, ``fuzzy_number``, ``other_postcode``, ``fuzzy_street``,
``interpolated``, ``street_only``, ``not_found``), ``quality_label`` (German),
``matched``, ``score``, ``uncertainty_m``, ``reason``, ``source``, ``query``. One
address gives one object, several a list. Exit code 0 also when an address is not
found (its ``quality`` says so); 2 for bad input or an unreachable Nominatim.

:func:`add_geocode_args` and :func:`geocoder_from_args` give ``import`` its
``--geocode offline|nominatim`` and ``--addresses`` options.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.cli._common import Subparsers, command
from geo.errors import InputError

if TYPE_CHECKING:
    from geo.places.geocoding import Geocoder


def add_geocode_args(p: argparse.ArgumentParser) -> None:
    """Add ``--geocode offline|nominatim`` and ``--addresses DATEI …`` (import)."""
    p.add_argument(
        "--geocode",
        choices=("offline", "nominatim"),
        default=None,
        help="neue Einheiten ohne Koordinaten über ihre Adresse verorten: offline aus --addresses oder "
        "mit Nominatim (online, höchstens eine Anfrage je Sekunde, zwischengespeichert)",
    )
    p.add_argument(
        "--addresses",
        type=Path,
        nargs="+",
        default=None,
        metavar="DATEI",
        help="Adressdateien für --geocode offline: OSM-XML/GeoJSON/GeoPackage mit addr:street und "
        "addr:housenumber oder Hauskoordinaten als CSV/XLSX (Straße, Hausnummer, x/y in EPSG:25833)",
    )


def geocoder_from_args(args: argparse.Namespace) -> Geocoder | None:
    """The geocoder the options name (None without ``--geocode``).

    Raises
    ------
    InputError
        ``--geocode offline`` without ``--addresses``, or ``--addresses`` without ``--geocode offline``.
    """
    kind = getattr(args, "geocode", None)
    addresses = getattr(args, "addresses", None)
    if kind is None and addresses:
        raise InputError("--addresses gilt nur mit --geocode offline (Adressen aus diesen Dateien verorten).")
    if kind == "offline":
        if not addresses:
            raise InputError(
                "--geocode offline braucht Adressdateien: --addresses DATEI [DATEI …] (OSM-XML, GeoJSON oder "
                "GeoPackage mit addr:street/addr:housenumber, oder Hauskoordinaten als CSV/XLSX)."
            )
        from geo.places.geocoding import OfflineGeocoder

        return OfflineGeocoder.from_files(addresses)
    if kind == "nominatim":
        if addresses:
            raise InputError("--addresses gilt nur mit --geocode offline, nicht mit Nominatim.")
        from geo.places.geocoding import NominatimGeocoder

        return NominatimGeocoder()
    return None


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``geocode`` subcommand to the command line.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("geocode", help="Adressen verorten (Adressdatei oder Nominatim), Ausgabe JSON")
    p.add_argument("address", nargs="+", metavar="ADRESSE", help='z. B. "Eisenbahnstraße 31, 04315 Leipzig"')
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--addresses",
        type=Path,
        nargs="+",
        metavar="DATEI",
        help="offline: Adressdateien (OSM-XML/GeoJSON/GeoPackage mit addr:*, Hauskoordinaten CSV/XLSX)",
    )
    source.add_argument(
        "--nominatim",
        action="store_true",
        help="online mit Nominatim (Einstellung nominatim_url, QM_NOMINATIM_URL)",
    )
    p.add_argument(
        "--area",
        type=Path,
        default=None,
        metavar="DATEI",
        help="nur Orte innerhalb dieser Fläche (Polygon-Datei, z. B. Ortsteil- oder Quartiersgrenze)",
    )
    return p


def _area(path: Path | None) -> Any:
    if path is None:
        return None
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        frame = gpd.read_file(path)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"Gebietsdatei {path} kann nicht gelesen werden: {exc}") from exc
    polygons = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise InputError(f"Gebietsdatei {path.name} enthält keine Fläche (Polygon).")
    return polygons if polygons.crs is not None else polygons.set_crs("EPSG:4326")


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``geocode`` subcommand: print the results as JSON (see the module's description)."""
    from geo.places.geocoding import AddressQuery, NominatimGeocoder, OfflineGeocoder

    queries = [AddressQuery.from_text(text) for text in args.address]
    geocoder: Geocoder = NominatimGeocoder() if args.nominatim else OfflineGeocoder.from_files(args.addresses)
    results = geocoder.geocode_many(queries, area=_area(args.area))
    data = [r.to_dict() for r in results]
    print(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2))
    return 0
