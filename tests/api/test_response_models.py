"""Response models (issue 6): every time a response carries is formatted by its model, and the
models that mirror a table or a workflow's state keep up with it."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from api.main import app
from api.routers import incidents
from api.routers.incidents import (
    ArchivedIncident,
    ArchivedOwnIncident,
    ArchivedPublicIncident,
    IncidentRowOut,
    IncidentView,
    OwnIncidentRow,
    PublicIncidentRow,
)
from api.routers.notifications import NotificationOut
from api.routers.open311 import KeyOut
from db.models import ApiKey, IncidentRow, Notification
from domain.incident import IncidentState


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_no_response_carries_an_unformatted_time() -> None:
    """A plain `datetime` in a response model would come out in UTC: response times are
    `LocalTime` (or Open311's W3C time), whose schema is a string, never `date-time`."""
    doc = app.openapi()
    schemas = doc["components"]["schemas"]
    seen: set[str] = set()
    todo = set().union(*(_refs(op["responses"]) for ops in doc["paths"].values()
                         for op in ops.values()))
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= _refs(schemas[name]) - seen
    assert "IncidentView" in seen and "ServiceRequest" in seen
    assert not [name for name in seen if '"date-time"' in str(schemas[name]).replace("'", '"')]


def test_models_mirror_what_they_show() -> None:
    assert list(IncidentRowOut.model_fields) == list(IncidentRow.model_fields)
    assert list(NotificationOut.model_fields) == list(Notification.model_fields)
    assert set(KeyOut.model_fields) == set(ApiKey.model_fields) - {"key_hash"}
    assert set(IncidentView.model_fields) == set(IncidentState.model_fields) | {"tasks"}


def test_archived_cases_keep_each_readers_view() -> None:
    now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    row = IncidentRow(id="x", workflow_id="incident-x", status="closed", source="citizen",
                      reporter="citizen", category_code="SJ0101", category_name="暴露垃圾",
                      description="门口 13800138000", address="幸福路7号", lat=29.4, lng=106.4,
                      reported_at=now)
    staff = SimpleNamespace(role="dispatcher", username="dispatcher", department=None)
    own = SimpleNamespace(role="citizen", username="citizen", department=None)
    joined = SimpleNamespace(role="service", username="ai_camera", department=None)

    out = incidents.archived_row(row, staff)
    assert isinstance(out, ArchivedIncident) and out.reporter == "citizen"
    out = incidents.archived_row(row, own)
    assert isinstance(out, ArchivedOwnIncident) and out.description == row.description
    out = incidents.archived_row(row, joined)
    assert type(out) is ArchivedPublicIncident
    body = out.model_dump(mode="json")
    assert body["archived"] is True and body["reported_at"] == "2026-11-28T09:00:00+08:00"
    assert not {"description", "address", "lat", "lng", "reporter"} & set(body)
    assert type(incidents.public_row(row, "ai_camera")) is PublicIncidentRow
    assert type(incidents.public_row(row, "citizen")) is OwnIncidentRow
