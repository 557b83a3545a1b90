"""memberConsentSet: record the member's choice for one purpose of data use."""

import pytest

from domain import models
from tests.factories import gid, gql, make_consent, make_member, make_staff, member_token, refused, staff_token

CONSENT_SET = """
mutation($input: MemberConsentSetInput!) {
  memberConsentSet(input: $input) {
    consent { purpose granted source recordedAt }
    member { id consents { purpose granted source } }
    errors { field code message }
  }
}
"""


def error(field, code, message):
    return {
        "data": {
            "memberConsentSet": {
                "consent": None,
                "member": None,
                "errors": [{"field": field, "code": code, "message": message}],
            }
        }
    }


def consent_input(member, **fields):
    return {"input": {"memberId": gid("Member", member.id), "purpose": "MARKETING", "granted": True, **fields}}


async def consents(member):
    return (
        await models.Consent.filter(member_id=member.id).order_by("purpose").values_list("purpose", "granted", "source")
    )


@pytest.mark.parametrize(("source", "recorded"), [(None, "WEB"), ("WEB", "WEB"), ("MOBILE", "MOBILE")])
async def test_member_grants_consent_from_an_app(client, source, recorded):
    # given
    member = await make_member()
    # when
    result = await gql(client, CONSENT_SET, consent_input(member, source=source), token=member_token(member))
    # then
    row = await models.Consent.get(member_id=member.id)
    assert result == {
        "data": {
            "memberConsentSet": {
                "consent": {
                    "purpose": "MARKETING",
                    "granted": True,
                    "source": recorded,
                    "recordedAt": row.recorded_at.isoformat(),
                },
                "member": {
                    "id": gid("Member", member.id),
                    "consents": [{"purpose": "MARKETING", "granted": True, "source": recorded}],
                },
                "errors": [],
            }
        }
    }
    assert await consents(member) == [(models.ConsentPurpose.MARKETING, True, models.ConsentSource(recorded.lower()))]


async def test_member_withdraws_consent_and_one_choice_per_purpose_remains(client):
    # given
    member = await make_member()
    earlier = await make_consent(member, models.ConsentPurpose.PARTNER_SHARING, granted=True)
    await make_consent(member, models.ConsentPurpose.MARKETING, granted=True)
    # when
    result = await gql(
        client,
        CONSENT_SET,
        consent_input(member, purpose="PARTNER_SHARING", granted=False, source="MOBILE"),
        token=member_token(member),
    )
    # then
    row = await models.Consent.get(member_id=member.id, purpose=models.ConsentPurpose.PARTNER_SHARING)
    assert result["data"]["memberConsentSet"]["consent"] == {
        "purpose": "PARTNER_SHARING",
        "granted": False,
        "source": "MOBILE",
        "recordedAt": row.recorded_at.isoformat(),
    }
    assert row.recorded_at > earlier.recorded_at
    assert await consents(member) == [
        (models.ConsentPurpose.MARKETING, True, models.ConsentSource.WEB),
        (models.ConsentPurpose.PARTNER_SHARING, False, models.ConsentSource.MOBILE),
    ]


@pytest.mark.parametrize(
    "role", [models.StaffRole.ACCOUNT_MANAGER, models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR]
)
async def test_staff_record_consent_as_given_at_the_club(client, role):
    # given
    staff = await make_staff(role)
    member = await make_member(account_manager_id=staff.id if role == models.StaffRole.ACCOUNT_MANAGER else None)
    # when
    result = await gql(
        client, CONSENT_SET, consent_input(member, purpose="PROFILING", source="WEB"), token=staff_token(staff)
    )
    # then
    row = await models.Consent.get(member_id=member.id)
    assert result == {
        "data": {
            "memberConsentSet": {
                "consent": {
                    "purpose": "PROFILING",
                    "granted": True,
                    "source": "STAFF",
                    "recordedAt": row.recorded_at.isoformat(),
                },
                "member": {
                    "id": gid("Member", member.id),
                    "consents": [{"purpose": "PROFILING", "granted": True, "source": "STAFF"}],
                },
                "errors": [],
            }
        }
    }
    assert await consents(member) == [(models.ConsentPurpose.PROFILING, True, models.ConsentSource.STAFF)]


@pytest.mark.parametrize("source", ["STAFF", "IMPORT"])
async def test_member_cannot_claim_a_staff_or_import_source(client, source):
    # given
    member = await make_member()
    await make_consent(member, models.ConsentPurpose.MARKETING, granted=False)
    # when
    result = await gql(client, CONSENT_SET, consent_input(member, source=source), token=member_token(member))
    # then
    assert result == error("source", "INVALID", "Members give consent on the web or in the mobile app")
    assert await consents(member) == [(models.ConsentPurpose.MARKETING, False, models.ConsentSource.WEB)]


async def test_member_acting_on_another_member_is_told_it_does_not_exist(client):
    # given
    member = await make_member()
    other = await make_member()
    # when
    result = await gql(client, CONSENT_SET, consent_input(other), token=member_token(member))
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")
    assert await models.Consent.all().count() == 0


async def test_an_unknown_member_is_not_found(client):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    gone = await make_member()
    await gone.delete()
    # when
    result = await gql(client, CONSENT_SET, consent_input(gone), token=staff_token(staff))
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")
    assert await models.Consent.all().count() == 0


@pytest.mark.parametrize(
    ("role", "code", "message"),
    [
        (None, "UNAUTHENTICATED", None),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN", None),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.ACCOUNT_MANAGER, "FORBIDDEN", "Only the member's own account manager may change this record"),
    ],
)
async def test_callers_without_permission_are_refused(client, role, code, message):
    # given
    member = await make_member(account_manager_id=(await make_staff(models.StaffRole.ACCOUNT_MANAGER)).id)
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(client, CONSENT_SET, consent_input(member), token=token)
    # then
    assert result == refused("memberConsentSet", code, message)
    assert await models.Consent.all().count() == 0
