"""德分宝 redemptions (积分兑换, issue 9): a resident reserves one unit of a merchant's offer
with points, shows a single-use code at the merchant, and the merchant confirms it.

The reservation is a pending transfer on the ledger (resident -> merchant) taken together with
one unit of the offer's stock (db/ledger.reserve); the RedemptionWorkflow resolves it exactly
once: the merchant's confirmation posts it, the resident's cancellation or the expiry after
`redemption_days` voids it and gives the unit back. After a confirmation the resident may rate
the redemption once (1-5 stars) for RATING_DAYS.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.tasks import Actor

PROCESS = "redemption"
RATING_DAYS = 30
# Codes people read out at a counter: uppercase letters and digits without 0/O/1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

Status = Literal["reserved", "confirmed", "voided", "cancelled"]
STATUS_NAMES = {"reserved": "待核销", "confirmed": "已核销", "voided": "已过期作废",
                "cancelled": "已取消"}


def pending_id(redemption_id: str) -> str:
    return f"redemption:{redemption_id}"


def workflow_id(redemption_id: str) -> str:
    return f"redemption-{redemption_id}"


class RedemptionInput(BaseModel):
    id: str
    resident: str  # username
    community: str
    offer_id: str
    offer_title: str
    merchant: str  # the merchant's code
    merchant_name: str
    points: int
    pending_id: str  # the reservation on the ledger
    code: str  # single-use; shown to the resident and the confirming merchant only
    reserved_at: datetime
    days: int = 7  # the reservation expires after this
    rating_days: int = RATING_DAYS


class RedemptionState(BaseModel):
    id: str
    workflow_id: str
    status: Status = "reserved"
    resident: str
    community: str
    offer_id: str
    offer_title: str
    merchant: str
    merchant_name: str
    points: int
    pending_id: str
    code: str
    reserved_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    version: int = 0


class ConfirmRequest(BaseModel):
    actor: Actor


class CancelRequest(BaseModel):
    actor: Actor


class RateRequest(BaseModel):
    actor: Actor
    stars: int = Field(ge=1, le=5)


class Resolution(BaseModel):
    """What the ledger activity writes: `post` (confirmed) or `void` (cancelled, expired; the
    offer's unit goes back in the same transaction)."""

    redemption_id: str
    pending_id: str
    offer_id: str
    phase: Literal["post", "void"]
    reason: str
    actor: str
    at: datetime

    @property
    def transfer_id(self) -> str:
        return f"{self.pending_id}:{self.phase}"
