"""Open311 GeoReport v2 over HTTP: discovery, services, reports that start real cases,
request lists and their filters, tokens, the standard's error format, and API keys."""

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain import geo
from tests.support import Api

V2 = "/open311/v2"
DEMO_KEY = "demo-open311-key"


def _spots() -> Iterator[tuple[float, float]]:
    """Points >50 m apart inside 新山村街道, away from the other tests' spots, so no report
    here joins another test's case unless it means to."""
    points = [(round(29.47 + 0.0006 * i, 5), round(106.44 + 0.0006 * j, 5))
              for i in range(60) for j in range(60)]
    return iter([p for p in points if geo.locate(*p) == "xinshancun"])


SPOTS = _spots()


def report(api: Api, fmt: str = "json", **fields: str) -> httpx.Response:
    lat, lng = next(SPOTS)
    form = {"api_key": DEMO_KEY, "service_code": "BJ0101", "lat": str(lat), "long": str(lng),
            "address_string": "新山村街道 测试路1号", "description": "井盖破损"} | fields
    return api.http.post(f"{V2}/requests.{fmt}", data=form)


def new_case(api: Api, **fields: str) -> str:
    r = report(api, **fields)
    assert r.status_code == 201, r.text
    return r.json()[0]["service_request_id"]


def wait_request(api: Api, case_id: str, until=lambda req: True) -> dict:
    """The request once the projection shows it (and `until` holds)."""
    for _ in range(100):
        r = api.http.get(f"{V2}/requests/{case_id}.json")
        if r.status_code == 200 and until(r.json()[0]):
            return r.json()[0]
        time.sleep(0.1)
    raise AssertionError(f"request {case_id} not projected: {r.status_code} {r.text}")


def assert_error(r: httpx.Response, code: int, fmt: str = "json") -> str:
    """The standard's error format with the matching status; returns the description."""
    assert r.status_code == code, r.text
    if fmt == "xml":
        assert r.headers["content-type"].startswith("text/xml")
        root = ET.fromstring(r.content)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert root.findtext("error/code") == str(code)
        description = root.findtext("error/description")
    else:
        body = r.json()
        assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {
            "code", "description"}
        assert body[0]["code"] == code
        description = body[0]["description"]
    assert description
    return description


def ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [req["service_request_id"] for req in r.json()]


# --- discovery and services ------------------------------------------------------------------


def test_discovery(api: Api) -> None:
    body = api.http.get(f"{V2}/discovery.json").json()
    assert body["changeset"].endswith("+08:00") and body["contact"] and body["key_service"]
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["application/json", "text/xml"]

    r = api.http.get(f"{V2}/discovery.xml")
    assert r.headers["content-type"].startswith("text/xml")
    assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(r.content)
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
        "application/json", "text/xml"]


def test_services_are_the_catalogue(api: Api) -> None:
    services = api.http.get(f"{V2}/services.json").json()
    assert len(services) == 282
    assert len({s["group"] for s in services}) == 12
    first = next(s for s in services if s["service_code"] == "BJ0101")
    assert first == {"service_code": "BJ0101", "service_name": "上水井盖",
                     "description": first["description"], "metadata": True,
                     "type": "realtime", "keywords": "部件,公用设施", "group": "部件·公用设施"}
    assert "井盖" in first["description"]  # the filing condition (立案条件)

    root = ET.fromstring(api.http.get(f"{V2}/services.xml").content)
    assert root.tag == "services" and len(root) == 282
    assert {s.findtext("group") for s in root} == {s["group"] for s in services}
    bj = next(s for s in root if s.findtext("service_code") == "BJ0101")
    assert bj.findtext("service_name") == "上水井盖" and bj.findtext("metadata") == "true"


def test_service_definition(api: Api) -> None:
    body = api.http.get(f"{V2}/services/BJ0101.json").json()
    assert body["service_code"] == "BJ0101"
    street, info = body["attributes"]
    assert street["code"] == "street" and street["variable"] is True
    assert street["datatype"] == "singlevaluelist" and street["required"] is False
    assert [v["key"] for v in street["values"]] == list(geo.STREETS)
    assert {"key": "xinshancun", "name": "新山村街道"} in street["values"]
    assert info["variable"] is False
    assert "结案条件" in info["description"] and "处置时限" in info["description"]

    root = ET.fromstring(api.http.get(f"{V2}/services/BJ0101.xml").content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "BJ0101"
    values = root.findall("attributes/attribute/values/value")
    assert len(values) == 8 and values[0].findtext("key") == "xinshancun"
    assert values[0].findtext("name") == "新山村街道"


# --- reporting and following -----------------------------------------------------------------


def test_post_json_starts_a_real_case(api: Api) -> None:
    r = report(api, description="人行道井盖缺失")
    assert r.status_code == 201, r.text
    [created] = r.json()
    case_id = created["service_request_id"]
    assert created["account_id"] is None and case_id in created["service_notice"]

    # The filing task's deadline comes a moment after the case's first projection.
    req = wait_request(api, case_id, lambda q: q["expected_datetime"])
    assert req["status"] == "open" and req["status_notes"] == "待立案"
    assert req["agency_responsible"] == "大渡口区城市运行管理中心"  # not dispatched yet
    assert req["service_code"] == "BJ0101" and req["service_name"] == "上水井盖"
    # Public: the street, not the reporter's address; no description, no photos.
    assert req["address"] == "新山村街道" and req["lat"] and req["long"]
    assert "description" not in req and "media_url" not in req
    assert req["requested_datetime"].endswith("+08:00")
    assert req["expected_datetime"].endswith("+08:00")
    assert req["address_id"] is None and req["zipcode"] is None

    case = api.get(f"/incidents/{case_id}", "intake").json()
    assert case["status"] == "filing" and case["street"] == "xinshancun"
    assert case["reporter"] == "open311:demo" and case["source"] == "citizen"

    # Dispatched, the request names the department that handles it.
    api.act("intake", api.task("intake", case_id)["id"], "accept")
    api.act("dispatcher", api.task("dispatcher", case_id)["id"], "dispatch",
            department="urban_mgmt")
    req = wait_request(api, case_id, lambda q: q["status_notes"] == "处置中")
    assert req["status"] == "open" and req["agency_responsible"] == "城市管理局"

    # Its reporter cannot sign in to evaluate, so a verified case closes without one.
    api.act("officer_urban_mgmt", api.task("officer_urban_mgmt", case_id)["id"], "done",
            result="已补装井盖")
    r = api.act("inspector", api.task("inspector", case_id)["id"], "pass")
    assert r.json()["case"]["status"] == "closed"


def test_post_xml_with_street_name_and_photo(api: Api) -> None:
    r = report(api, "xml", service_code="SJ0101", description="路边暴露垃圾",
               **{"attribute[street]": "baqiao", "first_name": "小明", "last_name": "张",
                  "email": "zhang@example.com", "media_url": "https://example.com/p/1.jpg"})
    assert r.status_code == 201, r.text
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests" and [e.tag for e in root] == ["request"]
    case_id = root.findtext("request/service_request_id")
    assert case_id and root.find("request/account_id") is not None

    wait_request(api, case_id)
    xml = ET.fromstring(api.http.get(f"{V2}/requests/{case_id}.xml").content)
    assert xml.tag == "service_requests" and len(xml) == 1
    assert xml.findtext("request/status") == "open"
    assert xml.findtext("request/service_code") == "SJ0101"
    assert xml.findtext("request/requested_datetime").endswith("+08:00")
    assert xml.findtext("request/address") == "八桥镇"
    assert xml.find("request/media_url") is None and xml.find("request/description") is None

    case = api.get(f"/incidents/{case_id}", "intake").json()
    assert case["street"] == "baqiao"  # the named street wins over the coordinates
    assert case["photos"] == ["https://example.com/p/1.jpg"]  # staff see it all
    assert case["description"] == "路边暴露垃圾"


def test_public_reads_show_no_personal_text_and_a_coarse_place(api: Api) -> None:
    """Anyone may read requests: what a reporter typed never shows, and the place is a
    100 m grid point, in every public read, JSON and XML."""
    lat, lng = 29.497234, 106.468987  # in 新山村街道; no other test reports BJ0103
    typed = {"description": "王阿姨家门口 13800138000 井盖坏了",
             "address_string": "新山村街道 幸福路7号3单元502",
             "first_name": "阿姨", "last_name": "王", "email": "wang@example.com",
             "phone": "13800138000", "media_url": "https://example.com/face.jpg"}
    r = report(api, service_code="BJ0103", lat=str(lat), long=str(lng), **typed)
    assert r.status_code == 201, r.text
    case_id = r.json()[0]["service_request_id"]
    req = wait_request(api, case_id)
    assert (req["lat"], req["long"]) == (29.497, 106.469)
    assert req["address"] == "新山村街道"

    reads = [api.http.get(f"{V2}/requests/{case_id}.{fmt}") for fmt in ("json", "xml")]
    reads += [api.http.get(f"{V2}/requests.{fmt}", params=params) for fmt in ("json", "xml")
              for params in ({}, {"service_request_id": case_id}, {"status": "open"})]
    for r in reads:
        assert r.status_code == 200, r.text
        assert case_id in r.text
        for value in [*typed.values(), "幸福路", "13800138000", "王", str(lat), str(lng)]:
            assert value not in r.text, (value, r.url)
    root = ET.fromstring(reads[1].content)
    assert root.findtext("request/lat") == "29.497"
    assert root.findtext("request/long") == "106.469"


def test_a_repeat_report_joins_the_open_case(api: Api) -> None:
    lat, lng = next(SPOTS)
    here = {"lat": str(lat), "long": str(lng)}
    case_id = new_case(api, **here)
    wait_request(api, case_id)
    r = report(api, description="同一个井盖", **here)
    assert r.status_code == 200, r.text
    [joined] = r.json()
    assert joined["service_request_id"] == case_id and "并入" in joined["service_notice"]


def test_tokens_are_the_request_ids(api: Api) -> None:
    case_id = new_case(api)
    wait_request(api, case_id)
    r = api.http.get(f"{V2}/tokens/{case_id}.json")
    assert r.json() == [{"service_request_id": case_id, "token": case_id}]
    root = ET.fromstring(api.http.get(f"{V2}/tokens/{case_id}.xml").content)
    assert root.findtext("request/token") == case_id
    assert root.findtext("request/service_request_id") == case_id
    assert_error(api.http.get(f"{V2}/tokens/nope.json"), 404)


def test_request_filters(api: Api) -> None:
    open_id = new_case(api, service_code="BJ0102")
    closed_id = new_case(api, service_code="SJ0101")
    api.act("intake", api.task("intake", closed_id)["id"], "reject", comment="不属实")
    wait_request(api, open_id)
    wait_request(api, closed_id, lambda q: q["status"] == "closed")
    both = {open_id, closed_id}

    def listed(**params: str) -> list[str]:
        return ids(api.http.get(f"{V2}/requests.json", params=params))

    everything = listed()
    assert both <= set(everything)
    assert everything.index(closed_id) < everything.index(open_id)  # newest first
    assert set(listed(service_code="BJ0102")) >= {open_id}
    assert closed_id not in listed(service_code="BJ0102")
    assert closed_id in listed(status="closed") and open_id not in listed(status="closed")
    assert open_id in listed(status="open") and closed_id not in listed(status="open")
    assert both <= set(listed(status="open,closed"))
    # A list of ids overrides every other filter.
    assert sorted(listed(service_request_id=f"{open_id},{closed_id}", status="closed")
                  ) == sorted(both)

    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    assert both <= set(listed(start_date=(now - hour).isoformat(),
                              end_date=(now + hour).astimezone().isoformat()))
    assert not both & set(listed(start_date=(now + hour).isoformat()))
    assert not both & set(listed(end_date=(now - hour).strftime("%Y-%m-%dT%H:%M:%SZ")))

    closed = next(q for q in api.http.get(f"{V2}/requests.json",
                                          params={"service_request_id": closed_id}).json())
    assert closed["status_notes"] == "不予立案"
    root = ET.fromstring(api.http.get(f"{V2}/requests.xml", params={"status": "closed"}).content)
    assert closed_id in [r.findtext("service_request_id") for r in root]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_or_wrong_api_key_is_403(api: Api, fmt: str) -> None:
    assert "api_key" in assert_error(report(api, fmt, api_key=""), 403, fmt)
    assert_error(report(api, fmt, api_key="not-a-key"), 403, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_key_in_the_url_is_refused_not_used(api: Api, fmt: str) -> None:
    lat, lng = next(SPOTS)
    r = api.http.post(f"{V2}/requests.{fmt}", params={"api_key": DEMO_KEY}, data={
        "service_code": "BJ0101", "lat": str(lat), "long": str(lng), "description": "井盖"})
    assert "URL" in assert_error(r, 400, fmt)


def test_revoked_key_is_403(api: Api) -> None:
    r = api.post("/open311/keys", "admin", json={"name": "fixmystreet"})
    assert r.status_code == 201, r.text
    issued = r.json()
    assert len(issued["key"]) >= 40 and issued["name"] == "fixmystreet"
    # Accepted: it gets as far as the location check (no case is started).
    assert "lat" in assert_error(report(api, api_key=issued["key"], lat=""), 400)

    listed = api.get("/open311/keys", "admin").json()
    mine = next(k for k in listed if k["id"] == issued["id"])
    assert "key" not in mine and "key_hash" not in mine and mine["revoked_at"] is None
    assert mine["created_by"] == "admin"

    r = api.http.delete(f"/open311/keys/{issued['id']}", headers=api.auth("admin"))
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_error(report(api, "xml", api_key=issued["key"]), 403, "xml")
    r = api.http.delete("/open311/keys/nope", headers=api.auth("admin"))
    assert r.status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_reports_are_400_or_404(api: Api, fmt: str) -> None:
    assert "service_code" in assert_error(report(api, fmt, service_code=""), 400, fmt)
    assert_error(report(api, fmt, service_code="XX9999"), 404, fmt)
    # Only an address: Dadukou locates by coordinates and has no geocoder here.
    description = assert_error(report(api, fmt, lat="", long=""), 400, fmt)
    assert "lat" in description and "long" in description
    assert_error(report(api, fmt, lat="north"), 400, fmt)
    assert_error(report(api, fmt, lat="95"), 400, fmt)
    assert_error(report(api, fmt, **{"attribute[street]": "atlantis"}), 400, fmt)
    assert_error(report(api, fmt, media_url="file:///etc/passwd"), 400, fmt)
    assert_error(report(api, fmt, description="x" * 4001), 400, fmt)
    assert_error(report(api, fmt, description="x" * 2001), 400, fmt)  # a case keeps 2000
    assert_error(report(api, fmt, description="a\u0000b"), 400, fmt)
    assert_error(report(api, fmt, address_string="x" * 201), 400, fmt)
    for coordinate in ("nan", "NaN", "inf", "-Infinity", "1e400"):
        assert_error(report(api, fmt, lat=coordinate), 400, fmt)
        assert_error(report(api, fmt, long=coordinate), 400, fmt)
    for media_url in ("data:image/png;base64,iVBORw0KGgo=", "media:abc",
                      "https://example.com/" + "p" * 490, "https://example.com/a b.jpg"):
        assert_error(report(api, fmt, media_url=media_url), 400, fmt)
    assert "jurisdiction" in assert_error(report(api, fmt, jurisdiction_id="nyc.gov"), 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_lookups(api: Api, fmt: str) -> None:
    assert_error(api.http.get(f"{V2}/services/XX9999.{fmt}"), 404, fmt)
    assert_error(api.http.get(f"{V2}/requests/20000101-NOPE00.{fmt}"), 404, fmt)
    assert_error(api.http.get(f"{V2}/services.{fmt}", params={"jurisdiction_id": "x.gov"}),
                 404, fmt)
    assert_error(api.http.get(f"{V2}/requests.{fmt}", params={"status": "pending"}), 400, fmt)
    assert_error(api.http.get(f"{V2}/requests.{fmt}", params={"start_date": "last week"}),
                 400, fmt)
    now = datetime.now(UTC)
    assert_error(api.http.get(f"{V2}/requests.{fmt}", params={
        "start_date": now.isoformat(), "end_date": (now - timedelta(days=1)).isoformat()}),
        400, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("params", [
    {"start_date": "0001-01-01T00:00:00Z"}, {"end_date": "9999-12-31T23:59:59Z"},
    {"start_date": "0001-01-01T00:00:00+08:00"}, {"end_date": "0001-01-05T00:00:00Z"},
    {"start_date": "9999-12-31T23:59:59-12:00"}, {"end_date": "2101-01-01T00:00:00+08:00"},
    {"start_date": "1999-12-31"},
])
def test_dates_outside_2000_to_2100_are_400(api: Api, fmt: str, params: dict) -> None:
    assert "2000" in assert_error(api.http.get(f"{V2}/requests.{fmt}", params=params), 400, fmt)


def test_dates_at_the_ends_of_the_range_work(api: Api) -> None:
    r = api.http.get(f"{V2}/requests.json", params={"start_date": "2000-01-01T00:00:00Z",
                                                    "end_date": "2100-12-31T23:59:59-12:00"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_body_over_64_kib_is_413_in_the_standard_format(api: Api, fmt: str) -> None:
    description = assert_error(report(api, fmt, description="井" * 30_000), 413, fmt)
    assert description == "request body larger than 65536 bytes"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_paths_and_methods_answer_in_the_standard_format(api: Api, fmt: str) -> None:
    assert_error(api.http.get(f"{V2}/nothing/here.{fmt}"), 404, fmt)
    assert_error(api.http.delete(f"{V2}/requests.{fmt}"), 405, fmt)


def test_error_descriptions_do_not_echo_long_input(api: Api) -> None:
    code = "X" * 150
    text = assert_error(api.http.get(f"{V2}/services/{code}.json"), 404)
    assert code not in text and len(text) < 100
    text = assert_error(api.http.get(f"{V2}/requests.json", params={"status": "p" * 190}), 400)
    assert "p" * 50 not in text


@pytest.mark.parametrize("path", ["discovery.csv", "services.yaml", "services/BJ0101.html",
                                  "requests.txt", "requests/x.pdf", "tokens/x.JSON"])
def test_unknown_format_is_400(api: Api, path: str) -> None:
    assert "format" in assert_error(api.http.get(f"{V2}/{path}"), 400)


def test_unknown_format_on_post_is_400(api: Api) -> None:
    assert_error(report(api, "yaml"), 400)


# --- API keys ------------------------------------------------------------------------------


def test_only_admins_manage_keys(api: Api) -> None:
    assert api.post("/open311/keys", "citizen", json={"name": "x"}).status_code == 403
    assert api.get("/open311/keys", "dispatcher").status_code == 403
    assert api.http.delete("/open311/keys/demo", headers=api.auth("citizen")).status_code == 403
    assert api.http.post("/open311/keys", json={"name": "x"}).status_code == 401
    assert api.http.get("/open311/keys").status_code == 401
    assert api.post("/open311/keys", "admin", json={"name": ""}).status_code == 422
    demo = next(k for k in api.get("/open311/keys", "admin").json() if k["id"] == "demo")
    assert demo["name"] == "demo" and demo["revoked_at"] is None
