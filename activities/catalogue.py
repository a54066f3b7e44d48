"""Catalogue look-ups for workflows (a category corrected at filing needs its limit)."""

from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.engine import get_engine
from db.models import Category
from domain.incident import CategoryInfo
from domain.tasks import Limit


def category_info(row: Category, area_class: str) -> CategoryInfo:
    limit = row.limits.get(area_class) or row.limits["B"]
    return CategoryInfo(code=row.code, name=row.name, class_=row.class_,
                        major_class=row.major_class, department=row.department,
                        routing=row.routing, limit=Limit(**limit))


@activity.defn
def lookup_category(code: str, area_class: str) -> CategoryInfo:
    with Session(get_engine()) as session:
        row = session.get(Category, code)
    if row is None:
        raise ApplicationError(f"unknown category {code}", type="UnknownCategory",
                               non_retryable=True)
    return category_info(row, area_class)
