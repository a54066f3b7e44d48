"""The dog dispute's case row and the recurrence look-up, against the real database (SQLite,
or PostgreSQL via DATABASE_URL). Each test uses owners of its own, so the tests share the
session's database safely."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from activities.dog_dispute import prior_dispute, write_dog_dispute
from db.engine import get_engine
from db.models import DogDisputeRow
from domain.dog_dispute import DogDisputeState, Outcome, Prior, PriorQuery, workflow_id_for

pytestmark = pytest.mark.usefixtures("database")

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=90)


def state(owner: str | None, behaviour: int = 3, community: str = "baijiayuan",
          **fields: Any) -> dict[str, Any]:
    """A dispute as the workflow projects it (JSON, without the evidence)."""
    case_id = fields.pop("id", None) or uuid.uuid4().hex[:12]
    case = DogDisputeState(
        id=case_id, workflow_id=workflow_id_for(case_id), status="self_discipline",
        tier="self_discipline", community=community, community_name="百佳园社区",
        street="jiansheng", behaviour=behaviour, behaviour_name="遛狗牵绳",
        rule="出户遛犬须束犬链", convention_version="1", place="3栋楼下",
        description="未牵绳", owner=owner, reporter="resident_baijiayuan",
        reporter_role="citizen", reported_at=NOW - timedelta(days=120),
        started_tier="self_discipline", path=["self_discipline"], version=1)
    return case.model_copy(update=fields).model_dump(mode="json", exclude={"evidence"})


def ended(owner: str, tier: str, days_ago: float, closed: bool = False,
          **fields: Any) -> dict[str, Any]:
    """A dispute that ended at `tier` `days_ago` days before NOW (resolved, or closed)."""
    at = NOW - timedelta(days=days_ago)
    outcome = Outcome(tier=tier, result="advice" if closed else "corrected", at=at)
    times = {"closed_at": at, "status": "closed"} if closed else {"resolved_at": at,
                                                                  "status": "resolved"}
    return state(owner, **({"tier": tier, "ended_tier": tier, "outcomes": [outcome]} | times
                           | fields))


def write(*cases: dict[str, Any]) -> None:
    with Session(get_engine()) as session:
        for case in cases:
            write_dog_dispute(session, case)
        session.commit()


def row(case_id: str) -> DogDisputeRow:
    with Session(get_engine()) as session:
        found = session.get(DogDisputeRow, case_id)
        assert found is not None
        return found


def query(owner: str, behaviour: int = 3, community: str = "baijiayuan",
          exclude_id: str = "new-case") -> PriorQuery:
    return PriorQuery(owner=owner, behaviour=behaviour, community=community, since=SINCE,
                      exclude_id=exclude_id)


def owner() -> str:
    return f"owner_{uuid.uuid4().hex[:10]}"


# -- the case row ------------------------------------------------------------------------------


def test_the_writer_inserts_then_ignores_an_older_version() -> None:
    first = state(owner(), version=2, status="mediation", tier="mediation",
                  path=["self_discipline", "mediation"], dog_id="CQ104-2024-00001",
                  current_due_at=NOW + timedelta(days=3))
    write(first)
    stored = row(first["id"])
    assert (stored.status, stored.tier, stored.version) == ("mediation", "mediation", 2)
    assert stored.workflow_id == f"dog-dispute-{first['id']}"
    assert stored.path == ["self_discipline", "mediation"]
    assert stored.started_tier == "self_discipline" and stored.ended_tier is None
    assert stored.result is None and stored.dog_id == "CQ104-2024-00001"
    assert stored.reported_at == NOW - timedelta(days=120)  # read back with its zone (UTC)
    assert stored.current_due_at == NOW + timedelta(days=3)
    assert stored.state["status"] == "mediation" and "evidence" not in stored.state

    write(state(first["owner"], id=first["id"], version=1))  # a late, older write
    assert (row(first["id"]).status, row(first["id"]).version) == ("mediation", 2)


def test_the_writer_keeps_up_with_newer_versions_and_the_last_outcome() -> None:
    case = state(owner())
    write(case)
    at = NOW - timedelta(days=1)
    outcomes = [Outcome(tier="self_discipline", result="corrected", at=at - timedelta(days=5)),
                Outcome(tier="mediation", result="performed", at=at)]
    write(state(case["owner"], id=case["id"], version=5, status="resolved", tier="mediation",
                path=["self_discipline", "mediation"], ended_tier="mediation",
                resolved_at=at, outcomes=outcomes, recurrences=1, prior_id="older"))
    stored = row(case["id"])
    assert (stored.status, stored.ended_tier, stored.result) == ("resolved", "mediation",
                                                                 "performed")
    assert (stored.resolved_at, stored.recurrences, stored.prior_id) == (at, 1, "older")
    assert stored.version == 5 and len(stored.state["outcomes"]) == 2


# -- prior_dispute -----------------------------------------------------------------------------


def test_nothing_before_means_no_prior() -> None:
    assert prior_dispute(query(owner())) is None


def test_prior_is_the_latest_matching_dispute_that_ended() -> None:
    who = owner()
    older = ended(who, "self_discipline", 40)
    latest = ended(who, "mediation", 10)
    write(older, latest)
    assert prior_dispute(query(who)) == Prior(id=latest["id"], ended_tier="mediation",
                                              ended_at=NOW - timedelta(days=10))


def test_closed_counts_and_the_later_of_resolved_and_closed_is_when_it_ended() -> None:
    who = owner()
    # Resolved long ago, closed (after its follow-up) 5 days ago: it ended 5 days ago.
    followed_up = ended(who, "legal", 95, closed_at=NOW - timedelta(days=5),
                        status="closed")
    advice = ended(who, "mediation", 8, closed=True)  # closed with advice: it ended too
    write(followed_up, advice)
    assert prior_dispute(query(who)) == Prior(id=followed_up["id"], ended_tier="legal",
                                              ended_at=NOW - timedelta(days=5))


def test_other_owners_behaviours_and_communities_do_not_count() -> None:
    who, neighbour = owner(), owner()
    mine = ended(who, "self_discipline", 30)
    write(mine,
          ended(neighbour, "legal", 1),  # another owner
          ended(who, "legal", 2, behaviour=4),  # another behaviour
          ended(who, "legal", 3, community="rongcheng", street="baqiao"))  # another community
    assert prior_dispute(query(who)) == Prior(id=mine["id"], ended_tier="self_discipline",
                                              ended_at=NOW - timedelta(days=30))
    assert prior_dispute(query(who, behaviour=5)) is None


def test_older_ones_the_case_itself_and_ones_that_never_ended_do_not_count() -> None:
    who = owner()
    itself = ended(who, "legal", 1)
    write(itself,
          ended(who, "mediation", 91),  # ended before `since`
          state(who, status="mediation", tier="mediation"),  # still open
          # reopened on recurrence: it ended at 自律 once, but is being worked on again
          state(who, status="self_discipline", ended_tier="self_discipline", recurrences=1))
    assert prior_dispute(query(who, exclude_id=itself["id"])) is None
    assert prior_dispute(query(who)).id == itself["id"]


def test_a_dispute_ending_exactly_at_since_counts() -> None:
    who = owner()
    edge = ended(who, "mediation", 90)
    write(edge)
    assert prior_dispute(query(who)) == Prior(id=edge["id"], ended_tier="mediation",
                                              ended_at=SINCE)
