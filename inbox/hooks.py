"""What the inbox tells the layers above it, and the questions it asks them: typed hooks.

The inbox handles every activity type itself (`inbox.dispatch` is the one routing table).
Upper layers (the network) subscribe in the composition root: they say why they want a post
kept, hear about posts kept, updated and deleted and about actors that moved (inside the
transaction that made the change, with the data in hand), and may claim a Follow, Accept or
Undo that is theirs (a relay subscription) before the inbox's own handling.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from federation.documents import Activity, RemoteObjectData
from runtime.services import Services

if TYPE_CHECKING:
    from inbox.context import InboxContext


@dataclass(frozen=True)
class Interest:
    """Why a remote post is kept. The inbox's own reasons: `followed` (one of ours follows the
    sender), `relayed` (a relay we subscribe to forwarded it), `about-us` (a reply to our
    post, a mention of one of ours); upper layers add theirs (`member`, `relay`,
    `subscriber`)."""

    reason: str
    whole_thread: bool = False  # also keep the post it replies to, when by the same author


@dataclass(frozen=True)
class Arrival:
    """A post offered to us, before it is fetched: who sent it and how."""

    via: Literal["Create", "Announce"]
    sender: Actor  # the author of a Create, the booster of an Announce
    recipient: str | None  # the username of the inbox it came to (None: the shared inbox)


@dataclass(frozen=True)
class KeptPost:
    """A remote post just stored, and why."""

    activity: Activity
    post: RemoteObjectData
    author: Actor
    interests: tuple[Interest, ...]
    relayed_by: str | None

    def wanted_for(self, reason: str) -> bool:
        return any(i.reason == reason for i in self.interests)


InterestHook = Callable[[AsyncSession, Services, Arrival], Awaitable[list[Interest]]]
# Answers about a batch of senders asked at once, kept in the batch's memo (`storage.memo`) for
# the interest hooks to find: one read for a hundred activities instead of one each.
PrefetchHook = Callable[[AsyncSession, Services, list[Actor]], Awaitable[None]]
KeptHook = Callable[[AsyncSession, Services, KeptPost], Awaitable[None]]
ChangedHook = Callable[[AsyncSession, Services, str, Activity], Awaitable[None]]
MovedHook = Callable[[AsyncSession, Services, Actor, Actor], Awaitable[None]]
Claim = Callable[["InboxContext", Activity], Awaitable[bool]]


@dataclass
class InboxHooks:
    interest: list[InterestHook] = field(default_factory=list)
    prefetch: list[PrefetchHook] = field(default_factory=list)
    remote_post_kept: list[KeptHook] = field(default_factory=list)
    remote_post_updated: list[ChangedHook] = field(default_factory=list)  # (uri, the Update)
    remote_post_deleted: list[ChangedHook] = field(default_factory=list)  # (uri, the Delete)
    actor_moved: list[MovedHook] = field(default_factory=list)  # (old, new)
    # A Follow, Accept or Undo(Follow) an upper layer recognises as its own (a relay
    # subscription): the claim handles it (through `ctx.effect()`) and says True.
    follow_received: list[Claim] = field(default_factory=list)
    accept_received: list[Claim] = field(default_factory=list)
    undo_follow_received: list[Claim] = field(default_factory=list)

    async def interests(
        self, session: AsyncSession, svc: Services, arrival: Arrival
    ) -> list[Interest]:
        found: list[Interest] = []
        for hook in self.interest:
            found += await hook(session, svc, arrival)
        return found

    async def prefetched(self, session: AsyncSession, svc: Services, senders: list[Actor]) -> None:
        for hook in self.prefetch:
            await hook(session, svc, senders)

    async def kept(self, session: AsyncSession, svc: Services, kept: KeptPost) -> None:
        for hook in self.remote_post_kept:
            await hook(session, svc, kept)

    async def updated(
        self, session: AsyncSession, svc: Services, uri: str, activity: Activity
    ) -> None:
        for hook in self.remote_post_updated:
            await hook(session, svc, uri, activity)

    async def deleted(
        self, session: AsyncSession, svc: Services, uri: str, activity: Activity
    ) -> None:
        for hook in self.remote_post_deleted:
            await hook(session, svc, uri, activity)

    async def moved(self, session: AsyncSession, svc: Services, old: Actor, new: Actor) -> None:
        for hook in self.actor_moved:
            await hook(session, svc, old, new)


async def claimed(claims: list[Claim], ctx: InboxContext, activity: Activity) -> bool:
    """Offer the activity to each claim in turn; True once one has handled it."""
    for claim in claims:
        if await claim(ctx, activity):
            return True
    return False
