"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): any Open311 client can report
to Dadukou's incident process and follow its cases.

Services are the catalogue's categories; a service request is an incident case. Reports
start real cases through `api.reporting.submit`, the same path as `POST /incidents`; request
lists read the incident projection. Every error of `/open311/v2/` comes out in the
standard's error format (`[{"code", "description"}]` or `<errors>`), never FastAPI's.
Admins issue and revoke the API keys that `POST requests` needs under `/open311/keys`.
"""

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.deps import SessionDep, require_roles, temporal
from api.localtime import localize
from api.reporting import Submission, submit
from db.models import ApiKey, Category, IncidentRow, User
from domain import geo
from domain.departments import department_name
from domain.incident import OPEN_STATUSES, STATUS_NAMES, Location
from domain.roles import ADMIN, CITIZEN
from domain.tasks import Actor, Limit
from domain.timefmt import SHANGHAI
from security import hash_api_key, new_api_key

JURISDICTION = "ddk.gov.cn"
CENTRE = "大渡口区城市运行管理中心"  # responsible until a case is dispatched to a department
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)  # when this API last changed
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
STATUS_GROUPS = {"open": OPEN_STATUSES,
                 "closed": tuple(s for s in STATUS_NAMES if s not in OPEN_STATUSES)}
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_DESCRIPTION = 4000  # the standard's limit
# XML: a list's element name -> its items' element name.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
             "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
             "values": "value"}


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


# --- output: JSON or the standard's XML ---------------------------------------------------


def w3c(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds")


def xml_element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(xml_element(k, v) for k, v in value.items())
    elif isinstance(value, list):
        element.extend(xml_element(XML_ITEMS[tag], v) for v in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def reply(fmt: str, root: str, data: Any, code: int = status.HTTP_200_OK) -> Response:
    """`data` as JSON, or as XML under the element `root` (e.g. services/service)."""
    if fmt == "xml":
        body = ET.tostring(xml_element(root, data), encoding="unicode")
        return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, code,
                        media_type="text/xml; charset=utf-8")
    return JSONResponse(data, code)


def error_reply(request: Request, code: int, description: str) -> Response:
    fmt = request.path_params.get("format")
    return reply(fmt if fmt in MEDIA_TYPES else "json", "errors",
                 [{"code": code, "description": description}], code)


class Open311Route(APIRoute):
    """Turns every error of a GeoReport route, FastAPI's own included, into the standard's
    error format, so clients see `[{"code", "description"}]` and never a 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except Open311Error as err:
                return error_reply(request, err.code, err.description)
            except RequestValidationError as err:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                     for e in err.errors())
                return error_reply(request, status.HTTP_400_BAD_REQUEST, problems)
            except HTTPException as err:
                # api.reporting answers 422 for a bad report; the standard says 400.
                code = (status.HTTP_400_BAD_REQUEST
                        if err.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
                        else err.status_code)
                return error_reply(request, code, str(err.detail))

        return handler


# --- input checks ---------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise Open311Error(status.HTTP_400_BAD_REQUEST,
                           f"unknown format {fmt!r}; use json or xml")
    return fmt


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    # Optional: this endpoint serves one jurisdiction only.
    if jurisdiction_id and jurisdiction_id != JURISDICTION:
        raise Open311Error(status.HTTP_404_NOT_FOUND,
                           f"jurisdiction {jurisdiction_id!r} not found; this is {JURISDICTION}")


def check_key(session: Session, api_key: str | None) -> ApiKey:
    if not api_key:
        raise Open311Error(status.HTTP_403_FORBIDDEN, "api_key was not provided")
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_api_key(api_key))).first()
    if key is None or key.revoked_at is not None:
        raise Open311Error(status.HTTP_403_FORBIDDEN, "api_key is invalid or revoked")
    return key


def bad(message: str) -> Open311Error:
    return Open311Error(status.HTTP_400_BAD_REQUEST, message)


def parse_coordinate(name: str, text: str, bound: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise bad(f"{name} must be a decimal number, got {text!r}") from None
    if not -bound <= value <= bound:
        raise bad(f"{name} must be between -{bound:g} and {bound:g}")
    return value


def parse_w3c(name: str, text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad(f"{name} must be a W3C datetime, e.g. 2026-11-01T00:00:00+08:00") from None
    # Without an offset, a time means Dadukou's local time. Compare in UTC, as stored:
    # SQLite compares the text and would ignore the offset.
    return (at.replace(tzinfo=SHANGHAI) if at.tzinfo is None else at).astimezone(UTC)


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# --- services ------------------------------------------------------------------------------


def limits_text(category: Category) -> str:
    return "，".join(f"{area}类区域{Limit(**limit).label()}"
                    for area, limit in sorted(category.limits.items()))


def service_out(c: Category) -> dict[str, Any]:
    return {"service_code": c.code, "service_name": c.name, "description": c.filing_condition,
            "metadata": True, "type": "realtime", "keywords": f"{c.class_},{c.major_class}",
            # Both classes have a 市容环境: the class makes the 12 groups distinct.
            "group": f"{c.class_}·{c.major_class}"}


def service_definition(c: Category) -> dict[str, Any]:
    street = {
        "variable": True, "code": "street", "datatype": "singlevaluelist", "required": False,
        "datatype_description": "不填则按坐标定位 (left out: located from lat/long)",
        "order": 1, "description": "所在街道或镇 street or town",
        "values": [{"key": code, "name": name} for code, name in geo.STREETS.items()],
    }
    info = {
        "variable": False, "code": "closing_condition", "datatype": "string",
        "required": False, "datatype_description": None, "order": 2,
        "description": f"结案条件：{c.closing_condition or '-'}；处置时限：{limits_text(c)}",
    }
    return {"service_code": c.code, "attributes": [street, info]}


# --- service requests ----------------------------------------------------------------------


def handling_notice(category: Category | None, area_class: str | None) -> str | None:
    limit = category.limits.get(area_class or geo.DEFAULT_AREA_CLASS) if category else None
    return f"处置时限{Limit(**limit).label()}" if limit else None


def request_out(row: IncidentRow, category: Category | None) -> dict[str, Any]:
    stamps = [row.reported_at, row.filed_at, row.dispatched_at, row.handled_at, row.closed_at]
    return {
        "service_request_id": row.id,
        "status": "open" if row.status in OPEN_STATUSES else "closed",
        "status_notes": STATUS_NAMES.get(row.status, row.status),
        "service_name": row.category_name,
        "service_code": row.category_code,
        "description": row.description,
        "agency_responsible": department_name(row.department) or CENTRE,
        "service_notice": handling_notice(category, row.area_class),
        "requested_datetime": w3c(row.reported_at),
        "updated_datetime": w3c(max((s for s in stamps if s), default=None)),
        "expected_datetime": w3c(row.handle_due_at or row.current_due_at),
        "address": row.address,
        "address_id": None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lng,
        "media_url": None,  # the projection keeps no photos; GET /incidents/{id} has them
    }


def requests_out(session: Session, rows: list[IncidentRow]) -> list[dict[str, Any]]:
    codes = {row.category_code for row in rows}
    categories = {c.code: c for c in session.exec(
        select(Category).where(col(Category.code).in_(codes))).all()} if codes else {}
    return [request_out(row, categories.get(row.category_code)) for row in rows]


# --- routes --------------------------------------------------------------------------------

router = APIRouter(prefix="/open311", tags=["open311"])
v2 = APIRouter(prefix="/v2", route_class=Open311Route)


@v2.get("/discovery.{format}")
def discovery(format: str, request: Request) -> Response:
    fmt = check_format(format)
    changeset = w3c(CHANGESET)
    return reply(fmt, "discovery", {
        "changeset": changeset,
        "contact": f"{CENTRE} (Dadukou district, Chongqing)",
        "key_service": "API keys are issued by the district's administrators "
                       "(POST /open311/keys).",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": str(request.base_url).rstrip("/") + "/open311/v2",
            "changeset": changeset, "type": "production",
            "formats": list(MEDIA_TYPES.values()),
        }],
    })


@v2.get("/services.{format}")
def list_services(format: str, session: SessionDep,
                  jurisdiction_id: str | None = None) -> Response:
    fmt = check_format(format)
    check_jurisdiction(jurisdiction_id)
    rows = session.exec(select(Category).order_by(Category.code)).all()
    return reply(fmt, "services", [service_out(c) for c in rows])


@v2.get("/services/{service_code}.{format}")
def get_service(service_code: str, format: str, session: SessionDep,
                jurisdiction_id: str | None = None) -> Response:
    fmt = check_format(format)
    check_jurisdiction(jurisdiction_id)
    category = session.get(Category, service_code)
    if category is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND, f"service_code {service_code!r} not found")
    return reply(fmt, "service_definition", service_definition(category))


@v2.post("/requests.{format}")
async def create_request(
        format: str, request: Request, session: SessionDep,
        api_key: str | None = Form(None), jurisdiction_id: str | None = Form(None),
        service_code: str | None = Form(None), lat: str | None = Form(None),
        long: str | None = Form(None), address_string: str | None = Form(None),
        address_id: str | None = Form(None), description: str | None = Form(None),
        media_url: str | None = Form(None),
        street: str | None = Form(None, alias="attribute[street]"),
        first_name: str | None = Form(None), last_name: str | None = Form(None),
        email: str | None = Form(None), phone: str | None = Form(None)) -> Response:
    """Report a case. Every field is optional here and checked below, so that a bad report
    gets the standard's 400/403/404 rather than FastAPI's 422."""
    fmt = check_format(format)
    check_jurisdiction(jurisdiction_id)
    # The standard sends api_key in the body; some clients put it in the query string.
    key = check_key(session, api_key or request.query_params.get("api_key"))
    if not service_code:
        raise bad("service_code was not provided")
    category = session.get(Category, service_code)
    if category is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND, f"service_code {service_code!r} not found")
    if not lat or not long:
        # No geocoder here: cases are routed by the street their coordinates fall in.
        raise bad("lat and long are required: Dadukou locates reports by coordinates, and "
                  "address_string or address_id alone cannot be geocoded here")
    location = Location(lat=parse_coordinate("lat", lat, 90),
                        lng=parse_coordinate("long", long, 180),
                        address=(address_string or "").strip()[:500] or None)
    if street and street not in geo.STREETS:
        raise bad(f"attribute[street] {street!r} is not one of {', '.join(geo.STREETS)}")
    text = (description or "").strip() or category.name  # optional in the standard
    if len(text) > MAX_DESCRIPTION:
        raise bad(f"description is longer than {MAX_DESCRIPTION} characters")
    if media_url and not media_url.startswith(("http://", "https://")):
        raise bad("media_url must be an http(s) URL")

    # Contact details stay out of the case: only the name is shown to staff.
    name = f"{last_name or ''}{first_name or ''}".strip()
    reporter = Actor(username=f"open311:{key.name}", role=CITIZEN,
                     display_name=name or f"Open311 · {key.name}")
    outcome = await submit(session, await temporal(request), Submission(
        source="citizen", reporter=reporter, category_code=service_code, description=text,
        location=location, street=street or None, photos=(media_url,) if media_url else (),
        evaluable=False))  # its reporter cannot sign in to evaluate: it closes without one
    if outcome.joined:
        notice = f"您的上报已并入案件 {outcome.case_id}（同类问题已在处理中）"
    else:
        limit = handling_notice(category, outcome.area_class)
        notice = f"已受理，案件编号 {outcome.case_id}" + (f"；{limit}" if limit else "")
    return reply(fmt, "service_requests", [{
        "service_request_id": outcome.case_id, "service_notice": notice, "account_id": None}],
        status.HTTP_200_OK if outcome.joined else status.HTTP_201_CREATED)


@v2.get("/tokens/{token}.{format}")
def get_token(token: str, format: str, session: SessionDep,
              jurisdiction_id: str | None = None) -> Response:
    """Ids are given at once, so a token is simply the case id."""
    fmt = check_format(format)
    check_jurisdiction(jurisdiction_id)
    if session.get(IncidentRow, token) is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND, f"token {token!r} not found")
    return reply(fmt, "service_requests", [{"service_request_id": token, "token": token}])


@v2.get("/requests.{format}")
def list_requests(
        format: str, session: SessionDep, service_request_id: str | None = None,
        service_code: str | None = None, start_date: str | None = None,
        end_date: str | None = None, status_: str | None = Query(None, alias="status"),
        jurisdiction_id: str | None = None) -> Response:
    """Newest first, at most 1000; the last 90 days unless dates are given. A list of
    service_request_id overrides every other filter, as the standard says."""
    fmt = check_format(format)
    check_jurisdiction(jurisdiction_id)
    query = select(IncidentRow)
    if service_request_id:
        query = query.where(col(IncidentRow.id).in_(split_list(service_request_id)))
    else:
        start = parse_w3c("start_date", start_date) if start_date else None
        end = parse_w3c("end_date", end_date) if end_date else None
        if start and end and start > end:
            raise bad("start_date is after end_date")
        if start is None:
            start = (end or datetime.now(UTC)) - DEFAULT_WINDOW
        query = query.where(col(IncidentRow.reported_at) >= start)
        if end is not None:
            query = query.where(col(IncidentRow.reported_at) <= end)
        if service_code:
            query = query.where(col(IncidentRow.category_code).in_(split_list(service_code)))
        if status_:
            wanted = split_list(status_)
            unknown = [s for s in wanted if s not in STATUS_GROUPS]
            if unknown or not wanted:
                raise bad(f"status must be open or closed (comma-separated), got {status_!r}")
            query = query.where(col(IncidentRow.status).in_(
                [s for group in wanted for s in STATUS_GROUPS[group]]))
    query = query.order_by(col(IncidentRow.reported_at).desc()).limit(MAX_RESULTS)
    return reply(fmt, "service_requests", requests_out(session, list(session.exec(query))))


@v2.get("/requests/{service_request_id}.{format}")
def get_request(service_request_id: str, format: str, session: SessionDep,
                jurisdiction_id: str | None = None) -> Response:
    fmt = check_format(format)
    check_jurisdiction(jurisdiction_id)
    row = session.get(IncidentRow, service_request_id)
    if row is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND,
                           f"service_request_id {service_request_id!r} not found")
    return reply(fmt, "service_requests", requests_out(session, [row]))


router.include_router(v2)


# --- API keys (admins) ---------------------------------------------------------------------


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="who the key is for")


def key_out(key: ApiKey) -> dict[str, Any]:
    return localize({"id": key.id, "name": key.name, "created_by": key.created_by,
                     "created_at": key.created_at, "revoked_at": key.revoked_at})


AdminUser = Depends(require_roles(ADMIN))


@router.post("/keys", status_code=status.HTTP_201_CREATED)
def issue_key(body: NewKey, session: SessionDep, user: User = AdminUser) -> dict[str, Any]:
    """A new key for an Open311 client. The key is shown here once; only its hash is kept."""
    key = new_api_key()
    row = ApiKey(id=secrets.token_hex(8), name=body.name.strip(), key_hash=hash_api_key(key),
                 created_by=user.username, created_at=datetime.now(UTC))
    session.add(row)
    session.commit()
    session.refresh(row)
    return localize({"id": row.id, "name": row.name, "key": key, "created_at": row.created_at})


@router.get("/keys")
def list_keys(session: SessionDep, _: User = AdminUser) -> list[dict[str, Any]]:
    rows = session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc())).all()
    return [key_out(k) for k in rows]


@router.delete("/keys/{key_id}")
def revoke_key(key_id: str, session: SessionDep, _: User = AdminUser) -> dict[str, Any]:
    """Revoke a key; its clients get 403 from then on. Revoking twice keeps the first time."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        session.commit()
        session.refresh(row)
    return key_out(row)
