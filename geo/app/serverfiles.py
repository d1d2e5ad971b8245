"""Files of the server's one configured data folder, offered by name.

Pages never open a path a user typed (issue "One register for the whole
team"): a file comes by upload, or from :func:`geo.settings.server_files_folder`,
listed here by name and opened only if it is one of the listed names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from geo import settings
from geo.errors import InputError
from geo.text import sort_key

__all__ = ["SNAPSHOT_ENV", "list_server_files", "server_file", "snapshot_folders"]


def _matches(path: Path, suffixes: tuple[str, ...]) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and (not suffixes or name.endswith(suffixes))


def list_server_files(*, suffixes: Iterable[str] = (), folders: bool = False) -> list[str]:
    """Names of the files (or sub-folders) in the server data folder, sorted as a German reader expects.

    Parameters
    ----------
    suffixes
        Accepted endings (``".csv"``, ``".osm"``); empty: every file.
    folders
        List sub-folders instead of files (e.g. a folder of yearly snapshots).

    Returns
    -------
    list of str
        Names without any path; empty when no folder is configured or it does not exist.
    """
    root = settings.server_files_folder()
    if root is None or not root.is_dir():
        return []
    wanted = tuple(s.lower() for s in suffixes)
    names = [
        p.name
        for p in root.iterdir()
        if (p.is_dir() if folders else p.is_file()) and _matches(p, () if folders else wanted)
    ]
    return sorted(names, key=sort_key)


def server_file(name: str, *, suffixes: Iterable[str] = (), folders: bool = False) -> Path:
    """The path of ``name`` in the server data folder, if it is one of the listed names.

    Raises
    ------
    InputError
        When no folder is configured or ``name`` is not listed there (a name with
        a path in it never is).
    """
    root = settings.server_files_folder()
    if root is None:
        raise InputError(
            "Auf dem Server ist kein Datenordner eingerichtet (QM_FILES_DIR); bitte die Datei hochladen."
        )
    if name not in list_server_files(suffixes=suffixes, folders=folders):
        raise InputError(
            f"{name!r} ist keine Datei des Datenordners auf dem Server; bitte aus der Liste wählen."
        )
    return root / name


#: Environment variable naming a folder of yearly OSM building snapshots set up on the server.
SNAPSHOT_ENV = "QM_OSM_BUILDINGS"


def snapshot_folders() -> dict[str, Path]:
    """Folders of building snapshots the server offers, by the name shown (never a typed path).

    The folder named by ``QM_OSM_BUILDINGS`` (set up on the server), then every
    sub-folder of the server data folder (:func:`list_server_files`).
    """
    found: dict[str, Path] = {}
    configured = os.environ.get(SNAPSHOT_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        found[f"{path.name} ({SNAPSHOT_ENV})"] = path
    for name in list_server_files(folders=True):
        found.setdefault(name, server_file(name, folders=True))
    return found
