"""An instance with a network, two member organisations, posts of each kind, and desk users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounts.users import create_user
from actors.models import Actor, ActorKind, Follow, FollowState
from network.members import MemberProfile, add_member
from network.models import Trust
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Post
from outbox.posts import create_post
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance

PASSWORD = "a long editor password"


@dataclass
class Site:
    instance: Instance
    network: Actor
    union: Actor
    teachers: Actor
    posts: dict[str, Post]

    @property
    def http(self) -> Any:
        return self.instance.http


@asynccontextmanager
async def site(tmp_path: Path, **overrides: Any) -> AsyncIterator[Site]:
    async with asgi_instance(tmp_path, **overrides) as instance:
        yield await seed(instance)


async def seed(instance: Instance) -> Site:
    """A network, two member organisations (one trusted, one reviewed), a post of each kind,
    and three desk users: admin, editor (of oil_workers) and curator (of the network)."""
    svc = instance.svc
    network = await make_actor(svc, "solidarity", kind=ActorKind.network, display_name="Solidarity")
    union = await make_actor(svc, "oil_workers", display_name="Oil workers", language="fa")
    teachers = await make_actor(svc, "teachers", display_name="Teachers", language="ar")
    await add_member(
        svc, "solidarity", union.uri, MemberProfile("IR", "oil_gas", ("fa",), Trust.auto)
    )
    await add_member(
        svc, "solidarity", teachers.uri, MemberProfile("EG", "education", (), Trust.review)
    )
    posts = {
        "strike": await create_post(
            svc,
            union,
            Draft(
                kind=PostKind.strike,
                language="fa",
                body="اعتصاب کارگران پالایشگاه ادامه دارد #نفت",
                details={
                    "country": "IR",
                    "workplace": "پالایشگاه آبادان",
                    "sector": "oil_gas",
                    "start_date": "2026-05-04",
                    "status": "ongoing",
                    "workers": 700,
                },
            ),
        ),
        "article": await create_post(
            svc,
            teachers,
            Draft(
                kind=PostKind.article,
                language="ar",
                title="النشرة الشهرية",
                body="نضال المعلمين مستمر",
            ),
        ),
        "event": await create_post(
            svc,
            teachers,
            Draft(
                kind=PostKind.event,
                language="en",
                title="Monthly meeting",
                body="Reports and plans.",
                details={
                    "starts_at": "2099-06-02T18:00",
                    "timezone": "Europe/Stockholm",
                    "location": "Online",
                    "online_url": "https://meet.example/x",
                },
            ),
        ),
        "campaign": await create_post(
            svc,
            union,
            Draft(
                kind=PostKind.campaign,
                language="fa",
                body="آزادی برای او",
                details={
                    "person": "کارگر زندانی",
                    "country": "IR",
                    "arrested_on": "2026-01-01",
                    "status": "detained",
                },
            ),
        ),
    }
    async with svc.db.transaction() as session:
        await create_user(session, svc.clock, username="admin", password=PASSWORD, is_admin=True)
        await create_user(
            session, svc.clock, username="editor", password=PASSWORD, editor_of=["oil_workers"]
        )
        await create_user(
            session, svc.clock, username="curator", password=PASSWORD, curator_of=["solidarity"]
        )
    return Site(instance, network, union, teachers, posts)


async def log_in(s: Site, username: str, password: str = PASSWORD) -> Any:
    """Log in through the form (as a browser does); returns the login response."""
    page = await s.http.get("/desk/login")
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return await s.http.post(
        "/desk/login",
        data={"csrf": token, "username": username, "password": password},
        headers={"Origin": s.instance.base_url},
    )


async def csrf(s: Site, path: str = "/desk") -> str:
    page = await s.http.get(path)
    return str(page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0])


async def remote_follower(
    s: Site, followed: Actor, state: FollowState = FollowState.accepted
) -> Actor:
    """A reader on another server (a closed loopback port: nothing is ever delivered there)
    whose follow of `followed` is in `state`."""
    now = s.instance.svc.clock.now()
    async with s.instance.svc.db.transaction() as session:
        reader = Actor(
            uri="http://127.0.0.1:9/users/reader",
            kind=ActorKind.remote,
            as_type="Person",
            username="reader",
            domain="127.0.0.1:9",
            inbox_uri="http://127.0.0.1:9/users/reader/inbox",
            shared_inbox_uri="http://127.0.0.1:9/inbox",
            published=now,
            updated_at=now,
        )
        session.add(reader)
        await session.flush()
        session.add(
            Follow(
                follower_id=reader.id,
                followed_id=followed.id,
                state=state,
                activity_uri="http://127.0.0.1:9/follows/1",
                created_at=now,
            )
        )
    return reader
