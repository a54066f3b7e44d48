"""Resolve a reported WGS84 location to a Dadukou street/town and its area class.

Boundary data lives in ``data/streets.geojson`` (one Polygon per street/town).
Those polygons are APPROXIMATE hand-drawn sketches, not official civil-affairs
boundaries: good enough to route a report to roughly the right street, not to
settle disputes near a border. Swap in official data without touching this code.

Pure Python on purpose (no shapely/pyproj): eight small polygons do not justify
a native dependency, and planar ray casting on lng/lat is accurate enough at
district scale.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from domain.departments import DEPARTMENTS

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "streets.geojson"

# Unknown or missing street: "B" is the middle class, so an unlocated report is
# neither over- nor under-prioritised.
DEFAULT_AREA_CLASS = "B"
AREA_CLASSES = frozenset({"A", "B", "C"})

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

# An edge stored as (lat_low, lng_at_low, lat_high, lng_at_high); see _edge().
Edge = tuple[float, float, float, float]
Ring = list[tuple[float, float]]  # (lng, lat), GeoJSON order


def _edge(a: tuple[float, float], b: tuple[float, float]) -> Edge:
    # Store every edge bottom-up so two neighbours sharing an edge (walked in
    # opposite directions) compute bit-identical crossings; this is what makes
    # a point on a shared edge land in exactly one of them.
    (ax, ay), (bx, by) = a, b
    if ay <= by:
        return (ay, ax, by, bx)
    return (by, bx, ay, ax)


class _Street:
    __slots__ = ("area_class", "bbox", "code", "edges", "name")

    def __init__(self, code: str, name: str, area_class: str, rings: list[Ring]) -> None:
        self.code = code
        self.name = name
        self.area_class = area_class
        # Horizontal edges never cross a horizontal ray, so drop them up front.
        self.edges: list[Edge] = [
            _edge(ring[i], ring[i + 1])
            for ring in rings
            for i in range(len(ring) - 1)
            if ring[i][1] != ring[i + 1][1]
        ]
        lngs = [p[0] for ring in rings for p in ring]
        lats = [p[1] for ring in rings for p in ring]
        # (min_lat, min_lng, max_lat, max_lng): cheap reject before ray casting.
        self.bbox = (min(lats), min(lngs), max(lats), max(lngs))

    def contains(self, lat: float, lng: float) -> bool:
        min_lat, min_lng, max_lat, max_lng = self.bbox
        if not (min_lat <= lat <= max_lat and min_lng <= lng <= max_lng):
            return False
        inside = False
        for lat_lo, lng_lo, lat_hi, lng_hi in self.edges:
            # Half-open in latitude so a vertex shared by two edges is counted
            # once, and a point on a shared east-west edge goes to the north side.
            if lat_lo <= lat < lat_hi:
                cross = lng_lo + (lat - lat_lo) * (lng_hi - lng_lo) / (lat_hi - lat_lo)
                # Strict "<": a point exactly on an edge belongs to the polygon
                # on the edge's east side, never to both neighbours.
                if lng < cross:
                    inside = not inside
        return inside


def _load(path: Path) -> dict[str, _Street]:
    with path.open(encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    streets: dict[str, _Street] = {}
    for feature in doc["features"]:
        props = feature["properties"]
        geom = feature["geometry"]
        code, cls = props["code"], props["area_class"]
        # Fail at import rather than mis-route reports later.
        if geom["type"] != "Polygon":
            raise ValueError(f"{path}: {code}: expected Polygon, got {geom['type']}")
        if cls not in AREA_CLASSES:
            raise ValueError(f"{path}: {code}: bad area_class {cls!r}")
        if code in streets:
            raise ValueError(f"{path}: duplicate street code {code!r}")
        # All rings (outer + any holes) go into one even-odd test, so holes work.
        rings = [[(float(x), float(y)) for x, y, *_ in ring] for ring in geom["coordinates"]]
        streets[code] = _Street(code, props["name"], cls, rings)
    return streets


@cache
def _streets() -> dict[str, _Street]:
    """Loaded on first use, not at import: domain/ does no I/O when imported."""
    streets = _load(DATA_PATH)
    if {c: s.name for c, s in streets.items()} != STREETS:
        raise ValueError(f"{DATA_PATH}: streets differ from domain.departments' eight")
    return streets


# The eight streets and towns (their codes are departments too).
STREETS: dict[str, str] = {code: DEPARTMENTS[code] for code in (
    "xinshancun", "yuejincun", "jiugongmiao", "qiezixi", "chunhuilu", "baqiao", "jiansheng",
    "tiaodeng")}


def _contains(street: str, lat: float, lng: float) -> bool:
    """Whether ``street``'s polygon contains the point (exposed for tests)."""
    return _streets()[street].contains(lat, lng)


def locate(lat: float, lng: float) -> str | None:
    """Street code whose polygon contains (lat, lng), or None outside the district."""
    # File order is the tie-break; with the half-open rule above a shared edge
    # already belongs to exactly one polygon, so this only matters for bad data.
    for code, street in _streets().items():
        if street.contains(lat, lng):
            return code
    return None


def area_class(street: str) -> str:
    """Area class "A"/"B"/"C" of a street code; KeyError if the code is unknown."""
    try:
        return _streets()[street].area_class
    except KeyError:
        raise KeyError(f"unknown street code {street!r}") from None


def resolve(lat: float | None, lng: float | None, street: str | None) -> tuple[str | None, str]:
    """Return (street_code or None, area_class) for a report.

    An explicit street wins over the location: the reporter (or an operator)
    naming a street is more trustworthy than a phone GPS fix. An explicit but
    unknown code is a caller bug, so it raises rather than silently falling back.
    ``None`` or an empty string means "no street given".
    """
    if street:
        if street not in _streets():
            known = ", ".join(sorted(_streets()))
            raise ValueError(f"unknown street code {street!r}; expected one of: {known}")
        return street, _streets()[street].area_class
    if lat is None or lng is None:
        return None, DEFAULT_AREA_CLASS
    code = locate(lat, lng)
    if code is None:
        return None, DEFAULT_AREA_CLASS
    return code, _streets()[code].area_class


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    # min() guards against h creeping past 1.0 through rounding (antipodal points).
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))
