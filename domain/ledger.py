"""The points ledger (德分宝): double entry, immutable transfers, two-phase reservations
(DESIGN.md, principle 9; the model is TigerBeetle's).

Points move only as transfers between accounts. A transfer's id is chosen by the caller before
the write (from a workflow id and step, or an `Idempotency-Key`), so a retry is accepted once
and answers as the first did. A pending transfer reserves points; exactly one later transfer
posts or voids it. Corrections are reversing transfers; nothing is updated or deleted.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

AccountKind = Literal["resident", "merchant", "issuance", "expiry", "settlement"]
# Only the community's issuance account, where points come from, may go below zero.
NEGATIVE_ALLOWED: tuple[AccountKind, ...] = ("issuance",)

# posted: moves points at once; pending: reserves them; post / void: resolve a pending one.
Phase = Literal["posted", "pending", "post", "void"]
TransferKind = Literal["checkin", "deed", "redemption", "expiry", "settlement", "reversal",
                       "opening"]

TransferId = Annotated[str, StringConstraints(min_length=1, max_length=128,
                                              pattern=r"^[A-Za-z0-9:._-]+$")]
AccountId = Annotated[str, StringConstraints(min_length=1, max_length=96,
                                             pattern=r"^[A-Za-z0-9:._-]+$")]

# Error types, mapped to HTTP statuses by the API like the task board's.
INSUFFICIENT = "Insufficient"  # 409: the balance (or a stock) does not cover it
EXISTS_DIFFERENT = "ExistsDifferent"  # 409: the id was used for another transfer
RESOLVED = "Resolved"  # 409: the pending transfer was posted or voided already
CLOSED_MONTH = "ClosedMonth"  # 409: the month of the transfer is closed
UNKNOWN = "Unknown"  # 404/422: an account or pending transfer that does not exist


def account_id(kind: AccountKind, owner: str) -> str:
    """e.g. resident:resident_1, merchant:barber, issuance:rongcheng, settlement:2026-11."""
    return f"{kind}:{owner}"


class LedgerError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class TransferRequest(BaseModel):
    """What a caller asks to write. For `post` and `void`, `pending_id` names the reservation
    and the accounts and amount are taken from it (`amount` may be left 0)."""

    id: TransferId
    phase: Phase = "posted"
    debit: AccountId | None = None  # the account points leave
    credit: AccountId | None = None  # the account points reach
    amount: int = Field(0, ge=0, le=10_000_000)
    pending_id: TransferId | None = None
    kind: TransferKind
    reason: str = Field(max_length=200)
    actor: str = Field(max_length=64)
    at: datetime  # when it happened (its month must be open); stored in UTC


class Transfer(BaseModel):
    """A transfer as stored."""

    id: str
    phase: Phase
    debit: str
    credit: str
    amount: int
    pending_id: str | None
    kind: str
    reason: str
    actor: str
    at: datetime
    month: str  # yyyy-mm in Asia/Shanghai


class Balance(BaseModel):
    account: str
    kind: AccountKind
    posted: int  # credits_posted - debits_posted
    pending: int  # points reserved out of it
    available: int  # posted - pending: what may still be spent


AWARD_KINDS: tuple[TransferKind, ...] = ("checkin", "deed")  # what the earning caps count


class Caps(BaseModel):
    """Earning caps per resident (configuration): points awarded per Asia/Shanghai day and
    month, and the most a resident may hold. An award over a cap posts what fits."""

    per_day: int = Field(50, gt=0)
    per_month: int = Field(500, gt=0)
    balance: int = Field(1500, gt=0)


class Award(BaseModel):
    """What an award did: the transfer (None when nothing fitted), what was asked, and why
    less was given."""

    transfer: Transfer | None
    asked: int
    given: int
    capped_by: Literal["per_day", "per_month", "balance"] | None = None
    repeated: bool = False  # the same id was awarded before: this is that award
