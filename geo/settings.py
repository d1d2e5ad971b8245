"""Global settings of the Quartiersmonitor library.

Change them by assignment, e.g. ``geo.settings.location_tolerance_m = 40``,
as with ``osmnx.settings``. Environment variables set the initial values
where noted.
"""

from __future__ import annotations

import os
from pathlib import Path

#: CRS every geometry is stored in.
storage_crs: str = "EPSG:4326"

#: CRS for lengths, areas and distances (ETRS89 / UTM zone 33N, Leipzig's own CRS).
metric_crs: str = "EPSG:25833"

#: Folder with the project's own data: demo register, approximate boundaries, quarter config.
data_dir: Path = Path(__file__).resolve().parent.parent / "data"

#: The committed demo register (fictional), made by ``python -m geo demo``.
demo_store_path: Path = data_dir / "demo.gpkg"

#: Working copy of the demo register that the app and CLI write to (git-ignored).
#: ``QM_STORE`` names another store to use by default.
default_store_path: Path = Path(os.environ.get("QM_STORE", data_dir / "demo-work.gpkg"))

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
