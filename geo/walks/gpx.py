"""GPX 1.1 of a planned walk: the route as a track, each stop as a waypoint (for GPS devices and apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from geo.formats import fmt_number

if TYPE_CHECKING:  # pragma: no cover
    from geo.walks.plan import WalkPlan

__all__ = ["walk_gpx"]


def walk_gpx(plan: WalkPlan, *, name: str | None = None) -> str:
    """A planned walk as GPX 1.1: the route as a track, each stop as a waypoint.

    Waypoints are named by order and address (``"1 Eisenbahnstraße 66"``),
    in walking order; their description holds the unit id and the
    planned arrival. Start and end are the ends of the track.

    Parameters
    ----------
    plan
        The walk.
    name
        Name of the track; default ``"Begehung ab <start>"``.

    Returns
    -------
    str
        The GPX document.
    """
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Quartiersmonitor"
    title = name or f"Begehung ab {plan.start.name}"
    gpx.name = title
    gpx.description = plan.summary
    for _, row in plan.stops.iterrows():
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=float(row["lat"]),
                longitude=float(row["lon"]),
                name=f"{int(row['order'])} {row['label']}",
                description=f"{row['unit_id']}; Ankunft nach etwa {fmt_number(float(row['eta_min']))} min",
            )
        )
    track = gpxpy.gpx.GPXTrack(name=title)
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points = [gpxpy.gpx.GPXTrackPoint(latitude=y, longitude=x) for x, y in plan.route.coords]
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")
