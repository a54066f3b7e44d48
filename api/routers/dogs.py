"""The dog registry (养犬登记) and the communities (社区) with their buildings.

Who reads the registry: a resident their own dogs; a community's people and its head their
community's dogs; the officers who enforce the convention (公安, 农业农村, 城市管理), the command
centre, auditors and admins every dog. Communities are reference data for anyone signed in.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from db.models import BuildingRow, CommunityRow, DogRow, User
from domain.departments import department_name
from domain.limits import MAX_OFFSET
from domain.roles import (
    ADMIN,
    AUDITOR,
    CITIZEN,
    COMMAND_LEAD,
    COMMUNITY_ROLES,
    DEPT_HEAD,
    OFFICER,
)

router = APIRouter(tags=["dogs"])

SEE_ALL = (COMMAND_LEAD, AUDITOR, ADMIN)
DOG_DEPARTMENTS = ("public_security", "agri_rural", "urban_mgmt")  # enforce the convention
DogId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9._-]+$",
                            description="登记证号, e.g. CQ104-2024-00001")]
Code = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class DogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dog_id: str
    owner: str
    community: str
    name: str | None
    breed: str
    banned: bool
    vaccinated_on: date | None
    registered_on: date | None


class CommunityOut(BaseModel):
    code: str
    name: str
    street: str
    street_name: str | None
    buildings: list[str]


def community_of(session: Session, user: User) -> str | None:
    """The community a community role or a community's head works for (their department is
    its code), else None."""
    if user.department is None or user.role not in (*COMMUNITY_ROLES, DEPT_HEAD):
        return None
    return user.department if session.get(CommunityRow, user.department) else None


def sees_every_dog(user: User) -> bool:
    return user.role in SEE_ALL or (user.role == OFFICER and user.department in DOG_DEPARTMENTS)


def may_see_dog(session: Session, user: User, dog: DogRow) -> bool:
    if sees_every_dog(user):
        return True
    if user.role == CITIZEN:
        return dog.owner == user.username
    return community_of(session, user) == dog.community


@router.get("/dogs", response_model=list[DogOut], responses=responses(401, 403, 422))
def list_dogs(user: CurrentUser, session: SessionDep, owner: Code = None,
              community: Code = None, limit: int = Query(200, ge=1, le=1000),
              offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[DogOut]:
    """Registered dogs the caller may read, by registration number."""
    query = select(DogRow)
    if sees_every_dog(user):
        pass
    elif user.role == CITIZEN:
        if owner not in (None, user.username):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "residents see their own dogs only")
        owner = user.username
    elif (mine := community_of(session, user)) is not None:
        if community not in (None, mine):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"you see the dogs of your own community ({mine}) only")
        community = mine
    else:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the dog registry is for residents (their "
                            "own dogs), community staff and the enforcing departments")
    if owner is not None:
        query = query.where(DogRow.owner == owner)
    if community is not None:
        query = query.where(DogRow.community == community)
    rows = session.exec(query.order_by(col(DogRow.dog_id)).offset(offset).limit(limit)).all()
    return [DogOut.model_validate(r) for r in rows]


@router.get("/dogs/{dog_id}", response_model=DogOut, responses=responses(401, 403, 404, 422))
def get_dog(dog_id: DogId, user: CurrentUser, session: SessionDep) -> DogOut:
    dog = session.get(DogRow, dog_id)
    if dog is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dog in the registry")
    if not may_see_dog(session, user, dog):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this dog's record is not yours to see")
    return DogOut.model_validate(dog)


@router.get("/communities", response_model=list[CommunityOut], responses=responses(401))
def list_communities(user: CurrentUser, session: SessionDep) -> list[CommunityOut]:
    """Every community with its street or town and its buildings (in their order)."""
    buildings: dict[str, list[tuple[int, str]]] = {}
    for b in session.exec(select(BuildingRow)).all():
        n = b.id.rpartition("-")[2]
        buildings.setdefault(b.community, []).append((int(n) if n.isdigit() else 0, b.name))
    return [CommunityOut(code=c.code, name=c.name, street=c.street,
                         street_name=department_name(c.street),
                         buildings=[name for _, name in sorted(buildings.get(c.code, []))])
            for c in session.exec(select(CommunityRow).order_by(col(CommunityRow.code))).all()]
