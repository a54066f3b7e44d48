"""What the joint inspection (多跨智查) and penalty (行政处罚) processes share: who enforces, the
officers' certificates and the penalties the law allows. Their tasks climb the command
centre's ladder (domain/ladder.py).

"1+5+1": one legal review centre (法制审核中心), the district's comprehensive enforcement teams
(urban management enforces too), and one team in each street and town.
"""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from domain.geo import STREETS
from domain.roles import DEPT_HEAD, LEGAL_REVIEWER, OFFICER, PARTY  # noqa: F401  (re-exported)

LEGAL_CENTER = "legal_center"  # 法制审核中心, a department

# "1+5+1": the district's comprehensive enforcement teams (urban management enforces too) and
# the comprehensive enforcement team of each street and town (街镇综合行政执法队).
DISTRICT_TEAMS = ("market_reg", "ecology_env", "culture_tourism", "transport", "agri_rural",
                  "urban_mgmt")
ENFORCEMENT_DEPARTMENTS = DISTRICT_TEAMS + tuple(STREETS)
MIN_OFFICERS = 2  # 行政处罚法 Art. 42: at least two officers with enforcement certificates


def enforcement_staff(role: str, department: str | None) -> bool:
    """Officers and heads of an enforcement department: they publish inspections and cases."""
    return role in (OFFICER, DEPT_HEAD) and department in ENFORCEMENT_DEPARTMENTS


class Officer(BaseModel):
    """An entry of the roster of enforcement officers (执法人员名录库)."""

    username: str
    department: str
    certificate_no: str
    certificate_expires: date

    def valid_on(self, day: date) -> bool:
        return day <= self.certificate_expires


class Enterprise(BaseModel):
    """The facts about a market entity (市场主体) a case needs: no personal data."""

    credit_code: str
    name: str
    street: str | None = None
    party: str | None = None  # username of its `party` account


PenaltyKind = Literal["fine", "warning", "confiscation", "suspension", "revocation"]
PENALTY_NAMES = {"fine": "罚款", "warning": "警告", "confiscation": "没收违法所得",
                 "suspension": "责令停产停业", "revocation": "吊销许可证件", "none": "不予处罚"}
# Heavier to lighter, for Art. 45 (a statement never makes the penalty heavier).
SEVERITY = {"none": 0, "warning": 1, "fine": 2, "confiscation": 3, "suspension": 4,
            "revocation": 5}
MAX_FINE = 100_000_000  # yuan: far above any fine the district imposes


class Penalty(BaseModel):
    """A proposed or decided penalty: its kind, and the fine in yuan when it is one."""

    type: PenaltyKind | Literal["none"]
    fine: float | None = Field(default=None, gt=0, le=MAX_FINE, allow_inf_nan=False)

    @model_validator(mode="after")
    def _amount(self) -> "Penalty":
        if self.type == "fine" and self.fine is None:
            raise ValueError("a fine needs its amount: fine (yuan)")
        if self.type != "fine" and self.fine is not None:
            raise ValueError(f"a {self.type} carries no fine amount")
        return self

    def heavier_than(self, other: "Penalty") -> bool:
        if SEVERITY[self.type] != SEVERITY[other.type]:
            return SEVERITY[self.type] > SEVERITY[other.type]
        return (self.fine or 0) > (other.fine or 0)

    def label(self) -> str:
        name = PENALTY_NAMES[self.type]
        return f"{name} {self.fine:g} 元" if self.fine is not None else name
