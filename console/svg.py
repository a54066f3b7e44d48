"""Charts and the district map, drawn on the server as SVG markup (no chart library, no tile
server): each function returns a string the templates insert as is. Every drawing carries a
<title> and an aria-label, so a screen reader hears what it shows."""

import json
import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from config import ROOT

STREETS_FILE = ROOT / "data" / "streets.geojson"


def _load_streets() -> list[dict[str, Any]]:
    """[{code, name, rings: [[(lng, lat), ...]]}]: static reference data, read once."""
    doc = json.loads(STREETS_FILE.read_text(encoding="utf-8"))
    out = []
    for feature in doc["features"]:
        geometry = feature["geometry"]
        polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                    else [geometry["coordinates"]])
        out.append({"code": feature["properties"]["code"],
                    "name": feature["properties"]["name"],
                    "rings": [[(float(p[0]), float(p[1])) for p in ring]
                              for polygon in polygons for ring in polygon]})
    return out


STREETS = _load_streets()


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(kind: str, width: float, height: float, label: str, role: str = "img") -> str:
    text = escape(label)
    return (f'<svg class="{kind}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {_num(width)} {_num(height)}" role="{role}" aria-label="{text}">'
            f"<title>{text}</title>")


def _short(text: str, size: int = 14) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def bar_chart(title: str, rows: Sequence[tuple[str, float | None]], *,
              as_percent: bool = True) -> Markup:
    """Horizontal bars, one per (label, value); a rate runs from 0 to 100%, a count from 0 to
    its largest value. A missing value (no cases to rate) is a dash without a bar."""
    label_w, bar_w, row_h, top = 150, 220, 24, 8
    width, height = label_w + bar_w + 70, top * 2 + row_h * max(len(rows), 1)
    known = [v for _, v in rows if v is not None]
    scale = 1.0 if as_percent else max(known + [1])
    parts = [_open("chart", width, height, title)]
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        shown = percent(value) if as_percent else ("—" if value is None else _num(value))
        parts.append(f'<g><title>{escape(label)}：{shown}</title>'
                     f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">'
                     f"{escape(_short(label))}</text>")
        length = 0.0 if value is None else bar_w * min(value / scale, 1.0)
        parts.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{_num(length)}" '
                     f'height="{row_h - 8}"/>'
                     f'<text x="{_num(label_w + length + 6)}" y="{y + 16}">{shown}</text></g>')
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 16}">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def week_chart(title: str, weeks: Sequence[dict[str, Any]]) -> Markup:
    """Reported and closed cases per week, side by side, with a legend."""
    left, bottom, top, plot_h, slot = 40, 40, 34, 200, 52
    width, height = left + slot * max(len(weeks), 1) + 10, top + plot_h + bottom
    most = max([w["reported"] for w in weeks] + [w["closed"] for w in weeks] + [1])
    parts = [_open("chart weeks", width, height, title),
             f'<rect class="bar" x="{left}" y="8" width="12" height="12"/>'
             f'<text x="{left + 16}" y="19">上报</text>'
             f'<rect class="bar2" x="{left + 70}" y="8" width="12" height="12"/>'
             f'<text x="{left + 86}" y="19">结案</text>',
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 10}" '
             f'y2="{top + plot_h}"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{most}</text>'
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    for i, week in enumerate(weeks):
        x = left + i * slot + 6
        parts.append(f'<g><title>{escape(week["week"])}（{escape(week["start"])} 起）：'
                     f'上报 {week["reported"]}，结案 {week["closed"]}</title>')
        for j, (key, kind) in enumerate((("reported", "bar"), ("closed", "bar2"))):
            h = plot_h * week[key] / most
            parts.append(f'<rect class="{kind}" x="{x + j * 20}" y="{_num(top + plot_h - h)}" '
                         f'width="18" height="{_num(h)}"/>')
        parts.append(f'<text x="{x + 19}" y="{top + plot_h + 16}" text-anchor="middle">'
                     f'{escape(week["week"][-3:])}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


class Projection:
    """Equirectangular, x shrunk by cos(latitude): true enough for a district 20 km across."""

    def __init__(self, rings: Sequence[Sequence[tuple[float, float]]], width: float,
                 height: float) -> None:
        points = [p for ring in rings for p in ring]
        self.west, self.east = min(p[0] for p in points), max(p[0] for p in points)
        self.south, self.north = min(p[1] for p in points), max(p[1] for p in points)
        self.kx = math.cos(math.radians((self.south + self.north) / 2))
        self.pad = 12
        # the largest drawing that fits the box, whichever way the district is longer
        self.scale = min((width - 2 * self.pad) / ((self.east - self.west) * self.kx),
                         (height - 2 * self.pad) / (self.north - self.south))
        self.width = (self.east - self.west) * self.kx * self.scale + 2 * self.pad
        self.height = (self.north - self.south) * self.scale + 2 * self.pad

    def __call__(self, lng: float, lat: float) -> tuple[float, float]:
        return (self.pad + (lng - self.west) * self.kx * self.scale,
                self.pad + (self.north - lat) * self.scale)

    def inside(self, lng: float, lat: float) -> bool:
        return self.west <= lng <= self.east and self.south <= lat <= self.north


def _centre(ring: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The vertex average of an outer ring (inside these convex street outlines)."""
    body = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    return (sum(p[0] for p in body) / len(body), sum(p[1] for p in body) / len(body))


def street_map(title: str, cases: Sequence[dict[str, Any]], width: float = 900,
               height: float = 640) -> Markup:
    """The streets as outlined, labelled paths and each case (dict with id, lat, lng, kind,
    text) as a circle linking to its page. Cases outside the district's box are left out."""
    project = Projection([ring for s in STREETS for ring in s["rings"]], width, height)
    parts = [_open("map", project.width, project.height, title, role="group")]
    for street in STREETS:
        d = " ".join("M" + " L".join("{},{}".format(*map(_num, project(*p))) for p in ring)
                     + " Z" for ring in street["rings"])
        parts.append(f'<path d="{d}" data-street="{escape(street["code"])}">'
                     f'<title>{escape(street["name"])}</title></path>')
    for street in STREETS:
        x, y = project(*_centre(street["rings"][0]))
        xs = [project(*p)[0] for p in street["rings"][0]]
        # a narrow street gets a smaller label, so neighbours' names do not run together
        size = max(9.0, min(14.0, 0.85 * (max(xs) - min(xs)) / len(street["name"])))
        parts.append(f'<text class="street" x="{_num(x)}" y="{_num(y)}" '
                     f'font-size="{_num(size)}" text-anchor="middle">'
                     f'{escape(street["name"])}</text>')
    # overdue cases last, so they are drawn on top of their neighbours
    for case in sorted(cases, key=lambda c: c.get("kind") == "overdue"):
        if case.get("lat") is None or case.get("lng") is None \
                or not project.inside(case["lng"], case["lat"]):
            continue
        x, y = project(case["lng"], case["lat"])
        parts.append(f'<a href="/ui/incidents/{escape(case["id"])}" '
                     f'aria-label="{escape(case["text"])}">'
                     f'<circle class="c-{escape(case["kind"])}" cx="{_num(x)}" cy="{_num(y)}" '
                     f'r="7"><title>{escape(case["text"])}</title></circle></a>')
    parts.append("</svg>")
    return Markup("".join(parts))
