"""The staff directory: who works in a department, so a form can offer officers by name
(多跨智查's invitation names the officers for a visit). Staff only, names and roles only."""

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from db.models import User
from domain.roles import DISTRICT_STAFF, OFFICER

router = APIRouter(prefix="/directory", tags=["directory"])


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str
    department: str | None


@router.get("/staff", response_model=list[StaffOut], responses=responses(401, 403, 422))
def staff(user: CurrentUser, session: SessionDep,
          department: str | None = Query(None, max_length=40, pattern=r"^[a-z_]+$"),
          role: str = Query(OFFICER, max_length=40, pattern=r"^[a-z_]+$")) -> list[StaffOut]:
    """Active district staff of a role (officers by default), of one department if given."""
    if user.role not in DISTRICT_STAFF:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the directory is for district staff")
    if role not in DISTRICT_STAFF:
        return []  # residents, riders, merchants are not staff: never listed here
    query = select(User).where(User.role == role, col(User.active).is_(True))
    if department:
        query = query.where(User.department == department)
    return [StaffOut.model_validate(u, from_attributes=True)
            for u in session.exec(query.order_by(col(User.username))).all()]
