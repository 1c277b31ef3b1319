"""Solidarity boosts of a post from outside the network, across two real instances: a curator
gives its address, it is fetched from its origin, the network boosts it with a note (the
author's server records the boost), the site shows where it came from, and the boost can be
taken back (the author's server forgets it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actors.models import ActorKind
from federation.errors import FederationError
from network.booster import CurationError
from network.solidarity import solidarity_boost, take_back
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Interaction, InteractionKind, Visibility
from outbox.posts import create_post
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def boosts_of(instance: Instance) -> int:
    async with instance.svc.db.reader() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.kind == InteractionKind.announce)
            )
            or 0
        )


async def test_the_network_boosts_a_post_from_anywhere_and_takes_it_back(
    pair: tuple[Instance, Instance],
) -> None:
    here, there = pair
    await make_actor(here.svc, "solidarity", kind=ActorKind.network, display_name="Network")
    bakers = await make_actor(there.svc, "bakers", display_name="Bakers of Tunis")
    post = await create_post(
        there.svc, bakers, Draft(kind=PostKind.note, body="Day three of our strike", language="en")
    )

    item = await solidarity_boost(
        here.svc, "solidarity", post.uri, note="Solidarity from the region", curator="curator"
    )

    assert item.source == "solidarity"
    assert await eventually(lambda: boosts_of(there), until=lambda n: n == 1) == 1
    home = await here.http.get("/", headers={"Accept-Language": "en"})
    assert "Day three of our strike" in home.text
    assert "in solidarity, from outside the network" in home.text
    assert "Solidarity from the region" in home.text
    with pytest.raises(CurationError, match="already"):
        await solidarity_boost(here.svc, "solidarity", post.uri)

    await take_back(here.svc, "solidarity", post.uri)

    assert await eventually(lambda: boosts_of(there), until=lambda n: n == 0) == 0
    after = await here.http.get("/", headers={"Accept-Language": "en"})
    assert "Day three of our strike" not in after.text


async def test_what_cannot_be_boosted_is_refused_with_a_reason(
    pair: tuple[Instance, Instance],
) -> None:
    here, there = pair
    await make_actor(here.svc, "solidarity", kind=ActorKind.network)
    bakers = await make_actor(there.svc, "bakers")
    private = await create_post(
        there.svc,
        bakers,
        Draft(
            kind=PostKind.note,
            body="members only",
            language="en",
            visibility=Visibility.followers,
        ),
    )

    with pytest.raises(CurationError, match="address"):
        await solidarity_boost(here.svc, "solidarity", "bakers@elsewhere")
    with pytest.raises(CurationError, match="this server"):
        await solidarity_boost(here.svc, "solidarity", f"{here.base_url}/objects/x")
    with pytest.raises(FederationError):  # its server does not show it to us
        await solidarity_boost(here.svc, "solidarity", private.uri)
