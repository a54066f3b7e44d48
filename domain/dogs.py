"""Reference data of dog disputes: the community's civilised dog-keeping convention
(《社区文明养犬自治公约》, eleven behaviours) with, for each, who enforces it at the 法律 tier
and the fine range, and the figures of the 重庆市养犬管理条例 (in force 2023-06-01).

The figures are configuration, in `data/dog_convention.json` (DOG_CONVENTION_FILE overrides
the path). A dispute carries a copy of its behaviour's rule in its input, so a case keeps the
rule it started with when the file changes.
"""

import json
import math
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "dog_convention.json"
BEHAVIOURS = range(1, 12)
PROPERTY_RULE = 11  # unclaimed dogs: property management acts at the 法律 tier


class FineRange(BaseModel):
    """The fine a breach may carry (yuan): `min`..`max`, or up to `serious_max` when the
    record says the case is serious (情节严重)."""

    min: float = Field(gt=0)
    max: float = Field(gt=0)
    serious_max: float | None = None
    article: str
    to_confirm: bool = False

    def admits(self, amount: float, serious: bool = False) -> bool:
        top = self.serious_max if serious and self.serious_max else self.max
        return self.min <= amount <= top or math.isclose(amount, top)

    def label(self) -> str:
        text = f"{self.min:g}-{self.max:g} 元"
        if self.serious_max:
            text += f"（情节严重的 {self.max:g}-{self.serious_max:g} 元）"
        return text


class Behaviour(BaseModel):
    """One of the convention's eleven behaviours."""

    code: int = Field(ge=1, le=11)
    name: str  # e.g. 遛狗牵绳、佩戴嘴套
    rule: str  # what the convention asks
    community_handler: str  # who handles it in the community (自律, 共律)
    legal_department: str | None  # who enforces it at the 法律 tier (None: property)
    legal_role: str  # officer, or property for rule 11
    legal_handler: str  # the same, as people say it
    direct_to_law: bool = False  # banned or unregistered dogs: straight to 公安
    seize: bool = False  # 收容 / 没收 is an outcome the law allows here
    fine: FineRange | None = None  # None: no fine for this behaviour


class Figure(BaseModel):
    key: str
    value: float | list[float]
    unit: str
    text: str
    article: str
    to_confirm: bool = False


class Regulation(BaseModel):
    name: str
    adopted: date
    in_force: date
    figures: list[Figure]


class Convention(BaseModel):
    name: str
    version: str
    note: str = ""
    regulation: Regulation
    behaviours: list[Behaviour]

    def behaviour(self, code: int) -> Behaviour | None:
        return next((b for b in self.behaviours if b.code == code), None)


def load_convention(path: Path = DATA_PATH) -> Convention:
    convention = Convention.model_validate(json.loads(path.read_text(encoding="utf-8")))
    if sorted(b.code for b in convention.behaviours) != list(BEHAVIOURS):
        raise ValueError(f"{path}: the convention has behaviours 1-11, each once")
    return convention


@cache
def convention() -> Convention:
    import os

    return load_convention(Path(os.environ.get("DOG_CONVENTION_FILE") or DATA_PATH))


class Dog(BaseModel):
    """A dog in the registry (养犬登记)."""

    dog_id: str  # 登记证号
    owner: str  # the resident's username
    community: str
    name: str | None = None
    breed: str
    banned: bool = False
    vaccinated_on: date | None = None
    registered_on: date | None = None
