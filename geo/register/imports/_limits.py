"""Limits of one import (size, rows, archives), checked before anything big is read.

The limits are settings (:mod:`geo.settings`); every message names the
setting and its environment variable, so the office knows how to raise one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_int

#: An archive that expands to less than this is never treated as a zip bomb, whatever its
#: ratio: small archives of padded DBF files compress very well and are harmless.
RATIO_MIN_EXPANDED = 10 * 1024 * 1024


def fmt_bytes(n: int) -> str:
    """``12,5 MB`` (German)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".", ",")
    return f"{n} Byte"


def setting_text(name: str, env: str) -> str:
    """How to raise a limit: ``Einstellung settings.X, Umgebungsvariable QM_X``."""
    return f"Einstellung settings.{name}, Umgebungsvariable {env}"


def check_file_size(p: Path, size: int) -> None:
    """Raise when ``size`` bytes exceed :data:`geo.settings.max_import_bytes`."""
    if size > settings.max_import_bytes:
        raise InputError(
            f"'{p.name}' ist {fmt_bytes(size)} groß; erlaubt sind höchstens "
            f"{fmt_bytes(settings.max_import_bytes)} je Import "
            f"({setting_text('max_import_bytes', 'QM_MAX_IMPORT_BYTES')}). Bitte die Liste "
            "aufteilen oder den Grenzwert erhöhen."
        )


def check_row_count(name: str, n: int, *, more: bool = False) -> None:
    """Raise when ``n`` data rows exceed :data:`geo.settings.max_import_rows`."""
    limit = settings.max_import_rows
    if n > limit:
        count = f"mehr als {fmt_int(limit)}" if more else fmt_int(n)
        raise InputError(
            f"'{name}' hat {count} Datenzeilen; erlaubt sind höchstens {fmt_int(limit)} je Import "
            f"({setting_text('max_import_rows', 'QM_MAX_IMPORT_ROWS')}). Bitte die Liste "
            "aufteilen oder den Grenzwert erhöhen."
        )


def check_archive(p: Path, archive: zipfile.ZipFile) -> None:
    """Refuse archives that would expand too much, from their directory alone (nothing unpacked).

    Raises
    ------
    geo.errors.InputError
        Above :data:`geo.settings.max_expanded_bytes`, or above
        :data:`geo.settings.max_expansion_ratio` (for archives expanding to
        more than 10 MB).
    """
    expanded = sum(max(info.file_size, 0) for info in archive.infolist())
    limit = settings.max_expanded_bytes
    if expanded > limit:
        raise InputError(
            f"'{p.name}' würde entpackt {fmt_bytes(expanded)} groß; erlaubt sind höchstens "
            f"{fmt_bytes(limit)} ({setting_text('max_expanded_bytes', 'QM_MAX_EXPANDED_BYTES')}). "
            "Bitte die Datei prüfen (beschädigt oder absichtlich aufgebläht?), die Liste aufteilen "
            "oder den Grenzwert erhöhen."
        )
    ratio = expanded / max(p.stat().st_size, 1)
    if expanded > RATIO_MIN_EXPANDED and ratio > settings.max_expansion_ratio:
        raise InputError(
            f"'{p.name}' würde sich beim Entpacken auf das {ratio:.0f}-Fache vergrößern "
            f"({fmt_bytes(expanded)}); erlaubt ist höchstens das {settings.max_expansion_ratio}-Fache "
            f"({setting_text('max_expansion_ratio', 'QM_MAX_EXPANSION_RATIO')}). So stark "
            "gepackte Dateien sind meist beschädigt oder Zip-Bomben; bitte die Datei prüfen oder den "
            "Grenzwert erhöhen."
        )
