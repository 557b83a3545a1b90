"""The demo's care data: the demo account manager's calendar, interactions and tasks, and grading."""

from domain import care, ledger, models
from domain.seed import DEMO_MEMBER_EMAIL, seed_demo
from domain.seed_care import DEMO_ACCOUNT_MANAGER_EMAIL, seed_demo_care
from domain.viewer import staff_viewer


async def test_the_demo_account_manager_has_dates_coming_up_interactions_tasks_and_graded_members():
    # when: the whole demo, as `./dev run` loads it (care comes last), and care again, which adds nothing
    await seed_demo()
    interactions = await models.Interaction.all().count()
    await seed_demo_care()
    # then
    am = await models.Staff.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    entries = await care.calendar_page(
        viewer=staff_viewer(am.id, am.role), days=14, account_manager_id=None, limit=100
    )
    assert {entry.kind for entry in entries} == set(care.CareDateKind)
    assert len(entries) >= 8
    kinds = set(await models.Interaction.filter(member_id=demo.id).values_list("kind", flat=True))
    assert kinds == set(models.InteractionKind)
    assert await models.Interaction.filter(member_id__not=demo.id, staff_id=am.id).count() > 10
    assert await models.Task.filter(assignee_id=am.id, status=models.TaskStatus.OPEN).count() >= 4
    assert await models.Task.filter(kind=models.TaskKind.BIRTHDAY_GREETING).count() >= 1
    assert await models.Member.filter(care_computed_at__isnull=True, status=models.MemberStatus.ACTIVE).count() == 0
    assert set(await models.Member.all().values_list("segment", flat=True)) == set(models.Segment)
    assert await models.Interaction.all().count() == interactions
    demo = await models.Member.get(id=demo.id)
    assert (demo.churn_risk, demo.last_visit_at is not None) == (models.ChurnRisk.LOW, True)
    assert await ledger.check_invariants() == []
