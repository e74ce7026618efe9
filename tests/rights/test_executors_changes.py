"""Correction, restriction, objection, withdrawal and complaint, end to end at the service level."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.rights.support import ACTOR, ALICE, World

from privacyops.consent import renewal
from privacyops.consent import service as consent
from privacyops.consent import state as consent_state
from privacyops.consent.models import ConsentEvent, Method
from privacyops.db import utcnow
from privacyops.rights import executors
from privacyops.rights.executors import ExecutionError
from privacyops.rights.executors.withdrawal import _context
from privacyops.rights.models import RequestNote, RequestStep, RightsRequest
from privacyops.subjects.models import Subject


def _allowed(world: World, subject_id: str) -> dict[str, bool]:
    with world.db.unit_of_work() as session:
        states = consent_state.subject_states(
            session=session,
            declaration=world.declaration,
            subject_id=subject_id,
            renewals=renewal.load(session=session),
        )
    return {s.purpose: s.allowed for s in states}


def _facts(world: World, request_id: str) -> dict[str, Any]:
    with world.db.unit_of_work() as session:
        return dict(session.get_one(RightsRequest, request_id).facts)


# -- correction -------------------------------------------------------------


def test_reviewed_corrections_replace_the_old_values(world: World) -> None:
    alice = world.subject(ALICE)
    request_id = world.request(alice, "correction")
    with world.db.unit_of_work() as session:
        fields = executors.submit_corrections(
            session=session,
            vault=world.vault,
            declaration=world.declaration,
            request_id=request_id,
            corrections={"contact": {"name": "Zhang Xiaoli", "email": "xiaoli@example.com"}},
            reviewed_by="staff:agent",
        )
    assert fields == {"contact": ["email", "name"]}
    assert "Zhang Xiaoli" not in str(_facts(world, request_id))

    report = world.execute(request_id)

    assert report.completed
    assert report.outcome["corrected"] == fields
    values = world.values_of(alice, "contact")
    assert values == {"name": "Zhang Xiaoli", "email": "xiaoli@example.com"}
    assert world.records_of(alice) == 2  # the old name and e-mail are gone, not kept beside
    with world.db.unit_of_work() as session:
        results = [str(s.result) for s in session.scalars(select(RequestStep))]
    assert not any("Xiaoli" in r for r in results)  # and the sealed copies were wiped


def test_corrections_left_in_facts_are_sealed_and_scrubbed(world: World) -> None:
    alice = world.subject(ALICE)
    request_id = world.request(
        alice,
        "correction",
        facts={
            "corrections": {"contact": {"company": "FET Electrical"}},
            "corrections_reviewed_by": "staff:agent",
        },
    )
    assert world.execute(request_id).completed
    assert world.values_of(alice, "contact")["company"] == "FET Electrical"
    assert _facts(world, request_id)["corrections"] == {"contact": ["company"]}


def test_unreviewed_or_invalid_corrections_fail_visibly(world: World) -> None:
    alice = world.subject(ALICE)
    unreviewed = world.request(
        alice, "correction", facts={"corrections": {"contact": {"name": "X"}}}
    )
    report = world.execute(unreviewed)
    assert report.status == "in_progress"
    assert report.error == "ExecutionError: the corrections have not been reviewed by staff yet"
    bad = world.request(alice, "correction")
    with world.db.unit_of_work() as session, pytest.raises(ExecutionError) as refused:
        executors.submit_corrections(
            session=session,
            vault=world.vault,
            declaration=world.declaration,
            request_id=bad,
            corrections={"contact": {"email": "not an address"}},
            reviewed_by="staff:agent",
        )
    assert refused.value.field == "corrections.contact.email"


# -- restriction --------------------------------------------------------------


def test_restriction_stops_non_essential_processing_until_staff_lift_it(world: World) -> None:
    alice = world.subject(ALICE)
    assert _allowed(world, alice)["anti_fraud"] is True
    assert world.execute(world.request(alice, "restriction")).completed
    allowed = _allowed(world, alice)
    assert allowed["product_analytics"] is False
    assert allowed["sale_sharing"] is False
    assert allowed["service_support"] is True  # essential purposes go on
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, alice).state == "restricted"
        executors.lift_restriction(
            session=session, subject_id=alice, actor=ACTOR, reason="accuracy confirmed"
        )
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, alice).state == "active"
        assert session.scalars(
            select(RequestNote.text).where(RequestNote.kind == "restriction_lifted")
        ).all() == ["accuracy confirmed"]


# -- objection --------------------------------------------------------------


def test_objection_stops_legitimate_interest_purposes_only(world: World) -> None:
    alice = world.subject(ALICE)
    request_id = world.request(
        alice, "objection", facts={"purposes": ["anti_fraud", "product_analytics"]}
    )
    report = world.execute(request_id)
    assert report.completed
    assert report.outcome["stopped"] == ["anti_fraud"]
    assert report.outcome["not_applicable"] == [
        {"purpose": "product_analytics", "basis": ["consent"], "family": "gdpr"}
    ]
    assert report.outcome["review_tasks"] == []  # the declaration automates no decision
    assert _allowed(world, alice)["anti_fraud"] is False
    with world.db.unit_of_work() as session:
        assert executors.is_objected(session=session, subject_id=alice, purpose="anti_fraud")
        executors.lift_objection(
            session=session,
            subject_id=alice,
            purpose="anti_fraud",
            actor=ACTOR,
            reason="account under active attack",
        )
    assert _allowed(world, alice)["anti_fraud"] is True


def test_under_pipl_anti_fraud_rests_on_contract_so_objection_does_not_apply(
    world: World,
) -> None:
    alice = world.subject(ALICE, country="CN")
    report = world.execute(
        world.request(alice, "objection", regime="CN", facts={"purposes": ["anti_fraud"]})
    )
    assert report.outcome["stopped"] == []
    assert report.outcome["not_applicable"][0]["basis"] == ["contract"]


def test_automated_decisions_of_an_objected_purpose_get_a_human_review_task(
    world: World,
) -> None:
    decision = {
        "key": "fraud_score",
        "description": {"en": "d", "zh-CN": "d"},
        "logic": {"en": "l", "zh-CN": "l"},
        "purpose": "anti_fraud",
        "human_review": True,
    }
    automated = world.declaration.automated_decisions.model_validate(
        {
            **world.declaration.automated_decisions.model_dump(by_alias=True),
            "significant_decisions": [decision],
        }
    )
    world.declaration = world.declaration.model_copy(update={"automated_decisions": automated})
    alice = world.subject(ALICE)
    request_id = world.request(alice, "objection", facts={"purposes": ["anti_fraud"]})
    assert world.execute(request_id).outcome["review_tasks"] == ["fraud_score"]
    with world.db.unit_of_work() as session:
        [task] = session.scalars(
            select(RequestNote.text).where(RequestNote.kind == "review_task")
        ).all()
    assert "fraud_score" in task


# -- withdrawal -------------------------------------------------------------


def _grant(world: World, subject_id: str, request_id: str) -> None:
    with world.db.unit_of_work() as session:
        request = session.get_one(RightsRequest, request_id)
        ctx: Any = type("Ctx", (), {})()
        ctx.session, ctx.request, ctx.declaration, ctx.actor = (
            session,
            request,
            world.declaration,
            ACTOR,
        )
        consent.record_choices(
            session=session,
            declaration=world.declaration,
            who=consent.Who(subject_id=subject_id),
            choices={"product_analytics": True, "consented_uses": True},
            method=Method.BANNER,
            context=_context(ctx),
        )


def test_withdrawal_of_chosen_purposes_goes_through_the_consent_service(world: World) -> None:
    alice = world.subject(ALICE)
    request_id = world.request(
        alice, "withdraw_consent", facts={"purposes": ["product_analytics", "service_support"]}
    )
    _grant(world, alice, request_id)
    assert _allowed(world, alice)["product_analytics"] is True

    report = world.execute(request_id)

    assert report.completed
    assert report.outcome["withdrawn"] == ["product_analytics"]
    assert report.outcome["not_based_on_consent"] == ["service_support"]
    allowed = _allowed(world, alice)
    assert allowed["product_analytics"] is False
    assert allowed["consented_uses"] is True
    with world.db.unit_of_work() as session:
        states = session.scalars(
            select(ConsentEvent.state)
            .where(ConsentEvent.purpose == "product_analytics")
            .order_by(ConsentEvent.id)
        ).all()
    assert states == ["granted", "withdrawn"]


def test_withdrawal_of_everything(world: World) -> None:
    alice = world.subject(ALICE)
    request_id = world.request(alice, "withdraw_consent")
    _grant(world, alice, request_id)
    report = world.execute(request_id)
    assert {"product_analytics", "consented_uses"} <= set(report.outcome["withdrawn"])
    allowed = _allowed(world, alice)
    assert not allowed["product_analytics"]
    assert not allowed["consented_uses"]


# -- complaint --------------------------------------------------------------


def test_a_complaint_goes_to_the_privacy_officer_with_the_authority(world: World) -> None:
    alice = world.subject(ALICE, country="CN")
    report = world.execute(world.request(alice, "complaint", regime="CN", level="none"))
    assert report.completed
    assert report.outcome["routed_to"] == "privacy_officer"
    assert report.outcome["regime"] == "CN"
    assert report.outcome["authority"]["name"]
    assert report.outcome["our_channels"]
    with world.db.unit_of_work() as session:
        [note] = session.scalars(select(RequestNote).where(RequestNote.kind == "routing")).all()
    assert report.outcome["authority"]["name"] in note.text
    assert note.at <= utcnow()
