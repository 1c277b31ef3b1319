"""`hambastegi demo --size large`: a network at the size of real use, to look at and to test on.

On top of the small demo: 20 more member organisations here (in Persian, Arabic, Kurdish,
Turkish, English and French) and 4 members on other servers; 5,000+ posts of every kind over two
years (translations, replies in threads, scheduled posts, events past and future); 500 posts from
the remote members in the shapes other servers send (content warnings, media in every form,
hashtags with spaces, self-replies, long articles, polls, videos, `type` lists, language maps
only); and thousands of followers on many servers. Deterministic (one seed), and idempotent:
it does nothing when the large network is already there.

Followers are added last, so building it queues no deliveries to the made-up servers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from actors.directory import NewActor, create_local_actor, find_local, get_local
from actors.models import Actor, ActorKind, Follow, FollowState
from actors.resolver import store_remote_actor
from cli import demo
from content.mediastore import MediaStore
from federation.documents import parse_actor, parse_object
from inbox.objects import keep_object
from network import booster
from network.inbox_hooks import member_post
from network.members import MemberProfile, add_member
from network.models import Member, Trust
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Post
from outbox.posts import create_post
from runtime.services import Services

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
LANGUAGES = ("fa", "ar", "ckb", "tr", "en", "fr")
COUNTRIES = ("IR", "IQ", "EG", "TN", "MA", "DZ", "TR", "JO", "LB", "SY", "SD", "YE")
SECTORS = ("oil_gas", "education", "health", "transport", "textiles", "mining", "sugar_food")
ORGANISATIONS = 20
POSTS_PER_ORGANISATION = 250
REMOTE_MEMBERS = 4
REMOTE_POSTS = 500
FOLLOWER_SERVERS = 60
NETWORK_FOLLOWERS = 3_000
ORGANISATION_FOLLOWERS = 150
MARKER = "org_large_01"  # the first organisation: its presence means the network is built

PHRASES = {
    "fa": ("کارگران برای دستمزدهای معوقه دست از کار کشیدند", "مجمع عمومی کارگران برگزار شد",
           "همبستگی با معلمان زندانی", "قرارداد دائم حق ماست"),
    "ar": ("أضرب العمال من أجل الأجور المتأخرة", "عقدت الجمعية العامة للعمال اجتماعها",
           "التضامن مع المعلمين المعتقلين", "العقد الدائم حقنا"),
    "ckb": ("کرێکاران بۆ مووچەی دواکەوتوو مانیان گرت", "کۆبوونەوەی گشتیی کرێکاران",
            "هاوپشتی لەگەڵ مامۆستایانی زیندانی", "گرێبەستی هەمیشەیی مافی ئێمەیە"),
    "tr": ("İşçiler ödenmeyen ücretler için greve çıktı", "İşçilerin genel kurulu toplandı",
           "Tutuklu öğretmenlerle dayanışma", "Kadrolu iş hakkımızdır"),
    "en": ("Workers stopped work over unpaid wages", "The workers' general assembly met",
           "Solidarity with imprisoned teachers", "Permanent contracts are our right"),
    "fr": ("Les ouvriers ont cessé le travail pour les salaires impayés",
           "L'assemblée générale des travailleurs s'est réunie",
           "Solidarité avec les enseignants emprisonnés", "Le contrat permanent est notre droit"),
}  # fmt: skip
TAGS = {
    "fa": "اعتصاب",
    "ar": "إضراب",
    "ckb": "مانگرتن",
    "tr": "grev",
    "en": "strike",
    "fr": "grève",
}


async def seed_large(svc: Services) -> list[str]:
    """Build the large network (after the small demo); return what was created."""
    created = await demo.seed(svc)
    async with svc.db.reader() as session:
        if await find_local(session, MARKER) is not None:
            return created
    rng = random.Random(2026)  # noqa: S311 - a reproducible demo, not a secret
    organisations = await _organisations(svc)
    created.append(f"{len(organisations)} organisations")
    posts = await _local_posts(svc, organisations, rng)
    created.append(f"{posts} posts")
    remote = await _remote_members(svc, rng)
    created.append(f"{remote} posts from members elsewhere")
    followers = await _followers(svc, organisations)
    created.append(f"{followers} followers")
    return created


async def _organisations(svc: Services) -> list[Actor]:
    media = MediaStore(svc.settings.media_dir)
    made = []
    for n in range(1, ORGANISATIONS + 1):
        language = LANGUAGES[n % len(LANGUAGES)]
        new = NewActor(
            username=f"org_large_{n:02d}",
            kind=ActorKind.organization,
            display_name=f"{PHRASES[language][2].split()[0]} {n} (demo)",
            summary=f"{PHRASES[language][1]}. #{TAGS[language]}",
            language=language,
            safety_profile=n % 3 == 0,
            hide_collections=n % 5 == 0,
        )
        async with svc.db.transaction() as session:
            made.append(
                await create_local_actor(
                    session, svc.uris, svc.clock, svc.settings.secret_key, media, new
                )
            )
        profile = MemberProfile(
            COUNTRIES[n % len(COUNTRIES)],
            SECTORS[n % len(SECTORS)],
            trust=Trust.auto if n % 4 else Trust.review,
        )
        await add_member(svc, "solidarity", new.username, profile)
    return made


def _draft(kind: PostKind, language: str, n: int, rng: random.Random) -> Draft:
    phrase = PHRASES[language][n % 4]
    tag = TAGS[language]
    body = f"{phrase} ({n}). #{tag} #demo{n % 7}"
    if kind == PostKind.strike:
        return Draft(
            kind=kind,
            language=language,
            body=body,
            details={
                "country": COUNTRIES[n % len(COUNTRIES)],
                "workplace": f"{phrase.split()[0]} {n}",
                "sector": SECTORS[n % len(SECTORS)],
                "workers": 50 + n % 900,
                "start_date": f"20{25 + n % 2}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "status": ("ongoing", "won", "suspended", "ended")[n % 4],
                "demands": [phrase, PHRASES[language][(n + 1) % 4]],
            },
        )
    if kind == PostKind.article:
        paragraphs = "\n\n".join(
            f"## {PHRASES[language][i % 4]}\n\n{PHRASES[language][(i + n) % 4]}. " * 2
            + f"\n\n- {phrase}\n- {PHRASES[language][(i + 2) % 4]}\n\n> {phrase}"
            for i in range(6)
        )
        return Draft(kind=kind, language=language, title=f"{phrase} — {n}", body=paragraphs)
    if kind == PostKind.event:
        # Days from now (past and future): `_local_posts` turns it into the start time.
        return Draft(
            kind=kind,
            language=language,
            title=f"{PHRASES[language][1]} {n}",
            body=body,
            details={"_in_days": rng.randint(-400, 120)},
        )
    if kind == PostKind.campaign:
        return Draft(
            kind=kind,
            language=language,
            body=body,
            details={
                "person": f"{phrase.split()[0]} {n}",
                "country": COUNTRIES[n % len(COUNTRIES)],
                "arrested_on": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "status": ("detained", "sentenced", "on_bail", "released")[n % 4],
                **({"released_on": "2026-06-01"} if n % 4 == 3 else {}),
            },
        )
    return Draft(
        kind=PostKind.note,
        language=language,
        body=body,
        summary=PHRASES[language][3] if n % 11 == 0 else "",
        sensitive=n % 11 == 0,
    )


KIND_CYCLE = (
    [PostKind.note] * 10
    + [PostKind.strike] * 4
    + [PostKind.article] * 2
    + [PostKind.event] * 2
    + [PostKind.campaign] * 2
)


async def _local_posts(svc: Services, organisations: list[Actor], rng: random.Random) -> int:
    now = svc.clock.now()
    count = 0
    for o, actor in enumerate(organisations):
        # One transaction per organisation's posts (each post a savepoint of it): thousands of
        # small statements run without a round trip to a database thread each.
        async with svc.db.batch():
            count += await _posts_of(svc, o, actor, now, rng)
    await _spread_over_time(svc)
    return count


async def _posts_of(svc: Services, o: int, actor: Actor, now: datetime, rng: random.Random) -> int:
    count = 0
    previous: Post | None = None
    for i in range(POSTS_PER_ORGANISATION):
        n = o * POSTS_PER_ORGANISATION + i
        kind = KIND_CYCLE[n % len(KIND_CYCLE)]
        draft = _draft(kind, actor.language, n, rng)
        if kind == PostKind.event:
            start = now + timedelta(days=int(draft.details["_in_days"]), hours=n % 10)
            draft = Draft(
                kind=kind,
                language=draft.language,
                title=draft.title,
                body=draft.body,
                details={
                    "starts_at": start.strftime("%Y-%m-%dT%H:00"),
                    "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:00"),
                    "timezone": "Asia/Tehran",
                    "location": "Online",
                },
            )
        if kind == PostKind.note and previous is not None and i % 9 == 0:
            draft = Draft(
                kind=kind, language=draft.language, body=draft.body, in_reply_to=previous.uri
            )
        if i >= POSTS_PER_ORGANISATION - 2:
            draft = Draft(
                kind=draft.kind,
                language=draft.language,
                title=draft.title,
                body=draft.body,
                details=draft.details,
                publish_at=now + timedelta(days=3 + i),
            )
        post = await create_post(svc, actor, draft)
        count += 1
        if kind == PostKind.article and i % 3 == 0:
            other = LANGUAGES[(LANGUAGES.index(actor.language) + 4) % len(LANGUAGES)]
            translated = _draft(PostKind.article, other, n, rng)
            await create_post(
                svc,
                actor,
                Draft(
                    kind=PostKind.article,
                    language=other,
                    title=translated.title,
                    body=translated.body,
                    translation_of=post.public_id,
                ),
            )
            count += 1
        if kind == PostKind.note:
            previous = post
    return count


async def _spread_over_time(svc: Services) -> None:
    """Posts made in one run all carry its time: spread them over two years, newest last."""
    now = svc.clock.now()
    async with svc.db.batch() as session:  # one transaction, its statements run inline
        ids = list(
            await session.scalars(
                select(Post.id).where(Post.published_at.is_not(None)).order_by(Post.id.desc())
            )
        )
        for rank, post_id in enumerate(ids):
            moment = now - timedelta(minutes=200 * rank + rank % 7)
            await session.execute(
                update(Post).where(Post.id == post_id).values(published_at=moment)
            )


def _remote_actor_document(server: str, username: str) -> dict[str, Any]:
    uri = f"https://{server}/users/{username}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": uri,
        "type": ["Organization", "Person"][len(username) % 2],
        "preferredUsername": username,
        "name": f"{username.replace('_', ' ').title()} (demo)",
        "summary": "<p>A member that publishes on its own server.</p>",
        "url": f"https://{server}/@{username}",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "endpoints": {"sharedInbox": f"https://{server}/inbox"},
    }


def remote_post_documents(author: str, count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Posts in the shapes Mastodon, Misskey, Akkoma, GoToSocial, Lemmy and PeerTube send."""
    host = author.split("/")[2]
    previous: str | None = None
    for n in range(count):
        language = LANGUAGES[n % len(LANGUAGES)]
        uri = f"https://{host}/objects/{n:05d}"
        text = f"<p>{PHRASES[language][n % 4]} ({n}) #{TAGS[language]}</p>"
        shape = n % 10
        doc: dict[str, Any] = {
            "id": uri,
            "type": "Note",
            "attributedTo": author,
            "to": [PUBLIC],
            "cc": [f"{author}/followers"],
            "published": f"2026-{1 + n % 11:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            "url": f"https://{host}/@m/{n}",
            "content": text,
            "contentMap": {language: text},
            "tag": [{"type": "Hashtag", "name": f"#{TAGS[language]}", "href": f"https://{host}/t"}],
        }
        if shape == 0:  # a content warning, per-attachment sensitivity, alt text, blurhash
            doc.update(sensitive=True, summary=PHRASES[language][2])
            doc["attachment"] = [
                {
                    "type": "Document",
                    "mediaType": "image/jpeg",
                    "url": f"https://{host}/media/{n}.jpg",
                    "name": f"{PHRASES[language][1]} (alt)",
                    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                    "width": 1200,
                    "height": 800,
                    "sensitive": True,
                }
            ]
        elif shape == 1:  # Misskey: as:Public, a url list, the media type inside a Link
            doc["to"] = ["as:Public"]
            doc["url"] = [
                {"type": "Link", "mediaType": "text/html", "href": f"https://{host}/n/{n}"}
            ]
            link = {"type": "Link", "href": f"https://{host}/f/{n}.webp", "mediaType": "image/webp"}
            doc["attachment"] = {"type": "Image", "url": link}
        elif shape == 2:  # Lemmy: a Page with a title, a hashtag with white space
            doc.update(type="Page", name=f"{PHRASES[language][0]} — {n}")
            doc["tag"] = [{"type": "Hashtag", "name": "#with white space"}]
        elif shape == 3:  # a long Article with headings, lists and quotes
            body = "".join(
                f"<h2>{PHRASES[language][i % 4]}</h2><p>{PHRASES[language][(i + 1) % 4]}</p>"
                f"<ul><li>{i}</li><li>{n}</li></ul><blockquote>{PHRASES[language][3]}</blockquote>"
                for i in range(8)
            )
            doc.update(type="Article", name=f"{PHRASES[language][1]} {n}", content=body)
            doc["contentMap"] = {language: body}
        elif shape == 4 and previous is not None:  # a reply in the member's own thread
            doc["inReplyTo"] = previous
        elif shape == 5:  # only contentMap, a type list, a bare href attachment
            doc.pop("content")
            doc["type"] = ["Note", "Article"]
            doc["attachment"] = [{"type": "Link", "href": f"https://{host}/a/{n}.pdf"}]
        elif shape == 6:  # a poll
            doc["type"] = "Question"
            doc["oneOf"] = [
                {"type": "Note", "name": PHRASES[language][i], "replies": {"totalItems": i * 3}}
                for i in range(3)
            ]
        elif shape == 7:  # PeerTube: a Video whose url list offers the page and the file
            doc.update(type="Video", name=f"{PHRASES[language][2]} {n}")
            doc["url"] = [
                {"type": "Link", "mediaType": "video/mp4", "href": f"https://{host}/v/{n}.mp4"},
                {"type": "Link", "mediaType": "text/html", "href": f"https://{host}/w/{n}"},
            ]
        elif shape == 8:  # no language at all, a quote of another post
            doc.pop("contentMap")
            doc["quoteUrl"] = f"https://{host}/objects/{max(0, n - 1):05d}"
        elif shape == 9:  # an audio file and a plain image given as a bare URL string
            doc["attachment"] = [
                {"type": "Audio", "mediaType": "audio/ogg", "url": f"https://{host}/s/{n}.ogg"},
                f"https://{host}/i/{n}.png",
            ]
        if rng.random() < 0.1:
            doc["cc"] = [f"{author}/followers", PUBLIC]
        previous = uri
        yield doc


async def _remote_members(svc: Services, rng: random.Random) -> int:
    async with svc.db.reader() as session:
        network = await get_local(session, "solidarity")
    stored = 0
    per_member = REMOTE_POSTS // REMOTE_MEMBERS
    for m in range(REMOTE_MEMBERS):
        server = f"union{m + 1}.social.example"
        document = _remote_actor_document(server, f"workers_council_{m + 1}")
        async with svc.db.transaction() as session:
            author = await store_remote_actor(session, svc, parse_actor(document), document)
            session.add(
                Member(
                    network_id=network.id,
                    actor_id=author.id,
                    country=COUNTRIES[m],
                    sector=SECTORS[m],
                    languages=[],
                    kinds=[],
                    trust=Trust.auto if m % 2 == 0 else Trust.review,
                    since=svc.clock.now().date(),
                    note="",
                    created_at=svc.clock.now(),
                )
            )
            session.add(
                Follow(
                    follower_id=network.id,
                    followed_id=author.id,
                    state=FollowState.accepted,
                    created_at=svc.clock.now(),
                    accepted_at=svc.clock.now(),
                )
            )
        async with svc.db.batch():  # (see `_local_posts`)
            for doc in remote_post_documents(author.uri, per_member, rng):
                data = parse_object(doc)
                async with svc.db.transaction() as session:
                    await keep_object(session, svc, data, author)
                    create = {"type": "Create", "actor": author.uri, "object": doc}
                    await booster.consider(session, svc, member_post(data, author, "inbox", create))
                stored += 1
    return stored


async def _followers(svc: Services, organisations: list[Actor]) -> int:
    """Thousands of followers on many servers (Follow rows, as accepted follows leave them)."""
    async with svc.db.reader() as session:
        network = await get_local(session, "solidarity")
    now = svc.clock.now()
    made = 0
    async with svc.db.batch() as session:  # one transaction, its statements run inline
        for n in range(NETWORK_FOLLOWERS):
            server = f"peer{n % FOLLOWER_SERVERS:02d}.example"
            document = _remote_actor_document(server, f"reader_{n:05d}")
            follower = await store_remote_actor(session, svc, parse_actor(document), document)
            targets = [network] + [
                o for k, o in enumerate(organisations) if n < ORGANISATION_FOLLOWERS * (k % 3 + 1)
            ]
            for target in targets:
                session.add(
                    Follow(
                        follower_id=follower.id,
                        followed_id=target.id,
                        state=FollowState.accepted,
                        activity_uri=f"https://{server}/follows/{n}/{target.username}",
                        created_at=now,
                        accepted_at=now,
                    )
                )
                made += 1
    return made


async def seed_large_and_report(svc: Services) -> int:
    created = await seed_large(svc)
    password = await demo.demo_admin(svc)
    print("large demo network: " + (", ".join(created) + " created" if created else "in place"))
    if password:
        print(f"editors' desk: {svc.settings.base_url}/desk  name: admin  password: {password}")
    return 0
