"""Quartiersmonitor: vacancy and site-development monitoring for Leipzig's urban-renewal quarters.

The public surface:

- :func:`open_store` opens the register (a GeoPackage) and ``store.read()`` gives a
  :class:`Register`;
- :mod:`geo.register.stats` computes the figures (``status_at``, ``stats``, ``timeline``,
  ``events``, ``vacancy_spells``, ``compare``);
- :mod:`geo.register.io` imports and exports lists (validation in :mod:`geo.register.imports`); :mod:`geo.places.areas` handles
  Ortsteile and quarters; :mod:`geo.register.demo` makes the fictional demo register.
"""

from geo.errors import InputError, QuartiersmonitorError, SchemaVersionError, StoreError
from geo.register.history import Register
from geo.register.model import STATUSES, Status
from geo.register.store import ChangeSet, GeoPackageStore, open_store

__version__ = "0.1.0"

__all__ = [
    "ChangeSet",
    "GeoPackageStore",
    "InputError",
    "QuartiersmonitorError",
    "Register",
    "STATUSES",
    "SchemaVersionError",
    "Status",
    "StoreError",
    "__version__",
    "open_store",
]
