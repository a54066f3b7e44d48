"""惠新码 as the console shows it: a code with its QR image in one answer (so the text a rider
copies is the very code the image holds), and a pass's history (its review tasks and the
union's and rider's actions), read by whoever may read the pass."""

import base64
from datetime import UTC, datetime
from typing import Literal

import cbor2
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

import gate_verifier
from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.localtime import LocalTime
from api.routers.rider_codes import issue_code
from api.routers.rider_passes import PASS_ID, _readable
from api.routers.tasks import TaskOut, task_out
from db.models import TaskRow
from domain.rider_code import qr_png, qr_svg
from domain.rider_pass import ACTION_NAMES

router = APIRouter(tags=["惠新码 rider pass"])
EVENT_NAMES = ACTION_NAMES | {"approved": "审核通过", "renewed": "续期通过",
                             "renewal_rejected": "续期未通过"}


class CodeCard(BaseModel):
    code: str = Field(description="the code's text (HXM1:…), as in the image")
    image: str = Field(description="the QR image, base64 of `media_type`")
    media_type: str
    issued_at: LocalTime
    expires_at: LocalTime


class PassEventOut(BaseModel):
    action: str
    action_name: str
    by: str
    at: LocalTime | None
    reason: str | None = None


class PassHistory(BaseModel):
    tasks: list[TaskOut]
    events: list[PassEventOut]


@router.get("/rider-passes/me/code-card", response_model=CodeCard,
            responses=responses(401, 403, 404, 409, 422))
def my_code_card(user: CurrentUser, session: SessionDep,
                 format: Literal["png", "svg"] = Query("png")) -> CodeCard:  # noqa: A002
    """A fresh code (valid 120 s) as its text and its QR image together, for a page that shows
    both: one signature, so the copied text and the scanned image are the same code."""
    text = issue_code(user, session)
    claims = cbor2.loads(gate_verifier.decode(text)[2])
    image = qr_png(text) if format == "png" else qr_svg(text).encode()
    return CodeCard(code=text, image=base64.b64encode(image).decode(),
                    media_type="image/png" if format == "png" else "image/svg+xml",
                    issued_at=datetime.fromtimestamp(claims[gate_verifier.IAT], UTC),
                    expires_at=datetime.fromtimestamp(claims[gate_verifier.EXP], UTC))


@router.get("/rider-passes/{pass_id}/history", response_model=PassHistory,
            responses=responses(401, 404, 422))
def pass_history(user: CurrentUser, session: SessionDep,
                 pass_id: str = PASS_ID) -> PassHistory:
    """A pass's review tasks (oldest first) and its actions (suspend, reinstate, revoke, renew,
    cancel): its rider, or the union's staff (404 otherwise, as GET /rider-passes/{id})."""
    row = _readable(session, user, pass_id)
    tasks = session.exec(select(TaskRow).where(TaskRow.workflow_id == row.workflow_id)
                         .order_by(col(TaskRow.opened_at), col(TaskRow.id))).all()
    events = [PassEventOut(action=e.get("action", ""),
                           action_name=EVENT_NAMES.get(e.get("action", ""), e.get("action", "")),
                           by=e.get("by", ""), at=e.get("at"), reason=e.get("reason"))
              for e in (row.state or {}).get("events", [])]
    return PassHistory(tasks=[task_out(t) for t in tasks], events=events)
