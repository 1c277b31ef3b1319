"""`hambastegi demo`: a small network to look at. Idempotent: running it twice changes nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import select

from accounts.models import User
from accounts.users import create_user
from actors.directory import NewActor, create_local_actor, find_local, get_local
from actors.models import ActorKind
from content.mediastore import MediaStore
from network.members import MemberProfile, add_member
from network.models import Member, Trust
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Post
from outbox.participation import join
from outbox.posts import create_post, set_pinned
from outbox.profile import ProfileText, set_profile
from outbox.statements import open_statement, sign_here
from runtime.services import Services

DEMO_ACTORS = (
    NewActor(
        username="solidarity",
        kind=ActorKind.network,
        display_name="Labour Solidarity Network (demo)",
        safety_profile=False,  # the network speaks in public; member unions keep the profile
        summary=(
            "Workers' solidarity across the Middle East and North Africa: we boost our member "
            "unions' strike reports, bulletins and campaigns for imprisoned workers."
        ),
        language="en",
    ),
    NewActor(
        username="oil_workers",
        kind=ActorKind.organization,
        display_name="اتحادیه کارگران نفت (نمونه)",
        summary="نمونه‌ای از یک اتحادیه عضو شبکه. گزارش اعتصاب‌ها و اخبار کارگران نفت.",
        language="fa",
    ),
    NewActor(
        username="teachers_union",
        kind=ActorKind.organization,
        display_name="نقابة المعلمين (تجريبي)",
        summary="نقابة تجريبية عضو في الشبكة: أخبار المعلمين وحملات التضامن.",
        language="ar",
        hide_collections=True,
    ),
)


DEMO_MEMBERS = (
    ("oil_workers", Trust.auto, "IR", "oil_gas"),  # boosted at once
    ("teachers_union", Trust.review, "EG", "education"),  # a curator decides
)

NETWORK_PROFILE = (
    ProfileText(
        "شبکهٔ همبستگی کارگری (نمونه)",
        "همبستگی کارگران در سراسر خاورمیانه و شمال آفریقا: گزارش اعتصاب‌ها، خبرنامه‌ها و "
        "کارزارهای اتحادیه‌های عضو را بازنشر می‌کنیم.",
        "fa",
    ),
    ProfileText(
        "شبكة التضامن العمالي (تجريبي)",
        "تضامن العمال في الشرق الأوسط وشمال أفريقيا: نعيد نشر تقارير الإضرابات ونشرات "
        "النقابات الأعضاء وحملاتها من أجل العمال المعتقلين.",
        "ar",
    ),
    ProfileText(
        "Réseau de solidarité ouvrière (démo)",
        "La solidarité des travailleurs au Moyen-Orient et en Afrique du Nord.",
        "fr",
    ),
)


@dataclass(frozen=True)
class Sample:
    """A demo post, and its translations (published as translations of it)."""

    draft: Draft
    translations: tuple[Draft, ...] = ()
    pinned: bool = False
    role: str = ""  # "statement": opened for co-signing; "conference": members attend


def _first_tuesday_after(today: date) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


def sample_posts(today: date) -> dict[str, list[Sample]]:
    """One post of every kind, a bulletin in three languages, and a meeting still to come."""
    meeting = _first_tuesday_after(today).isoformat()
    return {
        "oil_workers": [
            Sample(
                Draft(
                    kind=PostKind.strike,
                    language="fa",
                    title="اعتصاب کارگران پالایشگاه آبادان",
                    body="کارگران پیمانی پالایشگاه برای سومین روز دست از کار کشیدند. "
                    "#اعتصاب_کارگران #نفت",
                    details={
                        "country": "IR",
                        "region": "خوزستان",
                        "workplace": "پالایشگاه آبادان",
                        "employer": "شرکت پیمانکاری (نمونه)",
                        "sector": "oil_gas",
                        "workers": 700,
                        "start_date": (today - timedelta(days=3)).isoformat(),
                        "status": "ongoing",
                        "demands": ["پرداخت دستمزدهای معوقه", "قرارداد دائم"],
                    },
                )
            ),
            Sample(
                Draft(
                    kind=PostKind.campaign,
                    language="fa",
                    body="او به خاطر سازمان‌دهی یک مجمع عمومی بازداشت شده است. "
                    "#آزادی_کارگران_زندانی",
                    details={
                        "person": "کارگر زندانی (نام نمونه)",
                        "country": "IR",
                        "union": "سندیکای نمونه",
                        "arrested_on": "2026-02-01",
                        "charges": ["اجتماع و تبانی"],
                        "status": "detained",
                        "actions": [
                            {"label": "امضای دادخواست", "url": "https://example.org/petition"}
                        ],
                    },
                ),
                pinned=True,
            ),
            Sample(
                Draft(
                    kind=PostKind.article,
                    language="fa",
                    title="خبرنامهٔ ماهانه: اعتصاب‌ها و همبستگی",
                    body="## اعتصاب پالایشگاه\n\nکارگران پیمانی آبادان برای دستمزدهای معوقه "
                    "دست از کار کشیدند و کارگران رسمی به آن‌ها پیوستند.\n\n"
                    "## همبستگی\n\nاتحادیه‌های عضو شبکه از تونس تا عراق پیام همبستگی "
                    "فرستادند. #خبرنامه",
                ),
                translations=(
                    Draft(
                        kind=PostKind.article,
                        language="en",
                        title="Monthly bulletin: strikes and solidarity",
                        body="## The refinery strike\n\nContract workers at Abadan stopped work "
                        "over unpaid wages, and permanent staff joined them.\n\n"
                        "## Solidarity\n\nMember unions from Tunisia to Iraq sent messages "
                        "of solidarity. #bulletin",
                    ),
                    Draft(
                        kind=PostKind.article,
                        language="ar",
                        title="النشرة الشهرية: الإضرابات والتضامن",
                        body="## إضراب المصفاة\n\nتوقف عمال العقود في عبادان عن العمل بسبب "
                        "الأجور غير المدفوعة، وانضم إليهم العمال الدائمون.\n\n"
                        "## التضامن\n\nأرسلت النقابات الأعضاء من تونس إلى العراق رسائل "
                        "تضامن. #النشرة",
                    ),
                ),
            ),
        ],
        "solidarity": [
            Sample(
                Draft(
                    kind=PostKind.event,
                    language="en",
                    title="Yearly conference of labour activists",
                    body="Two days of reports, workshops and planning, open to every member union.",
                    details={
                        "starts_at": f"{(today + timedelta(days=120)).isoformat()}T10:00",
                        "ends_at": f"{(today + timedelta(days=121)).isoformat()}T17:00",
                        "timezone": "Europe/Istanbul",
                        "location": "Istanbul (the address goes to participants)",
                        "capacity": 200,
                    },
                ),
                role="conference",
            ),
            Sample(
                Draft(
                    kind=PostKind.article,
                    language="en",
                    title="Statement: free the imprisoned bus drivers",
                    body="The member unions of the network call for the release of the bus "
                    "drivers arrested for organising, and for the charges to be dropped.",
                ),
                role="statement",
            ),
        ],
        "teachers_union": [
            Sample(
                Draft(
                    kind=PostKind.note,
                    language="ar",
                    body="المعلمون في الإسكندرية يعتصمون أمام مديرية التعليم للمطالبة بأجور "
                    "عادلة. #المعلمون",
                )
            ),
            Sample(
                Draft(
                    kind=PostKind.event,
                    language="en",
                    title="Monthly meeting of the network",
                    body="Reports from member unions, and planning for the yearly conference.",
                    details={
                        "starts_at": f"{meeting}T18:00",
                        "ends_at": f"{meeting}T20:00",
                        "timezone": "Europe/Stockholm",
                        "location": "Online",
                        "online_url": "https://meet.example.org/solidarity",
                        "recurrence": "FREQ=MONTHLY;BYDAY=1TU",
                        "reminder_hours": 24,
                    },
                ),
                translations=(
                    Draft(
                        kind=PostKind.event,
                        language="ar",
                        title="الاجتماع الشهري للشبكة",
                        body="تقارير النقابات الأعضاء، والتحضير للمؤتمر السنوي.",
                        details={
                            "starts_at": f"{meeting}T18:00",
                            "ends_at": f"{meeting}T20:00",
                            "timezone": "Europe/Stockholm",
                            "location": "عبر الإنترنت",
                            "online_url": "https://meet.example.org/solidarity",
                            "recurrence": "FREQ=MONTHLY;BYDAY=1TU",
                            "reminder_hours": 24,
                        },
                    ),
                ),
            ),
        ],
    }


async def seed(svc: Services) -> list[str]:
    """Create whatever of the demo network is missing; return what was created."""
    created = []
    media = MediaStore(svc.settings.media_dir)
    async with svc.db.transaction() as session:
        for new in DEMO_ACTORS:
            if await find_local(session, new.username) is None:
                await create_local_actor(
                    session, svc.uris, svc.clock, svc.settings.secret_key, media, new
                )
                created.append(new.username)
    for username, trust, country, sector in DEMO_MEMBERS:
        async with svc.db.reader() as session:
            network = await get_local(session, "solidarity")
            actor = await get_local(session, username)
            is_member = await session.scalar(
                select(Member.id).where(
                    Member.network_id == network.id, Member.actor_id == actor.id
                )
            )
        if is_member is None:
            await add_member(
                svc, "solidarity", actor.uri, MemberProfile(country, sector, (), trust)
            )
    async with svc.db.reader() as session:
        network = await get_local(session, "solidarity")
    if not network.translations:
        await set_profile(svc, "solidarity", NETWORK_PROFILE)
    for username, samples in sample_posts(svc.clock.now().date()).items():
        async with svc.db.reader() as session:
            actor = await get_local(session, username)
            has_posts = await session.scalar(
                select(Post.id).where(Post.actor_id == actor.id).limit(1)
            )
        if has_posts is not None:
            continue
        count = 0
        for sample in samples:
            post = await create_post(svc, actor, sample.draft)
            for translation in sample.translations:
                await create_post(svc, actor, replace(translation, translation_of=post.public_id))
            if sample.pinned:
                await set_pinned(svc, post.public_id, pinned=True)
            if sample.role:
                await _members_take_part(svc, post, sample.role)
            count += 1 + len(sample.translations)
        created.append(f"{count} posts by {username}")
    return created


async def _members_take_part(svc: Services, post: Post, role: str) -> None:
    """The member organisations sign the statement, or attend the conference."""
    async with svc.db.reader() as session:
        members = [await get_local(session, name) for name, *_rest in DEMO_MEMBERS]
    if role == "statement":
        await open_statement(svc, post, members)
        for member in members:
            await sign_here(svc, post, member)
    elif role == "conference":
        async with svc.db.transaction() as session:
            for member in members:
                await join(session, svc, post, member, {"type": "Join", "object": post.uri})


async def seed_and_report(svc: Services) -> int:
    created = await seed(svc)
    password = await demo_admin(svc)
    print("demo network: " + (", ".join(created) + " created" if created else "already in place"))
    for new in DEMO_ACTORS:
        print(f"  {svc.uris.actor(new.username)}  (@{new.username}@{svc.settings.host})")
    if password:
        print(f"editors' desk: {svc.settings.base_url}/desk  name: admin  password: {password}")
        print("  (shown once: keep it, or make another with `hambastegi user create`)")
    return 0


async def demo_admin(svc: Services) -> str | None:
    """An admin for the demo's desk, with a random password (None if one exists)."""
    async with svc.db.reader() as session:
        if await session.scalar(select(User.id).where(User.username == "admin")) is not None:
            return None
    password = secrets.token_urlsafe(12)
    async with svc.db.transaction() as session:
        await create_user(session, svc.clock, username="admin", password=password, is_admin=True)
    return password
