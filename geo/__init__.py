"""Quartiersmonitor: vacancy and site-development monitoring for Leipzig's urban-renewal quarters.

The public surface, by domain (see the README's code map):

- :func:`open_store` opens the register (a GeoPackage file, or a PostGIS database by its
  ``postgresql://`` URL) and ``store.read()`` gives a :class:`Register`;
  ``store.write(changes, expected_version=...)`` writes a :class:`ChangeSet` in one transaction;
- :mod:`geo.register.stats` computes the figures (``status_at``, ``stats``, ``timeline``,
  ``events``, ``vacancy_spells``, ``compare``);
- :mod:`geo.register.io` imports and exports lists (the import pipeline is
  :mod:`geo.register.imports`); :mod:`geo.places.areas` handles Ortsteile and quarters;
  :mod:`geo.osm` OpenStreetMap; :mod:`geo.walks` outreach walks; :mod:`geo.outputs` maps,
  charts and the period report;
- :mod:`geo.settings` holds every knob, :mod:`geo.errors` the errors; :mod:`geo.text`,
  :mod:`geo.dates` and :mod:`geo.formats` the shared rules for names, dates and German formats.
"""

from geo.errors import InputError, QuartiersmonitorError, SchemaVersionError, StoreConflict, StoreError
from geo.register.history import Register
from geo.register.model import STATUSES, Status
from geo.register.store import ChangeSet, GeoPackageStore, PostgisStore, open_store

__version__ = "0.1.0"

__all__ = [
    "ChangeSet",
    "GeoPackageStore",
    "InputError",
    "PostgisStore",
    "QuartiersmonitorError",
    "Register",
    "STATUSES",
    "SchemaVersionError",
    "Status",
    "StoreConflict",
    "StoreError",
    "__version__",
    "open_store",
]
