"""Post use-cases: publish (now or at `publish_at`), edit (Update, history kept), delete (Delete to
everyone who received it; the URL then answers 410), pin and unpin (Add/Remove to `featured`).

Every change writes its activity and delivery rows in the same transaction as the post itself.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, ActorKind, delivery_inbox
from content.hashtags import normalise_tag
from content.html import html_to_text
from content.images import ImageRejected, clean_image
from content.mediastore import MediaStore
from core.ids import new_id
from federation.documents import is_http_uri
from outbox.addressing import is_listed
from outbox.compose import Composed, Draft, KeptImage, PostError, compose
from outbox.enqueue import enqueue, new_activity_uri
from outbox.follows import follower_inboxes
from outbox.kinds import PostKind
from outbox.models import Attachment, Post, PostRevision, PostState, PostTag, Visibility
from outbox.participation import participant_inboxes
from outbox.queries import find_post, previous_recipients, related_of
from outbox.render import render_object, render_tombstone, wrap
from runtime.services import Services
from storage.search import index_post, remove_post

SCHEDULER_BATCH = 50


async def create_post(svc: Services, author: Actor, draft: Draft) -> Post:
    """Publish now, or schedule for `draft.publish_at` (invisible and unfederated until then)."""
    if author.kind not in (ActorKind.organization, ActorKind.network) or author.deleted_at:
        raise PostError(f"{author.handle} cannot publish")
    if author.moved_to_uri:
        raise PostError(f"{author.handle} has moved to {author.moved_to_uri}: publish there")
    composed = await compose(svc, draft)
    files = _store_images(svc, draft)
    now = svc.clock.now()
    async with svc.db.transaction() as session:
        reply_to = await _reply_target(session, svc, draft.in_reply_to, author)
        original = await _translation_target(session, author, draft)
        public_id = new_id()
        post = Post(
            public_id=public_id,
            uri=svc.uris.object(public_id),
            actor_id=author.id,
            kind=draft.kind,
            visibility=draft.visibility,
            language=draft.language.strip(),
            in_reply_to_uri=reply_to,
            translation_of_id=original.id if original else None,
            created_at=now,
        )
        _apply(post, composed)
        scheduled = draft.publish_at is not None and draft.publish_at > now
        post.state = PostState.scheduled if scheduled else PostState.published
        post.publish_at = draft.publish_at if scheduled else None
        session.add(post)
        await session.flush()
        await _attach(session, post.id, files)
        await _retag(session, post)
        if not scheduled:
            await go_live(session, svc, post)
    return post


async def go_live(session: AsyncSession, svc: Services, post: Post) -> None:
    """Publish a post row now: Create to followers and mentioned actors."""
    now = svc.clock.now()
    post.state = PostState.published
    post.published_at = now
    post.publish_at = None
    related = await related_of(session, post)
    obj = render_object(post, related, svc.uris)
    activity = wrap(
        "Create",
        related.author,
        obj,
        activity_uri=new_activity_uri(svc.uris),
        published=obj["published"],
    )
    inboxes = await _audience_inboxes(session, post, related.author)
    await enqueue(
        session, svc, related.author, activity, inboxes, listed=is_listed(post.visibility)
    )
    await svc.hooks.run(svc.hooks.post_published, session, svc, post.id)


async def edit_post(svc: Services, post_ref: str, draft: Draft) -> Post:
    """Replace a post's text and fields; the previous version is kept; followers get Update."""
    composed = await compose(svc, draft)
    files = _store_images(svc, draft)
    now = svc.clock.now()
    async with svc.db.transaction() as session:
        post = await _live_post(session, svc, post_ref)
        if draft.kind != post.kind:
            raise PostError(f"a {post.kind} cannot become a {draft.kind}")
        session.add(
            PostRevision(
                post_id=post.id,
                title=post.title,
                summary=post.summary,
                source=post.source,
                content_html=post.content_html,
                details=post.details,
                valid_from=post.updated_at or post.published_at or post.created_at,
                valid_until=now,
            )
        )
        _apply(post, composed)
        await _retag(session, post)
        if files:
            await session.execute(
                update(Attachment)
                .where(Attachment.post_id == post.id)
                .values(position=Attachment.position + 100)
            )
            await _attach(session, post.id, files)
        if post.state == PostState.scheduled:
            if draft.publish_at is not None:
                post.publish_at = draft.publish_at
            await session.flush()
            return post
        post.updated_at = now
        await session.flush()
        related = await related_of(session, post)
        obj = render_object(post, related, svc.uris)
        activity = wrap(
            "Update",
            related.author,
            obj,
            activity_uri=new_activity_uri(svc.uris),
            published=obj["updated"],
        )
        inboxes = set(await _audience_inboxes(session, post, related.author))
        inboxes |= await previous_recipients(session, post.uri)
        await enqueue(session, svc, related.author, activity, inboxes)
        await svc.hooks.run(svc.hooks.post_updated, session, svc, post.id)
    return post


async def delete_post(svc: Services, post_ref: str) -> Post:
    """Delete to everyone who received the post; its URL answers 410 with a Tombstone."""
    async with svc.db.transaction() as session:
        post = await _live_post(session, svc, post_ref)
        was_published = post.state == PostState.published
        post.state = PostState.deleted
        post.deleted_at = svc.clock.now()
        post.pinned_at = None
        await remove_post(session, post.id)
        await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
        if was_published:
            author = await session.get(Actor, post.actor_id)
            if author is None:
                raise PostError("the post's actor is gone")
            tombstone = render_tombstone(post)
            activity = {
                "id": new_activity_uri(svc.uris),
                "type": "Delete",
                "actor": author.uri,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {k: v for k, v in tombstone.items() if k != "@context"},
            }
            inboxes = set(await _audience_inboxes(session, post, author))
            inboxes |= await previous_recipients(session, post.uri)
            await enqueue(session, svc, author, activity, inboxes)
            await svc.hooks.run(svc.hooks.post_deleted, session, svc, post.id)
    return post


async def set_pinned(svc: Services, post_ref: str, *, pinned: bool) -> Post:
    """Feature a post on its actor's profile (Add to `featured`), or stop (Remove)."""
    async with svc.db.transaction() as session:
        post = await _live_post(session, svc, post_ref)
        if post.state != PostState.published or post.visibility != Visibility.public:
            raise PostError("only published public posts can be pinned")
        if (post.pinned_at is not None) == pinned:
            raise PostError("the post is already pinned" if pinned else "the post is not pinned")
        author = await session.get(Actor, post.actor_id)
        if author is None:
            raise PostError("the post's actor is gone")
        post.pinned_at = svc.clock.now() if pinned else None
        activity = {
            "type": "Add" if pinned else "Remove",
            "actor": author.uri,
            "object": post.uri,
            "target": author.featured_uri,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [author.followers_uri],
        }
        await enqueue(session, svc, author, activity, await follower_inboxes(session, author))
    return post


async def publish_due(svc: Services) -> int:
    """Publish every scheduled post whose time has come (the scheduler worker's step)."""
    now = svc.clock.now()
    async with svc.db.reader() as session:
        due = list(
            await session.scalars(
                select(Post.id)
                .where(Post.state == PostState.scheduled, Post.publish_at <= now)
                .order_by(Post.publish_at)
                .limit(SCHEDULER_BATCH)
            )
        )
    published = 0
    for post_id in due:
        async with svc.db.transaction() as session:
            query = select(Post).where(Post.id == post_id, Post.state == PostState.scheduled)
            if not svc.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            post = await session.scalar(query)
            if post is not None:
                await go_live(session, svc, post)
                published += 1
    return published


# -- helpers ------------------------------------------------------------------------------------


async def _retag(session: AsyncSession, post: Post) -> None:
    """Keep the tag rows and the search index in step with the post."""
    await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    for tag in {normalise_tag(t) for t in post.hashtags}:
        session.add(PostTag(post_id=post.id, tag=tag))
    await session.flush()
    await index_post(
        session, post.id, " ".join([post.title, post.summary, html_to_text(post.content_html)])
    )


def _apply(post: Post, composed: Composed) -> None:
    post.title = composed.title
    post.summary = composed.summary
    post.sensitive = composed.sensitive
    post.source = composed.source
    post.content_html = composed.content_html
    post.body_html = composed.body_html
    post.details = composed.details
    post.hashtags = composed.hashtags
    post.mentions = composed.mentions


async def _attach(session: AsyncSession, post_id: int, files: list[KeptImage]) -> None:
    for position, image in enumerate(files):
        session.add(
            Attachment(
                post_id=post_id,
                file_name=image.file_name,
                media_type=image.media_type,
                width=image.width,
                height=image.height,
                alt_text=image.alt,
                position=position,
            )
        )
    await session.flush()


def store_image(svc: Services, data: bytes, alt: str) -> KeptImage:
    """Clean an upload (metadata removed, size checked) and store it under our media path."""
    try:
        image = clean_image(data)
    except ImageRejected as exc:
        raise PostError(str(exc)) from exc
    name = MediaStore(svc.settings.media_dir).save(image.data, image.extension)
    return KeptImage(name, image.media_type, image.width, image.height, alt.strip()[:1500])


def _store_images(svc: Services, draft: Draft) -> list[KeptImage]:
    if len(draft.images) > 4:
        raise PostError("a post may carry at most 4 images")
    store = MediaStore(svc.settings.media_dir)
    stored: list[KeptImage] = []
    for upload in draft.images:
        if not upload.alt.strip():
            raise PostError(
                "every image needs alt text (a description for people who cannot see it)"
            )
        if isinstance(upload, KeptImage):
            if store.path_of(upload.file_name) is None:
                raise PostError("an image of this draft is missing from storage: upload it again")
            stored.append(upload)
        else:
            stored.append(store_image(svc, upload.data, upload.alt))
    return stored


async def _audience_inboxes(session: AsyncSession, post: Post, author: Actor) -> list[str]:
    inboxes = set(await follower_inboxes(session, author))
    mentioned = [m["uri"] for m in post.mentions]
    if mentioned:
        rows = await session.execute(
            select(Actor.shared_inbox_uri, Actor.inbox_uri).where(Actor.uri.in_(mentioned))
        )
        inboxes |= {target for shared, inbox in rows if (target := delivery_inbox(shared, inbox))}
    if post.kind == PostKind.event:  # participants hear of changes, followers or not
        inboxes |= set(await participant_inboxes(session, post.id))
    return sorted(inboxes)


async def _live_post(session: AsyncSession, svc: Services, post_ref: str) -> Post:
    post = await find_post(session, svc.uris, post_ref)
    if post is None or post.state == PostState.deleted:
        raise PostError(f"no post {post_ref!r} (or it was deleted)")
    return post


async def same_organisation(session: AsyncSession, a: int, b: int) -> bool:
    """One organisation, or one of its language editions (or two editions of one)."""
    if a == b:
        return True
    first, second = await session.get(Actor, a), await session.get(Actor, b)
    if first is None or second is None:
        return False
    roots = {first.edition_of_id or first.id, second.edition_of_id or second.id}
    return len(roots) == 1


def is_open(post: Post) -> bool:
    """Published, and for anyone to read (public or unlisted)."""
    return post.state == PostState.published and post.visibility in (
        Visibility.public,
        Visibility.unlisted,
    )


async def may_see(session: AsyncSession, author: Actor, post: Post) -> bool:
    """What an organisation's editors may see of another post of this server: their own
    organisation's (any state but deleted), and anyone's open posts."""
    if post.state == PostState.deleted:
        return False
    return is_open(post) or await same_organisation(session, author.id, post.actor_id)


async def _reply_target(
    session: AsyncSession, svc: Services, ref: str | None, author: Actor
) -> str | None:
    if not ref:
        return None
    ours = await find_post(session, svc.uris, ref)
    if ours is not None:
        if not await may_see(session, author, ours):
            raise PostError(f"no post {ref!r} to reply to")
        if ours.state != PostState.published:
            raise PostError("cannot reply to a post that is not published")
        return ours.uri
    if not is_http_uri(ref):
        raise PostError(f"reply-to must be one of our posts or an http(s) URI, got {ref!r}")
    return ref


async def _translation_target(session: AsyncSession, author: Actor, draft: Draft) -> Post | None:
    if not draft.translation_of:
        return None
    original = await find_post(session, None, draft.translation_of)
    if original is None or original.state == PostState.deleted:
        raise PostError(f"no post {draft.translation_of!r} to translate")
    if not await same_organisation(session, author.id, original.actor_id):
        # A translation joins the original's page and takes its language slot: only the
        # organisation that published it (or its language editions) may add one. Another
        # organisation's post is "not found", whether or not it is public.
        raise PostError(f"no post {draft.translation_of!r} to translate")
    if original.translation_of_id is not None:
        root = await session.get(Post, original.translation_of_id)
        original = root or original
    if original.language.split("-")[0] == draft.language.strip().split("-")[0]:
        raise PostError(f"{original.public_id} is already in {original.language}")
    siblings = await session.scalars(
        select(Post.language).where(Post.translation_of_id == original.id)
    )
    if draft.language.strip() in set(siblings):
        raise PostError(f"{original.public_id} already has a {draft.language} translation")
    return original
