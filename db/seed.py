"""Seed data: the category catalogue (always), the demo users and the demo Open311 key
(`make up` only).

    python -m db.seed            # catalogue
    python -m db.seed --demo     # catalogue, demo users (password `demo`), Open311 key
"""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from config import ROOT
from db.engine import get_engine
from db.models import ApiKey, Category, User
from domain.departments import DEPARTMENTS
from domain.roles import (
    ADMIN,
    AUDITOR,
    CITIZEN,
    COMMAND_LEAD,
    DEPT_HEAD,
    DISPATCHER,
    INSPECTOR,
    INTAKE,
    OFFICER,
    SERVICE,
)
from security import hash_api_key, hash_password

CATALOGUE = ROOT / "data" / "categories.json"
DEMO_PASSWORD = "demo"
DEMO_OPEN311_KEY = "demo-open311-key"


def demo_users() -> list[dict]:
    users = [
        {"username": "citizen", "display_name": "市民王女士", "role": CITIZEN},
        {"username": "inspector", "display_name": "监督员李工", "role": INSPECTOR},
        {"username": "intake", "display_name": "监督中心受理员", "role": INTAKE},
        {"username": "dispatcher", "display_name": "指挥中心派遣员", "role": DISPATCHER},
        {"username": "command_lead", "display_name": "指挥中心负责人", "role": COMMAND_LEAD},
        {"username": "auditor", "display_name": "审计员", "role": AUDITOR},
        {"username": "admin", "display_name": "系统管理员", "role": ADMIN},
        {"username": "ai_camera", "display_name": "AI视频抓拍", "role": SERVICE,
         "report_source": "ai_video"},
        {"username": "city_platform", "display_name": "市级平台", "role": SERVICE,
         "report_source": "city_dispatch"},
    ]
    for code, name in DEPARTMENTS.items():
        users.append({"username": f"officer_{code}", "display_name": f"{name}处置员",
                      "role": OFFICER, "department": code})
        users.append({"username": f"head_{code}", "display_name": f"{name}负责人",
                      "role": DEPT_HEAD, "department": code})
    return users


def seed_categories(session: Session, path: Path = CATALOGUE) -> int:
    rows = json.loads(path.read_text(encoding="utf-8"))
    for row in rows:
        session.merge(Category(code=row["code"], name=row["name"], class_=row["class"],
                               major_class=row["major_class"],
                               filing_condition=row.get("filing_condition", ""),
                               closing_condition=row.get("closing_condition", ""),
                               limits=row["limits"], department=row["department"],
                               routing=row.get("routing", "owner")))
    session.commit()
    return len(rows)


def seed_demo_users(session: Session) -> int:
    """Create the demo users that are missing; existing ones keep their passwords."""
    added = 0
    # One argon2 hash for all: the password is public anyway, and each hash costs ~150 ms.
    password_hash = hash_password(DEMO_PASSWORD)
    for spec in demo_users():
        if session.get(User, spec["username"]) is None:
            session.add(User(**spec, password_hash=password_hash))
            added += 1
    session.commit()
    return added


def seed_demo_open311_key(session: Session) -> bool:
    """Create the public demo Open311 key unless it exists (revoked or not)."""
    key_hash = hash_api_key(DEMO_OPEN311_KEY)
    if session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first() is not None:
        return False
    session.add(ApiKey(id="demo", name="demo", key_hash=key_hash, created_by="admin",
                       created_at=datetime.now(UTC)))
    session.commit()
    return True


def main(argv: list[str]) -> None:
    with Session(get_engine()) as session:
        print(f"catalogue: {seed_categories(session)} categories")
        if "--demo" in argv:
            print(f"demo users: {seed_demo_users(session)} added (password {DEMO_PASSWORD!r})")
            added = seed_demo_open311_key(session)
            print(f"demo Open311 key {DEMO_OPEN311_KEY!r}: {'added' if added else 'present'}")


if __name__ == "__main__":
    main(sys.argv[1:])
