"""Co-signed statements across two real instances: the network opens a statement and invites
its members; a member on the other server receives the Invite and signs from its own desk
(an Accept goes back); a member here signs in this desk; the statement's page and its
signatories collection list both; withdrawing (Undo of the Accept) removes the signature."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actors.models import ActorKind
from inbox.models import Invitation
from network.cosign import network_members, sign_invitation, withdraw_invitation
from network.members import MemberProfile, add_member
from network.models import Trust
from outbox.compose import Draft, PostError
from outbox.kinds import PostKind
from outbox.posts import create_post
from outbox.statements import open_statement, sign_here
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def invitations(instance: Instance) -> list[Invitation]:
    async with instance.svc.db.reader() as session:
        return list(await session.scalars(select(Invitation)))


async def signed(instance: Instance, post_uri: str) -> list[str]:
    response = await instance.http.get(
        f"{post_uri}/signatories", headers={"Accept": "application/activity+json"}
    )
    return list(response.json()["orderedItems"]) if response.status_code == 200 else []


async def test_members_here_and_elsewhere_co_sign_and_withdraw(
    pair: tuple[Instance, Instance],
) -> None:
    here, there = pair
    network = await make_actor(here.svc, "solidarity", kind=ActorKind.network)
    teachers = await make_actor(here.svc, "teachers", display_name="Teachers' union")
    union = await make_actor(there.svc, "union", display_name="Oil workers' union")
    await add_member(
        here.svc, "solidarity", teachers.uri, MemberProfile("EG", "education", (), Trust.auto)
    )
    await add_member(
        here.svc,
        "solidarity",
        f"union@{there.host}",
        MemberProfile("IR", "oil_gas", (), Trust.auto),
    )
    statement = await create_post(
        here.svc,
        network,
        Draft(
            kind=PostKind.article,
            language="en",
            title="Free the imprisoned bus drivers",
            body="We call for their release.",
        ),
    )

    await open_statement(here.svc, statement, await network_members(here.svc, network.id))
    [invitation] = await eventually(lambda: invitations(there), until=lambda i: len(i) == 1)
    assert invitation.statement_uri == statement.uri
    await sign_invitation(there.svc, invitation.id)
    await sign_here(here.svc, statement, teachers)

    both = await eventually(lambda: signed(here, statement.uri), until=lambda s: len(s) == 2)
    assert sorted(both) == sorted([teachers.uri, union.uri])
    page = await here.http.get(f"/objects/{statement.public_id}", headers={"Accept-Language": "en"})
    assert "Signed by 2 organisations" in page.text
    assert "Oil workers&#39; union" in page.text or "Oil workers' union" in page.text
    with pytest.raises(PostError, match="already"):
        await sign_here(here.svc, statement, teachers)

    await withdraw_invitation(there.svc, invitation.id)

    assert await eventually(
        lambda: signed(here, statement.uri), until=lambda s: s == [teachers.uri]
    ) == [teachers.uri]


async def test_a_post_not_open_for_co_signing_takes_no_signatures(
    pair: tuple[Instance, Instance],
) -> None:
    here, _there = pair
    union = await make_actor(here.svc, "union")
    post = await create_post(
        here.svc, union, Draft(kind=PostKind.note, body="just news", language="en")
    )

    with pytest.raises(PostError, match="not open"):
        await sign_here(here.svc, post, union)
    missing = await here.http.get(
        f"{post.uri}/signatories", headers={"Accept": "application/activity+json"}
    )
    assert missing.status_code == 404
