"""The district's street polygons (data/streets.geojson, static reference data): a street's
centre for a report placed by street, and the map's outlines."""

import json
from functools import cache
from typing import Any

from config import ROOT

STREETS_FILE = ROOT / "data" / "streets.geojson"


@cache
def streets() -> list[dict[str, Any]]:
    """[{code, name, rings: [[(lng, lat), ...]]}] in the file's order."""
    doc = json.loads(STREETS_FILE.read_text(encoding="utf-8"))
    return [{"code": f["properties"]["code"], "name": f["properties"]["name"],
             "rings": [[(float(p[0]), float(p[1])) for p in ring]
                       for ring in f["geometry"]["coordinates"]]} for f in doc["features"]]


def centre(code: str) -> tuple[float, float] | None:
    """(lat, lng) of the street's outer ring's vertex average: inside these convex outlines."""
    for street in streets():
        if street["code"] == code:
            ring = street["rings"][0][:-1] or street["rings"][0]
            return (sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring))
    return None
