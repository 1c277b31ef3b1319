"""OutboxActivity (what we sent, as sent) and Delivery (one row per activity and inbox)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from outbox.kinds import PostKind
from storage.base import Base, EnumText, JsonType, UTCDateTime


class DeliveryState(StrEnum):
    pending = "pending"  # due at next_attempt_at
    delivered = "delivered"
    failed = "failed"  # gave up: permanent refusal, or out of attempts
    skipped = "skipped"  # the server was unavailable or blocked when we queued it


class OutboxActivity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    object_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    is_listed: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # shown in the outbox collection
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    inbox_uri: Mapped[str] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[DeliveryState] = mapped_column(EnumText(DeliveryState, 20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A farewell to a server we just blocked (Reject/Undo of follows): sent despite the block.
    despite_policy: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_uri", name="uq_deliveries_activity_inbox"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )


class PostState(StrEnum):
    scheduled = "scheduled"  # waits for publish_at; invisible and unfederated until then
    published = "published"
    deleted = "deleted"  # its URL answers 410 with a Tombstone


class Visibility(StrEnum):
    public = "public"
    unlisted = "unlisted"
    followers = "followers"


class Post(Base):
    """Something one of our organisations publishes (never naming the editor who wrote it)."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(26), unique=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PostKind] = mapped_column(EnumText(PostKind, 20), index=True)
    state: Mapped[PostState] = mapped_column(EnumText(PostState, 20), index=True)
    visibility: Mapped[Visibility] = mapped_column(EnumText(Visibility, 20))
    language: Mapped[str] = mapped_column(String(35), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # CW of a note; teaser of an article
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    content_html: Mapped[str] = mapped_column(Text, default="")  # sanitised, fields included
    body_html: Mapped[str] = mapped_column(
        Text, default=""
    )  # the written text alone (for our pages)
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    hashtags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    mentions: Mapped[list[dict[str, str]]] = mapped_column(JsonType, default=list)
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    translation_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostRevision(Base):
    """The post as it was before an edit (edit history)."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    """An image attached to a post, stored without metadata under our media path."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class InteractionKind(StrEnum):
    like = "like"
    announce = "announce"


class Interaction(Base):
    """A Like or an Announce of one of our posts by someone (counted as `likes` and `shares`)."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[InteractionKind] = mapped_column(EnumText(InteractionKind, 20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    activity_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("kind", "actor_id", "post_id", name="uq_interactions_kind_actor_post"),
    )


class PostTag(Base):
    """A post's hashtags, normalised, for tag pages and feeds."""

    __tablename__ = "post_tags"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class SavedDraft(Base):
    """What an editor is writing, kept between Preview, Save and the autosave: the form's fields
    as typed, and images already cleaned of metadata and stored (pending until published)."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(26), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PostKind] = mapped_column(EnumText(PostKind, 20))
    fields: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EventReminder(Base):
    """A reminder sent for one occurrence of an event (a reply in its thread): one per
    occurrence, however often the scheduler looks."""

    __tablename__ = "event_reminders"
    __table_args__ = (UniqueConstraint("post_id", "occurrence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ParticipantState(StrEnum):
    accepted = "accepted"  # attends (an Accept went back)
    pending = "pending"  # the event needs approval: an editor decides
    waiting = "waiting"  # the event is full: on the waiting list, in order


class EventParticipant(Base):
    """Someone who said they will attend one of our events (a `Join`, as Mobilizon and Gancio
    send it). Who attends is shown to the organisation's editors; to the public only the counts,
    unless the event says otherwise."""

    __tablename__ = "event_participants"
    __table_args__ = (UniqueConstraint("post_id", "actor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    state: Mapped[ParticipantState] = mapped_column(EnumText(ParticipantState, 20))
    join_activity: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Statement(Base):
    """A post its publisher opened for co-signing: a statement of the network (or of one
    organisation) that member organisations endorse. Its signatories are `Signature`s."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Signature(Base):
    """An organisation that co-signs a statement: one of ours (signed in the desk), or one
    elsewhere whose `Accept` of our `Invite` came in (`activity_uri`)."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("post_id", "actor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    activity_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttendanceState(StrEnum):
    pending = "pending"  # our Join went out; no answer yet (or the event needs approval)
    accepted = "accepted"  # the event's server accepted it: we attend
    rejected = "rejected"  # the event's server said no


class Attendance(Base):
    """One of our organisations attends an event elsewhere (on Mobilizon, Gancio or another
    Hambastegi): the `Join` we sent, and the answer that came back. A `Leave` removes the row."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("actor_id", "event_uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    event_uri: Mapped[str] = mapped_column(String(2048))
    join_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    organiser_uri: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[AttendanceState] = mapped_column(EnumText(AttendanceState, 20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
