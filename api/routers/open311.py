"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): any Open311 client can report
to Dadukou's incident process and follow its cases.

Services are the catalogue's categories; a service request is an incident case. Reports
start real cases through `api.reporting.submit`, the same path as `POST /incidents`; request
lists read the incident projection. Every error of `/open311/v2/` comes out in the
standard's error format (`[{"code", "description"}]` or `<errors>`), never FastAPI's.
Admins issue and revoke the API keys that `POST requests` needs under `/open311/keys`.

Privacy of the public reads. `GET requests` and `GET requests/{id}` need no key: anyone can
page through 90 days of cases. A request there shows what a public map of the district's
work needs and nothing that could point at a person:
- no `description` and no `media_url`: reporters type names, phone numbers and door numbers
  into descriptions, and photos show faces, plates and the inside of homes;
- `address` is the street or town the case lies in (新山村街道), never the reporter's text;
- `lat`/`long` are rounded to 3 decimals: the centre of a grid cell about 100 m across
  (0.001° is 111 m north-south and 97 m east-west here), so no single house can be picked
  out, while a map still shows where the district is working;
- no reporter. Staff read the full case through `GET /incidents/{id}`.

An Open311 reporter cannot sign in, so its cases close after verification without the
citizen evaluation (评价) that `citizen` reports get.
"""

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, TypeAdapter, ValidationError
from sqlmodel import Session, col, select

from api.deps import SessionDep, require_roles, temporal
from api.errors import responses
from api.localtime import LocalTime
from api.reporting import Submission, submit
from api.validation import MAX_MESSAGE, shown, summary
from db.models import ApiKey, Category, IncidentRow, User
from domain import geo
from domain.departments import department_name
from domain.incident import OPEN_STATUSES, STATUS_NAMES, Location
from domain.limits import MAX_REF, MAX_SHORT_TEXT, Ref, ShortText, Text, in_date_range
from domain.roles import ADMIN, CITIZEN
from domain.tasks import Actor, Limit
from domain.timefmt import SHANGHAI
from security import hash_api_key, new_api_key

JURISDICTION = "ddk.gov.cn"
CENTRE = "大渡口区城市运行管理中心"  # responsible until a case is dispatched to a department
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)  # when this API last changed
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
Format = Literal["json", "xml"]  # a path's ending; any other is a 400
STATUS_GROUPS = {"open": OPEN_STATUSES,
                 "closed": tuple(s for s in STATUS_NAMES if s not in OPEN_STATUSES)}
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
PUBLIC_DECIMALS = 3  # coordinates shown to anyone: a grid cell about 100 m across
PREFIX = "/open311/v2/"
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


def w3c(at: datetime) -> str:
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds")


# The standard's W3C datetimes: Asia/Shanghai, whole seconds (2026-11-28T09:00:00+08:00).
W3CTime = Annotated[datetime, PlainSerializer(w3c, return_type=str, when_used="json")]


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: W3CTime
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    changeset: W3CTime
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(BaseModel):
    """A category of the catalogue (立案条件 as its description)."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true: it has a service definition (attributes)")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool = Field(description="false: information, not an input")
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist",
                      "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str


class ListAttribute(Attribute):
    """An attribute whose value is one (or more) of `values`."""

    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ListAttribute | Attribute]


class ServiceRequest(BaseModel):
    """A case as the public sees it: no description, photos or reporter (see above)."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str = Field(description="the case's status, e.g. 处置中")
    service_name: str
    service_code: str
    agency_responsible: str
    service_notice: str | None
    requested_datetime: W3CTime | None
    updated_datetime: W3CTime | None
    expected_datetime: W3CTime | None
    address: str | None = Field(description="the street or town, never the reporter's text")
    address_id: str | None
    zipcode: str | None
    lat: float | None = Field(description="rounded to a 100 m grid")
    long: float | None = Field(description="rounded to a 100 m grid")


class RequestReceipt(BaseModel):
    """A report's answer: the case it started (201) or joined (200)."""

    service_request_id: str
    service_notice: str
    account_id: str | None


class RequestToken(BaseModel):
    service_request_id: str
    token: str


class Open311ErrorOut(BaseModel):
    code: int
    description: str


class KeyOut(BaseModel):
    """An Open311 client's API key, without the key itself."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_by: str
    created_at: LocalTime | None
    revoked_at: LocalTime | None


class IssuedKey(BaseModel):
    id: str
    name: str
    key: str = Field(description="shown once; only its hash is kept")
    created_at: LocalTime | None


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


def reply(fmt: str, root: str, out: BaseModel | list[BaseModel],
          code: int = status.HTTP_200_OK) -> Response:
    """A route's model(s) as JSON, or as XML under the element `root` (e.g.
    services/service): the model formats the data for both."""
    data = ([m.model_dump(mode="json") for m in out] if isinstance(out, list)
            else out.model_dump(mode="json"))
    if fmt == "xml":
        body = ET.tostring(xml_element(root, data), encoding="unicode")
        return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, code,
                        media_type="text/xml; charset=utf-8")
    return JSONResponse(data, code)


def format_of(path: str) -> str:
    """The format a path asks for (`…/requests.xml`), JSON when it names none we serve."""
    last = path.rsplit("/", 1)[-1]
    fmt = last.rsplit(".", 1)[-1] if "." in last else ""
    return fmt if fmt in MEDIA_TYPES else "json"


def standard_error(path: str, code: int, description: str) -> Response:
    """An error in the standard's format, for `path`'s format. The app uses it for what
    happens outside a route too: an unknown path, a body over the limit, a crash."""
    return reply(format_of(path), "errors",
                 [Open311ErrorOut(code=code, description=shown(description, MAX_MESSAGE))], code)


def error_reply(request: Request, code: int, description: str) -> Response:
    return standard_error(request.url.path, code, description)


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
                # Never the input itself: it may be megabytes, or not encodable at all.
                return error_reply(request, status.HTTP_400_BAD_REQUEST, summary(err.errors()))
            except HTTPException as err:
                # api.reporting answers 422 for a bad report; the standard says 400.
                code = (status.HTTP_400_BAD_REQUEST
                        if err.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
                        else err.status_code)
                return error_reply(request, code, str(err.detail))

        return handler


# --- input checks ---------------------------------------------------------------------------


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    # Optional: this endpoint serves one jurisdiction only.
    if jurisdiction_id and jurisdiction_id != JURISDICTION:
        raise Open311Error(status.HTTP_404_NOT_FOUND, f"jurisdiction {shown(jurisdiction_id)!r} "
                                                      f"not found; this is {JURISDICTION}")


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
        raise bad(f"{name} must be a decimal number, got {shown(text)!r}") from None
    # NaN fails both comparisons; "inf" and "1e400" fail the bound.
    if not -bound <= value <= bound:
        raise bad(f"{name} must be between -{bound:g} and {bound:g}")
    return value


def parse_w3c(name: str, text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad(f"{name} must be a W3C datetime, e.g. 2026-11-01T00:00:00+08:00") from None
    # Years near datetime's ends overflow when the zone is converted or a window subtracted.
    if not in_date_range(at):
        raise bad(f"{name} must lie in the years 2000 to 2100")
    # Without an offset, a time means Dadukou's local time. Compare in UTC, as stored:
    # SQLite compares the text and would ignore the offset.
    return (at.replace(tzinfo=SHANGHAI) if at.tzinfo is None else at).astimezone(UTC)


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


_REF = TypeAdapter(Ref)


def is_photo_url(text: str) -> bool:
    """A photo Open311 clients link to: an http(s) URL (`media:` ids are ours to give)."""
    try:
        _REF.validate_python(text)
    except ValidationError:
        return False
    return text.startswith(("http://", "https://"))


# --- services ------------------------------------------------------------------------------


def limits_text(category: Category) -> str:
    return "，".join(f"{area}类区域{Limit(**limit).label()}"
                    for area, limit in sorted(category.limits.items()))


def service_out(c: Category) -> Service:
    return Service(service_code=c.code, service_name=c.name, description=c.filing_condition,
                   metadata=True, type="realtime", keywords=f"{c.class_},{c.major_class}",
                   # Both classes have a 市容环境: the class makes the 12 groups distinct.
                   group=f"{c.class_}·{c.major_class}")


def service_definition(c: Category) -> ServiceDefinition:
    street = ListAttribute(
        variable=True, code="street", datatype="singlevaluelist", required=False,
        datatype_description="不填则按坐标定位 (left out: located from lat/long)",
        order=1, description="所在街道或镇 street or town",
        values=[AttributeValue(key=code, name=name) for code, name in geo.STREETS.items()])
    info = Attribute(
        variable=False, code="closing_condition", datatype="string", required=False,
        datatype_description=None, order=2,
        description=f"结案条件：{c.closing_condition or '-'}；处置时限：{limits_text(c)}")
    return ServiceDefinition(service_code=c.code, attributes=[street, info])


# --- service requests ----------------------------------------------------------------------


def handling_notice(category: Category | None, area_class: str | None) -> str | None:
    limit = category.limits.get(area_class or geo.DEFAULT_AREA_CLASS) if category else None
    return f"处置时限{Limit(**limit).label()}" if limit else None


def public_coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, PUBLIC_DECIMALS)


def request_out(row: IncidentRow, category: Category | None) -> ServiceRequest:
    """A case as the public sees it (see the module's docstring): no description, no photos,
    no reporter; the street or town for an address and a 100 m grid point for a place."""
    stamps = [row.reported_at, row.filed_at, row.dispatched_at, row.handled_at, row.closed_at]
    return ServiceRequest(
        service_request_id=row.id,
        status="open" if row.status in OPEN_STATUSES else "closed",
        status_notes=STATUS_NAMES.get(row.status, row.status),
        service_name=row.category_name,
        service_code=row.category_code,
        agency_responsible=department_name(row.department) or CENTRE,
        service_notice=handling_notice(category, row.area_class),
        requested_datetime=row.reported_at,
        updated_datetime=max((s for s in stamps if s), default=None),
        expected_datetime=row.handle_due_at or row.current_due_at,
        address=department_name(row.street) if row.street else None,
        address_id=None,
        zipcode=None,
        lat=public_coordinate(row.lat),
        long=public_coordinate(row.lng),
    )


def requests_out(session: Session, rows: list[IncidentRow]) -> list[ServiceRequest]:
    codes = {row.category_code for row in rows}
    categories = {c.code: c for c in session.exec(
        select(Category).where(col(Category.code).in_(codes))).all()} if codes else {}
    return [request_out(row, categories.get(row.category_code)) for row in rows]


# --- routes --------------------------------------------------------------------------------

ERROR_TEXT = {400: "bad or missing parameter", 403: "missing, unknown or revoked api_key",
              404: "unknown service, request, token, jurisdiction or path",
              413: "request body larger than 65536 bytes"}
XML = {"text/xml": {"schema": {"type": "string"}}}


def documented(*codes: int, created: Any = None) -> dict[int | str, dict[str, Any]]:
    """The statuses a GeoReport route answers, each in JSON or XML as the path asks (the
    route's `response_model` is its 200's JSON; `created`, the model of its 201)."""
    out: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}} | XML}}
    if created is not None:
        out[201] = {"description": "a new case", "model": created, "content": XML}
    for code in codes:
        out[code] = {"description": ERROR_TEXT[code], "model": list[Open311ErrorOut],
                     "content": XML}
    return out


router = APIRouter(prefix="/open311", tags=["open311"])
v2 = APIRouter(prefix="/v2", route_class=Open311Route)


@v2.get("/discovery.{format}", response_model=Discovery, responses=documented(400))
def discovery(format: Format, request: Request) -> Response:
    return reply(format, "discovery", Discovery(
        changeset=CHANGESET,
        contact=f"{CENTRE} (Dadukou district, Chongqing)",
        key_service="API keys are issued by the district's administrators "
                    "(POST /open311/keys).",
        endpoints=[Endpoint(
            specification=SPECIFICATION,
            url=str(request.base_url).rstrip("/") + "/open311/v2",
            changeset=CHANGESET, type="production",
            formats=list(MEDIA_TYPES.values()),
        )],
    ))


@v2.get("/services.{format}", response_model=list[Service],
        responses=documented(400, 404))
def list_services(format: Format, session: SessionDep,
                  jurisdiction_id: ShortText | None = None) -> Response:
    check_jurisdiction(jurisdiction_id)
    rows = session.exec(select(Category).order_by(Category.code)).all()
    return reply(format, "services", [service_out(c) for c in rows])


@v2.get("/services/{service_code}.{format}", response_model=ServiceDefinition,
        responses=documented(400, 404))
def get_service(service_code: ShortText, format: Format, session: SessionDep,
                jurisdiction_id: ShortText | None = None) -> Response:
    check_jurisdiction(jurisdiction_id)
    category = session.get(Category, service_code)
    if category is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND,
                           f"service_code {shown(service_code)!r} not found")
    return reply(format, "service_definition", service_definition(category))


@v2.post("/requests.{format}", response_model=list[RequestReceipt],
         responses=documented(400, 403, 404, 413, created=list[RequestReceipt]))
async def create_request(
        format: Format, request: Request, session: SessionDep,
        api_key: ShortText | None = Form(None), jurisdiction_id: ShortText | None = Form(None),
        service_code: ShortText | None = Form(None), lat: ShortText | None = Form(None),
        long: ShortText | None = Form(None), address_string: ShortText | None = Form(None),
        address_id: ShortText | None = Form(None), description: Text | None = Form(None),
        media_url: ShortText | None = Form(None, max_length=MAX_REF),
        street: ShortText | None = Form(None, alias="attribute[street]"),
        first_name: ShortText | None = Form(None), last_name: ShortText | None = Form(None),
        email: ShortText | None = Form(None), phone: ShortText | None = Form(None)) -> Response:
    """Report a case. Every field is optional here and checked below, so that a bad report
    gets the standard's 400/403/404 rather than FastAPI's 422. Every field is bounded
    (`description` 2000 characters, `media_url` 500, the others 200): the report becomes a
    case's workflow input."""
    check_jurisdiction(jurisdiction_id)
    # The standard sends api_key in the body. A key in the URL would be written to access
    # logs and proxies' histories, so it is refused, not used.
    if "api_key" in request.query_params:
        raise Open311Error(status.HTTP_400_BAD_REQUEST,
                           "send api_key in the form body, never in the URL")
    key = check_key(session, api_key)
    if not service_code:
        raise bad("service_code was not provided")
    category = session.get(Category, service_code)
    if category is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND,
                           f"service_code {shown(service_code)!r} not found")
    if not lat or not long:
        # No geocoder here: cases are routed by the street their coordinates fall in.
        raise bad("lat and long are required: Dadukou locates reports by coordinates, and "
                  "address_string or address_id alone cannot be geocoded here")
    location = Location(lat=parse_coordinate("lat", lat, 90),
                        lng=parse_coordinate("long", long, 180),
                        address=(address_string or "").strip() or None)
    if street and street not in geo.STREETS:
        raise bad(f"attribute[street] {shown(street)!r} is not one of {', '.join(geo.STREETS)}")
    # Optional in the standard, whose own limit is 4000 characters; a case keeps 2000.
    text = (description or "").strip() or category.name
    if media_url and not is_photo_url(media_url):
        raise bad(f"media_url must be an http(s) URL of at most {MAX_REF} characters")

    # Contact details stay out of the case: only the name is shown to staff.
    name = f"{last_name or ''}{first_name or ''}".strip()[:MAX_SHORT_TEXT]
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
    return reply(format, "service_requests", [RequestReceipt(
        service_request_id=outcome.case_id, service_notice=notice, account_id=None)],
        status.HTTP_200_OK if outcome.joined else status.HTTP_201_CREATED)


@v2.get("/tokens/{token}.{format}", response_model=list[RequestToken],
        responses=documented(400, 404))
def get_token(token: ShortText, format: Format, session: SessionDep,
              jurisdiction_id: ShortText | None = None) -> Response:
    """Ids are given at once, so a token is simply the case id."""
    check_jurisdiction(jurisdiction_id)
    if session.get(IncidentRow, token) is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND, f"token {shown(token)!r} not found")
    return reply(format, "service_requests",
                 [RequestToken(service_request_id=token, token=token)])


@v2.get("/requests.{format}", response_model=list[ServiceRequest],
        responses=documented(400, 404))
def list_requests(
        format: Format, session: SessionDep, service_request_id: Text | None = None,
        service_code: Text | None = None, start_date: ShortText | None = None,
        end_date: ShortText | None = None, status_: ShortText | None = Query(None, alias="status"),
        jurisdiction_id: ShortText | None = None) -> Response:
    """Newest first, at most 1000; the last 90 days unless dates are given. A list of
    service_request_id overrides every other filter, as the standard says."""
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
                raise bad(f"status must be open or closed (comma-separated), got "
                          f"{shown(status_)!r}")
            query = query.where(col(IncidentRow.status).in_(
                [s for group in wanted for s in STATUS_GROUPS[group]]))
    query = query.order_by(col(IncidentRow.reported_at).desc()).limit(MAX_RESULTS)
    return reply(format, "service_requests", requests_out(session, list(session.exec(query))))


@v2.get("/requests/{service_request_id}.{format}", response_model=list[ServiceRequest],
        responses=documented(400, 404))
def get_request(service_request_id: ShortText, format: Format, session: SessionDep,
                jurisdiction_id: ShortText | None = None) -> Response:
    check_jurisdiction(jurisdiction_id)
    row = session.get(IncidentRow, service_request_id)
    if row is None:
        raise Open311Error(status.HTTP_404_NOT_FOUND,
                           f"service_request_id {shown(service_request_id)!r} not found")
    return reply(format, "service_requests", requests_out(session, [row]))


router.include_router(v2)


# --- API keys (admins) ---------------------------------------------------------------------


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="who the key is for")


AdminUser = Depends(require_roles(ADMIN))


@router.post("/keys", status_code=status.HTTP_201_CREATED, response_model=IssuedKey,
             responses=responses(401, 403, 413, 422))
def issue_key(body: NewKey, session: SessionDep, user: User = AdminUser) -> IssuedKey:
    """A new key for an Open311 client. The key is shown here once; only its hash is kept."""
    key = new_api_key()
    row = ApiKey(id=secrets.token_hex(8), name=body.name.strip(), key_hash=hash_api_key(key),
                 created_by=user.username, created_at=datetime.now(UTC))
    session.add(row)
    session.commit()
    session.refresh(row)
    return IssuedKey(id=row.id, name=row.name, key=key, created_at=row.created_at)


@router.get("/keys", response_model=list[KeyOut], responses=responses(401, 403))
def list_keys(session: SessionDep, _: User = AdminUser) -> list[KeyOut]:
    rows = session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc())).all()
    return [KeyOut.model_validate(k) for k in rows]


@router.delete("/keys/{key_id}", response_model=KeyOut, responses=responses(401, 403, 404))
def revoke_key(key_id: str, session: SessionDep, _: User = AdminUser) -> KeyOut:
    """Revoke a key; its clients get 403 from then on. Revoking twice keeps the first time."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        session.commit()
        session.refresh(row)
    return KeyOut.model_validate(row)
