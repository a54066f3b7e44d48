"""惠新码 codes and gates: a rider's fresh code, the trust list and key rotation, the signed
revocations for offline gates, and the gates' scans (gate_verifier.py decides, online as
offline; the endpoint adds what only the server knows: a pass's own end, and replays).
Registered before /rider-passes/{id}, whose path would otherwise take these."""

import dataclasses
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from statistics import median
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import func, text
from sqlmodel import Session, col, select

import gate_verifier
from api.deps import CurrentUser, SessionDep, current_user, oauth2
from api.errors import responses
from db.engine import get_engine
from db.models import (
    GateRow,
    GateScanRow,
    RiderPassRow,
    RiderProfileRow,
    RiderServiceRow,
    User,
)
from db.rider_keys import create_key, signing_key, trust_list
from domain.id_number import mask_name
from domain.limits import FIRST_DAY, LAST_DAY, Day
from domain.rider_code import qr_png, qr_svg, sign_code, sign_document
from domain.roles import ADMIN, AUDITOR, GATE_GUARD, RIDER, UNION_REVIEWER, UNION_WORKER
from domain.timefmt import SHANGHAI
from security import hash_api_key, new_api_key

router = APIRouter(tags=["惠新码 rider pass"])

CODE_TYPES = {"png": "image/png", "svg": "image/svg+xml", "text": "text/plain"}
BLOCKED = {"suspended": "suspended", "revoked": "revoked", "cancelled": "revoked"}
UNION_READERS = (UNION_REVIEWER, UNION_WORKER, ADMIN, AUDITOR)


class TrustOut(BaseModel):
    issuer: str
    keys: list[dict] = Field(description="JWKs (RFC 8037) with created_at and retired_at")


class RevocationsOut(BaseModel):
    since: str | None
    issued_at: str
    passes: dict[str, str] = Field(description="pass id -> suspended | revoked")
    document: str = Field(description="the same, signed: base64url of a COSE_Sign1 whose "
                          "payload is a CBOR map; gate_verifier.verify_document checks it")


class DeviceKeyOut(BaseModel):
    gate: str
    key: str = Field(description="send as the X-Gate-Key header; shown only now")


class ScanIn(BaseModel):
    code: str = Field(min_length=1, max_length=2000)


class RiderShown(BaseModel):
    masked_name: str
    platform: str
    photo: str


class ScanOut(BaseModel):
    allowed: bool
    reason: str | None = Field(description="bad_format, bad_signature, unknown_key, "
                               "retired_key, expired, not_yet_valid, suspended, revoked, "
                               "pass_expired, out_of_scope, replayed")
    pass_id: str | None = None
    rider: RiderShown | None = Field(None, description="to compare with the person at the gate")


@router.get("/rider-passes/me/code", responses={
    200: {"content": {t: {} for t in CODE_TYPES.values()},
          "description": "a fresh code, valid 120 s"}} | responses(401, 403, 404, 409, 422))
def my_code(user: CurrentUser, session: SessionDep,
            format: Literal["png", "svg", "text"] = Query("png")) -> Response:  # noqa: A002
    """A fresh 惠新码 for the rider's active pass, as a QR image or its text."""
    code = issue_code(user, session)
    body: bytes | str = {"png": lambda: qr_png(code), "svg": lambda: qr_svg(code),
                         "text": lambda: code}[format]()
    return Response(body, media_type=CODE_TYPES[format],
                    headers={"Cache-Control": "no-store"})


def issue_code(user: User, session: Session) -> str:
    """A fresh code's text for the rider's active pass: 403 for anyone but a rider, 404 with
    no pass, 409 while it is under review or suspended."""
    if user.role != RIDER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "惠新码 codes are for riders")
    live = session.exec(select(RiderPassRow).where(
        RiderPassRow.rider == user.username,
        col(RiderPassRow.status).in_(("reviewing", "active", "suspended")))).first()
    if live is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "您还没有有效的惠新码")
    if live.status != "active":
        now_is = "审核中" if live.status == "reviewing" else "已暂停"
        raise HTTPException(status.HTTP_409_CONFLICT, f"惠新码{now_is}，暂不能出示")
    scope = live.scope or gate_verifier.DISTRICT
    session.close()
    kid, key = signing_key(get_engine())
    return sign_code(live.id, scope, key, kid, datetime.now(UTC))


@router.get("/rider-passes/trust", response_model=TrustOut)
def trust(session: SessionDep) -> TrustOut:
    """The public keys gates verify codes with (no sign-in: they are public)."""
    return TrustOut(issuer=gate_verifier.ISSUER, keys=trust_list(session))


@router.post("/rider-passes/keys/rotate", response_model=TrustOut,
             responses=responses(401, 403))
def rotate(user: CurrentUser, session: SessionDep) -> TrustOut:
    """A new signing key (admin); the old one verifies its codes until they expire."""
    if user.role != ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admin rotates the signing key")
    create_key(get_engine())
    return TrustOut(issuer=gate_verifier.ISSUER, keys=trust_list(session))


def blocked(session: Session, since: datetime | None = None) -> dict[str, str]:
    query = select(RiderPassRow).where(col(RiderPassRow.status).in_(tuple(BLOCKED)))
    if since is not None:
        query = query.where(col(RiderPassRow.ended_at).is_(None)
                            | (col(RiderPassRow.ended_at) >= since))
    return {r.id: BLOCKED[r.status] for r in session.exec(query)}


@router.get("/rider-passes/revocations", response_model=RevocationsOut,
            responses=responses(422))
def revocations(session: SessionDep, since: datetime | None = None) -> RevocationsOut:
    """Suspended and revoked passes, signed, for gates that verify offline (public: pass ids
    only). `since` leaves out passes that ended before it."""
    now = datetime.now(UTC)
    passes = blocked(session, since)
    session.close()
    kid, key = signing_key(get_engine())
    doc = sign_document({"issued_at": int(now.timestamp()), "passes": passes}, key, kid)
    return RevocationsOut(since=since.isoformat() if since else None,
                          issued_at=now.isoformat(), passes=passes, document=doc)


async def scanner(session: SessionDep, token: Annotated[str | None, Depends(oauth2)],
                  gate_key: Annotated[str | None, Header(alias="X-Gate-Key",
                                                         max_length=100)] = None) -> str:
    """Who scans: a signed-in user (checked against the gate below), or a gate device by
    its key (`device:<gate>`)."""
    if gate_key:
        gate = session.exec(select(GateRow).where(
            GateRow.key_hash == hash_api_key(gate_key))).first()
        session.close()
        if gate is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or replaced gate key")
        return f"device:{gate.id}"
    user = await current_user(session, token)
    if user.role != GATE_GUARD:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "scans are made by gate guards")
    return f"{user.username}@{user.department}"


@router.post("/gates/{gate_id}/device-key", response_model=DeviceKeyOut,
             responses=responses(401, 403, 404, 422))
def issue_device_key(user: CurrentUser, session: SessionDep,
                     gate_id: str = Path(max_length=40, pattern=r"^[\w-]+$")) -> DeviceKeyOut:
    """A new key for the gate's device (admin); shown once, it replaces the one before."""
    if user.role != ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admin issues gate device keys")
    gate = session.get(GateRow, gate_id)
    if gate is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such gate")
    key = new_api_key()
    gate.key_hash, gate.key_issued_at = hash_api_key(key), datetime.now(UTC)
    session.add(gate)
    session.commit()
    return DeviceKeyOut(gate=gate_id, key=key)


@router.post("/gates/{gate_id}/scans", response_model=ScanOut,
             responses=responses(401, 403, 404, 422))
def scan(body: ScanIn, session: SessionDep, who: Annotated[str, Depends(scanner)],
         gate_id: str = Path(max_length=40, pattern=r"^[\w-]+$")) -> ScanOut:
    """A guard of the gate's community, or the gate's device (`X-Gate-Key`), scans a code:
    allowed or the reason; every scan is logged (gate, time, pass, outcome)."""
    gate = session.get(GateRow, gate_id)
    if gate is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such gate")
    device = who == f"device:{gate.id}"
    guard = not who.startswith("device:") and who.endswith(f"@{gate.community}")
    if not (device or guard):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"only the guards of {gate.community} and this gate's device scan "
                            "here")
    now = datetime.now(UTC)
    keys = trust_list(session)
    peek = gate_verifier.verify(body.code, keys, community=gate.community, now=now)
    until: dict[str, datetime] = {}  # what only the server knows: the pass's own end
    row = session.get(RiderPassRow, peek.pass_id) if peek.pass_id else None
    if row is not None and row.valid_until is not None:
        end = row.valid_until if row.valid_until.tzinfo else row.valid_until.replace(tzinfo=UTC)
        until[row.id] = now if row.status == "expired" else end
    verdict = gate_verifier.verify(body.code, keys, community=gate.community, now=now,
                                   revoked=blocked(session), pass_valid_until=until)
    profile = session.get(RiderProfileRow, row.rider) if row is not None else None
    session.close()  # reads done: the write below is short and starts with a write (SQLite)
    verdict = record(gate, verdict, who.split("@")[0], now)
    shown = None
    if profile is not None:
        shown = RiderShown(masked_name=mask_name(profile.name), platform=profile.platform,
                           photo=profile.photo)
    return ScanOut(allowed=verdict.allowed, reason=verdict.reason, pass_id=verdict.pass_id,
                   rider=shown)


def record(gate: GateRow, verdict: gate_verifier.Verdict, guard: str,
           now: datetime) -> gate_verifier.Verdict:
    """Log the scan and, for a code that would let someone in, claim its cti for this gate,
    in one transaction: whoever claimed it first decides, so a code used at another gate
    is a replay (the verifier's last check), even when two gates scan it at once."""
    with get_engine().begin() as conn:
        if verdict.allowed and verdict.cti:
            conn.execute(text("INSERT INTO code_use (cti, gate, at) VALUES (:cti, :gate, :at) "
                              "ON CONFLICT (cti) DO NOTHING"),
                         {"cti": verdict.cti, "gate": gate.id, "at": now})
            first = conn.execute(text("SELECT gate FROM code_use WHERE cti = :cti"),
                                 {"cti": verdict.cti}).scalar()
            if first != gate.id:
                verdict = dataclasses.replace(verdict, allowed=False, reason="replayed")
        conn.execute(GateScanRow.__table__.insert().values(
            gate=gate.id, community=gate.community, at=now, pass_id=verdict.pass_id,
            cti=verdict.cti, allowed=verdict.allowed, reason=verdict.reason,
            scanned_by=guard))
    return verdict


class StatsOut(BaseModel):
    since: str
    until: str
    entries_by_gate_hour: list[dict] = Field(description="gate, hour (Asia/Shanghai), entries")
    refusals_by_reason: dict[str, int]
    active_passes: int
    certifications_by_month: dict[str, int] = Field(description="approved passes by month")
    requests_by_module: dict[str, dict] = Field(
        description="module -> requests, closed, median_hours_to_close")


@router.get("/rider-passes/stats", response_model=StatsOut, responses=responses(401, 403, 422))
def stats(user: CurrentUser, session: SessionDep,
          since: Day | None = Query(None, description="first day (Asia/Shanghai); default "
                                    f"30 days ago; {FIRST_DAY} to {LAST_DAY}"),
          until: Day | None = Query(None, description="last day; default today")) -> StatsOut:
    """惠新码 in figures (the union's staff, admin, auditors)."""
    if user.role not in UNION_READERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "figures are for the union's staff")
    today = datetime.now(SHANGHAI).date()
    last = until or today
    first = since or last - timedelta(days=30)
    if first > last:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "since is after until")
    start = datetime.combine(first, time(), SHANGHAI).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
    entries: Counter[tuple[str, str]] = Counter()
    refusals: Counter[str] = Counter()
    for row in session.exec(select(GateScanRow).where(col(GateScanRow.at) >= start,
                                                      col(GateScanRow.at) < end)):
        if row.allowed:
            at = row.at if row.at and row.at.tzinfo else (row.at or start).replace(tzinfo=UTC)
            entries[(row.gate, at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:00"))] += 1
        else:
            refusals[row.reason or "unknown"] += 1
    active = session.exec(select(func.count()).select_from(RiderPassRow).where(
        RiderPassRow.status == "active")).one()
    months: Counter[str] = Counter()
    for approved in session.exec(select(RiderPassRow.approved_at).where(
            col(RiderPassRow.approved_at).is_not(None))):
        at = approved if approved.tzinfo else approved.replace(tzinfo=UTC)
        months[at.astimezone(SHANGHAI).strftime("%Y-%m")] += 1
    modules: dict[str, dict] = {}
    for row in session.exec(select(RiderServiceRow).where(
            col(RiderServiceRow.asked_at) >= start, col(RiderServiceRow.asked_at) < end)):
        entry = modules.setdefault(row.module, {"requests": 0, "closed": 0, "hours": []})
        entry["requests"] += 1
        if row.closed_at and row.asked_at:
            entry["closed"] += 1
            entry["hours"].append((row.closed_at - row.asked_at).total_seconds() / 3600)
    for entry in modules.values():
        hours = entry.pop("hours")
        entry["median_hours_to_close"] = round(median(hours), 1) if hours else None
    return StatsOut(
        since=first.isoformat(), until=last.isoformat(),
        entries_by_gate_hour=[{"gate": g, "hour": h, "entries": n}
                              for (g, h), n in sorted(entries.items())],
        refusals_by_reason=dict(sorted(refusals.items())), active_passes=active,
        certifications_by_month=dict(sorted(months.items())), requests_by_module=modules)
