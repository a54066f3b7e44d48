"""Seed data: the category catalogue and the communities (always), the demo users, the demo
Open311 key, the enforcement reference data and the dog registry (`make up` only).

    python -m db.seed            # catalogue, communities and their buildings
    python -m db.seed --demo     # the same, demo users (password `demo`), Open311 key,
                                 # demo enterprises and enforcement officers,
                                 # community staff, residents and their dogs
"""

import hashlib
import json
import sys
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from sqlmodel import Session, SQLModel, select

from config import ROOT
from db.engine import get_engine
from db.models import (
    ApiKey,
    BuildingRow,
    Category,
    CommunityRow,
    DogRow,
    EnforcementOfficerRow,
    EnterpriseRow,
    ResidentRow,
    User,
)
from domain.credit_code import CHARSET, make_code
from domain.departments import DEPARTMENTS
from domain.enforcement import ENFORCEMENT_DEPARTMENTS, LEGAL_CENTER
from domain.roles import (
    ADMIN,
    AUDITOR,
    BUILDING_LEADER,
    CITIZEN,
    COMMAND_LEAD,
    COMMUNITY_WORKER,
    DEPT_HEAD,
    DISPATCHER,
    GATE_GUARD,
    GRID_WORKER,
    INSPECTOR,
    INTAKE,
    LEGAL_AID,
    LEGAL_REVIEWER,
    OFFICER,
    PARTY,
    PROPERTY,
    RIDER,
    SERVICE,
    UNION_REVIEWER,
    UNION_WORKER,
    VOLUNTEER,
)
from security import hash_api_key, hash_password

CATALOGUE = ROOT / "data" / "categories.json"
COMMUNITIES = ROOT / "data" / "communities.json"
GATES = ROOT / "data" / "gates.json"
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
    # 惠新码: riders without a pass yet, the trade union federation's staff, a guard per
    # demo gate's community.
    users += [{"username": f"rider_{n}", "display_name": f"骑手{n}", "role": RIDER}
              for n in (1, 2, 3)]
    users += [
        {"username": "union_reviewer", "display_name": "区总工会审核员", "role": UNION_REVIEWER},
        {"username": "union_worker", "display_name": "区总工会服务专员", "role": UNION_WORKER},
        {"username": "legal_aid", "display_name": "法律援助律师", "role": LEGAL_AID},
        {"username": "guard_baijiayuan", "display_name": "百佳园门岗", "role": GATE_GUARD,
         "department": "baijiayuan"},
        {"username": "guard_rongcheng", "display_name": "融城门岗", "role": GATE_GUARD,
         "department": "rongcheng"},
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


# -- enforcement reference data (docs/enforcement.md) ---------------------------------------

DISTRICT_PREFIX = "91500104"  # 9 工商, 1 企业, 500104 重庆市大渡口区
# (street, name, industry, address, risk grade). Enterprise n (1-based, in this order) has the
# account `party_<n>`: keep the order, append new ones at the end.
DEMO_ENTERPRISES: list[tuple[str, str, str, str, str]] = [
    ("xinshancun", "大渡口区渝味轩餐饮有限公司", "餐饮", "新山村街道锦霞街12号", "B"),
    ("xinshancun", "重庆钢城副食品超市有限公司", "食品销售", "新山村街道钢花路88号", "A"),
    ("xinshancun", "大渡口区星光KTV娱乐有限公司", "娱乐场所", "新山村街道松青路5号3楼", "C"),
    ("xinshancun", "重庆新山汽车维修服务有限公司", "汽修", "新山村街道新山村路21号", "B"),
    ("yuejincun", "大渡口区老灶火锅店有限公司", "餐饮", "跃进村街道文体路33号", "C"),
    ("yuejincun", "重庆跃进印务有限公司", "印刷", "跃进村街道双山路7号", "B"),
    ("yuejincun", "大渡口区惠民生鲜超市有限公司", "食品销售", "跃进村街道跃进村路16号", "A"),
    ("yuejincun", "重庆双山建材销售有限公司", "建材", "跃进村街道双山路102号", "B"),
    ("jiugongmiao", "大渡口区九宫庙小面馆有限公司", "餐饮", "九宫庙街道九宫庙街9号", "B"),
    ("jiugongmiao", "重庆九宫网络会所有限公司", "娱乐场所", "九宫庙街道松青路66号2楼", "C"),
    ("jiugongmiao", "大渡口区百福食品经营部有限公司", "食品销售", "九宫庙街道新工街4号", "A"),
    ("jiugongmiao", "重庆宏达汽车修理厂有限公司", "汽修", "九宫庙街道钢城大道128号", "C"),
    ("qiezixi", "大渡口区江畔鱼庄餐饮有限公司", "餐饮", "茄子溪街道茄子溪路45号", "B"),
    ("qiezixi", "重庆茄子溪物流有限公司", "物流", "茄子溪街道滨江路210号", "B"),
    ("qiezixi", "重庆长江化工产品经营有限公司", "危化品", "茄子溪街道建桥工业园B区3号", "D"),
    ("qiezixi", "大渡口区恒丰建材有限公司", "建材", "茄子溪街道茄子溪路118号", "B"),
    ("chunhuilu", "大渡口区春晖酒楼有限公司", "餐饮", "春晖路街道春晖路23号", "B"),
    ("chunhuilu", "重庆翠柏彩印有限公司", "印刷", "春晖路街道翠柏路15号", "C"),
    ("chunhuilu", "大渡口区佳佳乐食品超市有限公司", "食品销售", "春晖路街道金桥路8号", "A"),
    ("chunhuilu", "重庆春晖足浴休闲有限公司", "娱乐场所", "春晖路街道春晖路77号", "C"),
    ("baqiao", "大渡口区八桥农资经营部有限公司", "农资", "八桥镇大堰村2组", "C"),
    ("baqiao", "重庆义渡物流有限公司", "物流", "八桥镇新湖路56号", "B"),
    ("baqiao", "大渡口区八桥农家乐餐饮有限公司", "餐饮", "八桥镇公民村5组", "B"),
    ("baqiao", "重庆八桥汽车快修有限公司", "汽修", "八桥镇八桥路31号", "B"),
    ("jiansheng", "重庆建胜建筑材料有限公司", "建材", "建胜镇建胜路99号", "C"),
    ("jiansheng", "大渡口区建胜燃气经营有限公司", "危化品", "建胜镇钓鱼嘴工业园12号", "D"),
    ("jiansheng", "大渡口区丰收农资有限公司", "农资", "建胜镇四胜村3组", "B"),
    ("jiansheng", "大渡口区钓鱼嘴鲜鱼馆有限公司", "餐饮", "建胜镇钓鱼嘴路18号", "A"),
    ("tiaodeng", "重庆跳磴石材有限公司", "建材", "跳磴镇石盘村6组", "C"),
    ("tiaodeng", "重庆跳磴危险品运输有限公司", "危化品", "跳磴镇蜂窝坝村工业园8号", "D"),
    ("tiaodeng", "大渡口区金穗农资有限公司", "农资", "跳磴镇金鳌村1组", "B"),
    ("tiaodeng", "重庆跳磴冷链物流有限公司", "物流", "跳磴镇跳磴路40号", "B"),
]

# Officers' names, in roster order: department by department, then `_2`, `_3`, `_4`, `_expired`.
OFFICER_NAMES = (
    "陈建国", "刘晓燕", "张伟", "王海军", "李娜",
    "杨帆", "赵志强", "黄丽", "周涛", "吴敏",
    "徐静", "孙磊", "马俊", "朱红梅", "胡斌",
    "郭晓东", "何琳", "高峰", "林雪", "罗勇",
    "梁小琴", "宋建平", "郑洁", "谢刚", "韩梅",
    "唐亮", "冯秀英", "邓超", "曹丽娟", "彭明",
)
# Names for the street and town teams' officers, made up from these.
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴")
GIVEN_NAMES = ("建华", "秀兰", "志明", "丽萍", "国强", "晓梅")
CERTIFICATE_VALID = date(2030, 12, 31)
CERTIFICATE_EXPIRED = date(2025, 6, 30)


def demo_credit_code(n: int) -> str:
    """Enterprise n's code: the district's prefix, `MA` (a code issued with the licence) and
    seven characters drawn from a hash of n, so reseeding gives the same codes."""
    digest = hashlib.sha256(f"ddk-enterprise-{n}".encode()).digest()
    body = "MA" + "".join(CHARSET[b % len(CHARSET)] for b in digest[:7])
    return make_code(DISTRICT_PREFIX + body)


def demo_enterprises() -> list[dict]:
    rows = []
    for n, (street, name, industry, address, grade) in enumerate(DEMO_ENTERPRISES, start=1):
        rows.append({"credit_code": demo_credit_code(n), "name": name,
                     "address": f"重庆市大渡口区{address}", "street": street,
                     "industry": industry, "risk_grade": grade,
                     "party_username": f"party_{n}"})
    return rows


def demo_officers() -> list[dict]:
    """Five per enforcement department: `officer_X` (a demo user already), `_2` to `_4` with
    valid certificates, `_expired` whose certificate lapsed (the roster must skip it)."""
    rows = []
    names = chain(OFFICER_NAMES, (s + g for g in GIVEN_NAMES for s in SURNAMES))
    for d, department in enumerate(ENFORCEMENT_DEPARTMENTS, start=1):
        for i, suffix in enumerate(("", "_2", "_3", "_4", "_expired"), start=1):
            expired = suffix == "_expired"
            issued = 2019 if expired else 2024
            rows.append({"username": f"officer_{department}{suffix}", "name": next(names),
                         "department": department,
                         "certificate_no": f"渝执500104-{issued}-{d:02d}{i:02d}",
                         "certificate_expires": CERTIFICATE_EXPIRED if expired
                         else CERTIFICATE_VALID})
    return rows


def seed_enforcement(session: Session) -> int:
    """Add the demo enterprises with their `party` accounts, the enforcement officers with
    their accounts, and the legal reviewer: whatever is missing. Returns the rows added."""
    added = 0
    password_hash: str | None = None

    def add_user(**spec: str | None) -> None:
        nonlocal added, password_hash
        if session.get(User, spec["username"]) is None:
            # One argon2 hash for all, made only when a user is missing (~150 ms each).
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            session.add(User(**spec, password_hash=password_hash))
            added += 1

    for ent in demo_enterprises():
        add_user(username=ent["party_username"], display_name=ent["name"], role=PARTY,
                 department=None)
        if session.get(EnterpriseRow, ent["credit_code"]) is None:
            session.add(EnterpriseRow(**ent))
            added += 1
    for officer in demo_officers():
        add_user(username=officer["username"], display_name=officer["name"], role=OFFICER,
                 department=officer["department"])
        if session.get(EnforcementOfficerRow, officer["username"]) is None:
            session.add(EnforcementOfficerRow(**officer))
            added += 1
    add_user(username="legal_reviewer", display_name="法制审核中心审核员", role=LEGAL_REVIEWER,
             department=LEGAL_CENTER)
    session.commit()
    return added


# -- communities and the dog registry (docs/dog_disputes.md) ---------------------------------


def building_id(community: str, n: int) -> str:
    """The n-th (1-based) building of a community in data/communities.json."""
    return f"{community}-{n}"


def seed_gates(session: Session, path: Path = GATES) -> int:
    """The community gates that verify 惠新码 (reference data, kept in step with the file)."""
    from db.models import GateRow

    gates = json.loads(path.read_text(encoding="utf-8"))["gates"]
    for gate in gates:
        row = session.get(GateRow, gate["id"]) or GateRow(id=gate["id"], name="", community="")
        row.name, row.community = gate["name"], gate["community"]  # its device key stays
        session.add(row)
    session.commit()
    return len(gates)


def seed_communities(session: Session, path: Path = COMMUNITIES) -> int:
    """Reference data, like the catalogue: every community and its buildings (merged)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    for row in rows:
        if row["code"] in DEPARTMENTS:  # a community's staff have its code as department
            raise ValueError(f"{path}: community code {row['code']!r} is a department's")
        if row["street"] not in DEPARTMENTS:
            raise ValueError(f"{path}: {row['code']}: unknown street {row['street']!r}")
        session.merge(CommunityRow(code=row["code"], name=row["name"], street=row["street"]))
        for n, name in enumerate(row["buildings"], start=1):
            session.merge(BuildingRow(id=building_id(row["code"], n), community=row["code"],
                                      name=name))
    session.commit()
    return len(rows)


DOG_COMMUNITIES = ("baijiayuan", "rongcheng")  # the demo's communities, each fully staffed
# role, username prefix (`<prefix>_<community>`), title; then each community's people's names.
COMMUNITY_STAFF = (
    (GRID_WORKER, "grid", "网格员"),
    (BUILDING_LEADER, "leader", "楼栋长"),
    (COMMUNITY_WORKER, "mediator", "人民调解员"),
    (PROPERTY, "property", "物业"),
    (VOLUNTEER, "volunteer", "爱宠志愿者"),
    (DEPT_HEAD, "head", "党委书记"),
)
STAFF_NAMES = {
    "baijiayuan": ("周敏", "何大爷", "刘小琴", "百佳园物业服务中心", "小黄", "陈建华"),
    "rongcheng": ("杨帆", "罗师傅", "唐静", "融城物业服务中心", "小吴", "李秀英"),
}


class DemoResident(NamedTuple):
    username: str
    display_name: str
    community: str
    building: int  # 1-based, into the community's buildings
    room: str
    phone: str


DEMO_RESIDENTS = (
    DemoResident("dog_owner_1", "养犬人张先生", "baijiayuan", 3, "2-3", "13800000001"),
    DemoResident("dog_owner_2", "养犬人李女士", "baijiayuan", 5, "6-1", "13800000002"),
    DemoResident("resident_baijiayuan", "百佳园居民陈阿姨", "baijiayuan", 3, "3-3",
                 "13800000003"),
    DemoResident("dog_owner_3", "养犬人刘先生", "rongcheng", 2, "11-4", "13800000004"),
    DemoResident("resident_rongcheng", "融城居民赵女士", "rongcheng", 2, "10-4", "13800000005"),
)


class DemoDog(NamedTuple):
    dog_id: str
    owner: str
    community: str
    name: str
    breed: str
    banned: bool
    registered_on: date | None
    vaccinated_days_ago: int | None  # from the day of seeding: today's demo stays true


# Registration numbers (登记证号): CQ, 104 (of Dadukou's area code 500104), the year, a serial.
# A banned dog cannot be registered, so its id is a record number (NR: not registered).
DOG_VACCINATED = "CQ104-2024-00001"  # dog_owner_1: registered, vaccinated
DOG_VACCINE_LAPSED = "CQ104-2023-00002"  # dog_owner_2: registered, last vaccinated > 1 year ago
DOG_RONGCHENG = "CQ104-2025-00003"  # dog_owner_3 at 融城
DOG_BANNED = "CQ104-NR-00001"  # dog_owner_2: a banned breed, never registered
DEMO_DOGS = (
    DemoDog(DOG_VACCINATED, "dog_owner_1", "baijiayuan", "豆豆", "柯基犬", False,
            date(2024, 3, 15), 60),
    DemoDog(DOG_VACCINE_LAPSED, "dog_owner_2", "baijiayuan", "旺财", "中华田园犬", False,
            date(2023, 8, 1), 400),
    DemoDog(DOG_RONGCHENG, "dog_owner_3", "rongcheng", "球球", "泰迪犬", False,
            date(2025, 5, 20), 120),
    DemoDog(DOG_BANNED, "dog_owner_2", "baijiayuan", "大黑", "比特犬", True, None, None),
)


def seed_dogs(session: Session, today: date | None = None) -> int:
    """Add the demo communities' staff, residents (with contact details) and dogs: whatever
    is missing. Needs seed_communities first. Returns the rows added."""
    today = today or datetime.now(UTC).date()
    added = 0
    password_hash: str | None = None

    def add(row: SQLModel, key: str) -> None:
        nonlocal added
        if session.get(type(row), key) is None:
            session.add(row)
            added += 1

    def add_user(**spec: str | None) -> None:
        nonlocal added, password_hash
        if session.get(User, spec["username"]) is None:
            # One argon2 hash for all, made only when a user is missing (~150 ms each).
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            session.add(User(**spec, password_hash=password_hash))
            added += 1

    for code in DOG_COMMUNITIES:
        community = session.get(CommunityRow, code)
        if community is None:
            raise ValueError(f"community {code!r} missing: run seed_communities first")
        for (role, prefix, title), name in zip(COMMUNITY_STAFF, STAFF_NAMES[code], strict=True):
            # The property company signs in as itself; people by title and name.
            display = name if role == PROPERTY else f"{community.name}{title}{name}"
            add_user(username=f"{prefix}_{code}", display_name=display, role=role,
                     department=code)
    for r in DEMO_RESIDENTS:
        add_user(username=r.username, display_name=r.display_name, role=CITIZEN,
                 department=None)
        building = session.get(BuildingRow, building_id(r.community, r.building))
        add(ResidentRow(username=r.username, community=r.community,
                        building=building.name if building else None, room=r.room,
                        phone=r.phone), r.username)
    for d in DEMO_DOGS:
        vaccinated = (today - timedelta(days=d.vaccinated_days_ago)
                      if d.vaccinated_days_ago is not None else None)
        add(DogRow(dog_id=d.dog_id, owner=d.owner, community=d.community, name=d.name,
                   breed=d.breed, banned=d.banned, vaccinated_on=vaccinated,
                   registered_on=d.registered_on), d.dog_id)
    session.commit()
    return added


# -- 德分宝 points (issue 9): 融城社区's residents with opening balances ----------------------

CREDIT_COMMUNITY = "rongcheng"
# username, display name, building number, room, phone, opening balance (points)
CREDIT_RESIDENTS = (
    ("resident_1", "融城居民王大姐", 1, "3-2", "13800000011", 120),
    ("resident_2", "融城居民刘师傅", 1, "5-1", "13800000012", 80),
    ("resident_3", "融城居民周阿姨", 3, "2-4", "13800000013", 300),
    ("resident_4", "融城居民孙同学", 4, "8-3", "13800000014", 15),
    ("resident_5", "融城居民吴先生", 5, "1-1", "13800000015", 0),
)


def seed_credit(session: Session) -> int:
    """The demo residents of 融城 and their accounts, each with its opening balance posted
    from the community's issuance account (ids `opening:<username>`: a second run writes
    nothing). Needs seed_communities first."""
    from db.ledger import open_account, transfer
    from domain.ledger import TransferRequest, account_id

    added = 0
    password_hash: str | None = None
    for username, name, building, room, phone, _ in CREDIT_RESIDENTS:
        if session.get(User, username) is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            session.add(User(username=username, display_name=name, role=CITIZEN,
                             password_hash=password_hash))
            added += 1
        if session.get(ResidentRow, username) is None:
            block = session.get(BuildingRow, building_id(CREDIT_COMMUNITY, building))
            session.add(ResidentRow(username=username, community=CREDIT_COMMUNITY,
                                    building=block.name if block else None, room=room,
                                    phone=phone))
    session.commit()
    engine = session.get_bind()
    issuance = account_id("issuance", CREDIT_COMMUNITY)
    open_account(engine, issuance, "issuance", CREDIT_COMMUNITY, CREDIT_COMMUNITY)
    for username, *_, opening in CREDIT_RESIDENTS:
        mine = account_id("resident", username)
        open_account(engine, mine, "resident", username, CREDIT_COMMUNITY)
        if opening:
            transfer(engine, TransferRequest(
                id=f"opening:{username}", debit=issuance, credit=mine, amount=opening,
                kind="opening", reason="德分宝期初余额", actor="system",
                at=datetime.now(UTC)))
    return added


# 融城's merchants (商家) that take points: code, name, category, yuan per point (0: a donor),
# and two offers each: (id suffix, title, kind, points, stock).
DEMO_MERCHANTS = (
    ("barber", "融城理发店", "barber", 0.1,
     (("haircut", "男士理发一次", "service", 30, 20), ("wash", "洗头吹发一次", "service", 15, 30))),
    ("market", "融城便民超市", "market", 0.1,
     (("oil", "菜籽油 1 升", "goods", 50, 10), ("soap", "洗衣皂两块", "goods", 10, 50))),
    ("property", "融城物业", "property", 0.0,
     (("parking", "临时停车 2 小时", "service", 20, 40),
      ("repair", "上门小修一次", "service", 80, 5))),
    ("cinema", "大渡口影城", "cinema", 0.1,
     (("ticket", "电影票一张", "goods", 80, 20), ("popcorn", "爆米花一份", "goods", 25, 30))),
)


def seed_merchants(session: Session, today: date | None = None) -> int:
    """融城's demo merchants, their ledger accounts `merchant:<code>`, their users
    `merchant_<code>` (role merchant, department = the code), two offers each valid for a
    year, and 融城's finance officer and community worker: whatever is missing."""
    from db.ledger import open_account
    from db.models import MerchantRow, OfferRow
    from domain.ledger import account_id
    from domain.roles import FINANCE_OFFICER, MERCHANT

    today = today or datetime.now(UTC).date()
    added = 0
    password_hash: str | None = None

    def add_user(username: str, name: str, role: str, department: str) -> None:
        nonlocal added, password_hash
        if session.get(User, username) is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            session.add(User(username=username, display_name=name, role=role,
                             department=department, password_hash=password_hash))
            added += 1

    engine = session.get_bind()
    for code, name, category, rate, offers in DEMO_MERCHANTS:
        account = account_id("merchant", code)
        if session.get(MerchantRow, code) is None:
            session.add(MerchantRow(code=code, name=name, community=CREDIT_COMMUNITY,
                                    category=category, rate=rate, account=account))
            added += 1
        add_user(f"merchant_{code}", name, MERCHANT, code)
        for suffix, title, kind, points, stock in offers:
            offer_id = f"{code}-{suffix}"
            if session.get(OfferRow, offer_id) is None:
                session.add(OfferRow(id=offer_id, merchant=code, title=title, kind=kind,
                                     points=points, stock=stock,
                                     valid_until=today + timedelta(days=365),
                                     created_at=datetime.now(UTC)))
                added += 1
    add_user(f"finance_{CREDIT_COMMUNITY}", "融城社区财务", FINANCE_OFFICER, CREDIT_COMMUNITY)
    add_user(f"worker_{CREDIT_COMMUNITY}", "融城社区工作者", COMMUNITY_WORKER, CREDIT_COMMUNITY)
    session.commit()
    for code, *_ in DEMO_MERCHANTS:
        open_account(engine, account_id("merchant", code), "merchant", code, CREDIT_COMMUNITY)
    return added


def main(argv: list[str]) -> None:
    with Session(get_engine()) as session:
        print(f"catalogue: {seed_categories(session)} categories")
        print(f"communities: {seed_communities(session)}")
        print(f"gates: {seed_gates(session)}")
    from db.rider_keys import ensure_key, key_dir

    print(f"惠新码 signing key: {ensure_key(get_engine())} (private key in {key_dir()})")
    with Session(get_engine()) as session:
        if "--demo" in argv:
            print(f"demo users: {seed_demo_users(session)} added (password {DEMO_PASSWORD!r})")
            added = seed_demo_open311_key(session)
            print(f"demo Open311 key {DEMO_OPEN311_KEY!r}: {'added' if added else 'present'}")
            print(f"enforcement: {seed_enforcement(session)} enterprises, officers and users "
                  "added")
            print(f"dogs: {seed_dogs(session)} community staff, residents and dogs added")
            print(f"credit: {seed_credit(session)} residents added, with their accounts")
            print(f"merchants: {seed_merchants(session)} merchants, offers and users added")


if __name__ == "__main__":
    main(sys.argv[1:])
