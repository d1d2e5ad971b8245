"""The demo flag and the demo working copy.

A store whose ``qm_meta`` has ``demo = true`` holds the fictional demo: it can be
reset (:func:`reset_demo_store`) and refuses imports of files
(:func:`geo.register.store.base.demo_import_refusal`), so real data never lands in a
file that may be thrown away. Without a named register, the app and the reading
commands use a working copy of the committed demo (:func:`demo_working_copy`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from geo import settings
from geo.errors import StoreError
from geo.register.store.gpkg import GeoPackageStore


def is_demo_store(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a store flagged as the fictional demo; ``False`` for anything else."""
    try:
        return GeoPackageStore(Path(path)).is_demo
    except StoreError:
        return False


def demo_working_copy() -> Path:
    """The working copy of the demo register in the user's data folder, made on first use.

    See :func:`geo.settings.demo_work_path`; it is copied from the committed demo
    (:data:`geo.settings.demo_store_path`).
    """
    target = settings.demo_work_path()
    if not target.exists():
        reset_demo_store(target)
    return target


def reset_demo_store(target: str | os.PathLike[str] | None = None) -> Path:
    """Replace a demo store by a fresh copy of the committed demo register.

    Parameters
    ----------
    target
        Default: the demo working copy (:func:`geo.settings.demo_work_path`).
        Created when missing; an existing file is replaced only when it is
        flagged as demo (``qm_meta``: ``demo = true``), so a real register is
        never thrown away.

    Raises
    ------
    StoreError
        ``target`` is not a demo store, is the committed demo itself, or the
        copy fails.
    """
    target = Path(target) if target is not None else settings.demo_work_path()
    source = Path(settings.demo_store_path)
    if not source.exists():
        raise StoreError(
            f"Demo-Register {source} fehlt. Neu erzeugen mit 'python -m geo demo --store {source}'."
        )
    if target.exists():
        if target.resolve() == source.resolve():
            raise StoreError(
                f"{target} ist das ausgelieferte Demo-Register selbst; zurückgesetzt wird nur eine "
                "Arbeitskopie."
            )
        if not is_demo_store(target):
            raise StoreError(
                f"{target} ist kein Demo-Register (in qm_meta fehlt demo = true) und wird nicht "
                "zurückgesetzt: Zurücksetzen ersetzt die Datei und verwirft alles darin."
            )
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise StoreError(
            f"Demo-Arbeitskopie {target} lässt sich nicht anlegen: {exc.strerror or exc}"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target
