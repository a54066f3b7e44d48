from typing import Any

from fastapi import APIRouter
from sqlmodel import select

from api.deps import SessionDep
from api.errors import responses
from db.models import Category
from domain.limits import ShortText

router = APIRouter(tags=["categories"])


def category_row(c: Category) -> dict[str, Any]:
    return {"code": c.code, "name": c.name, "class": c.class_, "major_class": c.major_class,
            "department": c.department, "routing": c.routing, "limit": c.limits.get("B"),
            "limits": c.limits, "filing_condition": c.filing_condition,
            "closing_condition": c.closing_condition}


@router.get("/categories", responses=responses(422))
def list_categories(session: SessionDep, class_: ShortText | None = None,
                    major_class: ShortText | None = None) -> list[dict[str, Any]]:
    """The case catalogue. `limit` is the area-class B limit; `limits` has A, B and C."""
    query = select(Category).order_by(Category.code)
    if major_class:
        query = query.where(Category.major_class == major_class)
    rows = session.exec(query).all()
    return [category_row(c) for c in rows if not class_ or c.class_ == class_]
