import json

import pytest

from domain.geo import DATA_PATH, STREETS, _contains, area_class, distance_m, locate, resolve

EXPECTED_STREETS = {
    "xinshancun": "新山村街道",
    "yuejincun": "跃进村街道",
    "jiugongmiao": "九宫庙街道",
    "qiezixi": "茄子溪街道",
    "chunhuilu": "春晖路街道",
    "baqiao": "八桥镇",
    "jiansheng": "建胜镇",
    "tiaodeng": "跳磴镇",
}
EXPECTED_CLASSES = {
    "xinshancun": "A",
    "jiugongmiao": "A",
    "chunhuilu": "A",
    "yuejincun": "A",
    "qiezixi": "B",
    "baqiao": "B",
    "jiansheng": "C",
    "tiaodeng": "C",
}
BEIJING = (39.9042, 116.4074)


def _rings() -> dict[str, list[tuple[float, float]]]:
    doc = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    return {
        f["properties"]["code"]: [(x, y) for x, y in f["geometry"]["coordinates"][0]]
        for f in doc["features"]
    }


def _centroid(ring: list[tuple[float, float]]) -> tuple[float, float]:
    """Area centroid (lat, lng) of a closed (lng, lat) ring via the shoelace formula."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2
    return cy / (6 * a), cx / (6 * a)


RINGS = _rings()


def test_file_documents_approximation() -> None:
    doc = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    assert "approximate" in doc["description"].lower()


def test_streets_match_expected_codes_and_names() -> None:
    assert STREETS == EXPECTED_STREETS


def test_polygons_are_simple_closed_rings_of_5_to_12_vertices() -> None:
    for code, ring in RINGS.items():
        assert ring[0] == ring[-1], code
        distinct = ring[:-1]
        assert len(set(distinct)) == len(distinct), code
        assert 5 <= len(distinct) <= 12, code


@pytest.mark.parametrize("code", sorted(EXPECTED_STREETS))
def test_centroid_resolves_to_own_street(code: str) -> None:
    lat, lng = _centroid(RINGS[code])
    assert _contains(code, lat, lng), f"centroid of {code} is not inside it"
    assert locate(lat, lng) == code
    assert resolve(lat, lng, None) == (code, EXPECTED_CLASSES[code])


def test_district_government_is_in_the_core() -> None:
    assert locate(29.481, 106.482) in {"jiugongmiao", "xinshancun"}


def test_point_far_outside_is_none() -> None:
    assert locate(*BEIJING) is None
    assert resolve(*BEIJING, None) == (None, "B")


def test_explicit_street_overrides_location() -> None:
    lat, lng = _centroid(RINGS["tiaodeng"])
    assert resolve(lat, lng, "chunhuilu") == ("chunhuilu", "A")
    assert resolve(*BEIJING, "qiezixi") == ("qiezixi", "B")
    assert resolve(None, None, "jiansheng") == ("jiansheng", "C")


def test_unknown_explicit_street_raises() -> None:
    with pytest.raises(ValueError, match="unknown street code 'nowhere'"):
        resolve(29.48, 106.48, "nowhere")


def test_missing_location_and_street_defaults_to_b() -> None:
    assert resolve(None, None, None) == (None, "B")
    assert resolve(29.48, None, None) == (None, "B")
    assert resolve(None, None, "") == (None, "B")


def test_area_classes() -> None:
    for code, cls in EXPECTED_CLASSES.items():
        assert area_class(code) == cls
    with pytest.raises(KeyError):
        area_class("nowhere")


def test_polygons_do_not_overlap_and_cover_a_region() -> None:
    lngs = [x for ring in RINGS.values() for x, _ in ring]
    lats = [y for ring in RINGS.values() for _, y in ring]
    min_lng, max_lng, min_lat, max_lat = min(lngs), max(lngs), min(lats), max(lats)
    steps = 200
    covered = 0
    for i in range(steps + 1):
        lat = min_lat + (max_lat - min_lat) * i / steps
        for j in range(steps + 1):
            lng = min_lng + (max_lng - min_lng) * j / steps
            hits = [code for code in RINGS if _contains(code, lat, lng)]
            assert len(hits) <= 1, (lat, lng, hits)
            covered += bool(hits)
    assert covered > 0.3 * (steps + 1) ** 2  # sanity: the grid is not vacuous


def _shared_edges() -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Edges that appear (in either direction) in exactly two polygons."""
    seen: dict[tuple[tuple[float, float], tuple[float, float]], int] = {}
    for ring in RINGS.values():
        for a, b in zip(ring, ring[1:], strict=False):
            key = (min(a, b), max(a, b))
            seen[key] = seen.get(key, 0) + 1
    return [edge for edge, n in seen.items() if n == 2]


def test_points_on_shared_edges_belong_to_exactly_one_street() -> None:
    edges = _shared_edges()
    assert len(edges) >= 10  # the polygons really do share edges (contiguous district)
    for (x0, y0), (x1, y1) in edges:
        for t in (0.25, 0.5, 0.75):
            lat, lng = y0 + (y1 - y0) * t, x0 + (x1 - x0) * t
            hits = [code for code in RINGS if _contains(code, lat, lng)]
            assert len(hits) == 1, ((lat, lng), hits)
            assert locate(lat, lng) == hits[0] == locate(lat, lng)
    # Exactly on the 跃进村/九宫庙 north-south edge: the east side wins.
    assert locate(29.472, 106.477) == "jiugongmiao"


def test_district_is_contiguous() -> None:
    # Every street shares at least one edge with another, and the adjacency graph
    # is connected.
    adjacency: dict[str, set[str]] = {code: set() for code in RINGS}
    edge_owner: dict[frozenset[tuple[float, float]], list[str]] = {}
    for code, ring in RINGS.items():
        for a, b in zip(ring, ring[1:], strict=False):
            edge_owner.setdefault(frozenset((a, b)), []).append(code)
    for owners in edge_owner.values():
        for c in owners:
            adjacency[c].update(o for o in owners if o != c)
    seen, todo = set(), ["jiugongmiao"]
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(adjacency[c])
    assert seen == set(RINGS)


def test_distance_m() -> None:
    d = distance_m(29.4810, 106.4820, 29.4815, 106.4820)
    assert abs(d - 55.6) < 1.0
    assert distance_m(29.48, 106.48, 29.48, 106.48) == 0.0
    assert distance_m(29.48, 106.48, 29.49, 106.49) == pytest.approx(
        distance_m(29.49, 106.49, 29.48, 106.48)
    )
