"""A first end-to-end check: login and `me` over HTTP."""

from tests.factories import gql, make_member


async def test_member_logs_in_and_reads_own_profile(client):
    # given
    member = await make_member(password="correct horse", name="林婉清")
    # when
    login = await gql(
        client,
        "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }",
        {"input": {"email": member.email, "password": "correct horse"}},
    )
    token = login["data"]["login"]["token"]
    me = await gql(client, "{ me { ... on Member { name tier { name } } } }", token=token)
    # then
    assert login["data"]["login"]["errors"] == []
    assert me == {"data": {"me": {"name": "林婉清", "tier": {"name": "Silver"}}}}
