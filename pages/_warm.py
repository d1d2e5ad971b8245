"""The register read before the server answers (:func:`pages._serve.read_register`), for the first run that asks.

The first visitor after a server start no longer waits for the register to be read (at
50,000 units about 1 s). The register is handed over once -- the app's cache
(``pages._ui._read``, per store and version) keeps it from then on -- so it is not held
twice. Nothing here declares a Streamlit cache: the module is imported before the runtime.
"""

from __future__ import annotations

from geo.register.history import Register

_READ: dict[tuple[str, int], Register] = {}


def keep(path: str, stamp: int, register: Register) -> None:
    """Keep ``register``, read from the store ``path`` at version ``stamp``, for :func:`take`."""
    _READ.clear()  # one register: the server's
    _READ[(path, stamp)] = register


def take(path: str, stamp: int) -> Register | None:
    """The register kept for this store and version, or None; the first call ends the handover either way."""
    kept = _READ.get((path, stamp))
    _READ.clear()  # written meanwhile, or another store asked first: not kept any longer
    return kept
