"""ReceivedActivity: a verified activity, stored as received before we answer 202."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EnumText, JsonType, UTCDateTime


class ReceivedState(StrEnum):
    received = "received"  # waiting for the worker
    processed = "processed"
    ignored = "ignored"  # valid but nothing for us to do (recorded, not acted on)
    failed = "failed"  # could not be processed; error says why


class ReceivedActivity(Base):
    __tablename__ = "inbox_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    actor_uri: Mapped[str] = mapped_column(String(2048), index=True)
    key_id: Mapped[str] = mapped_column(String(2048))
    recipient: Mapped[str | None] = mapped_column(String(64))  # personal inbox username
    relayed_by: Mapped[str | None] = mapped_column(String(2048))  # a relay that forwarded it
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    state: Mapped[ReceivedState] = mapped_column(EnumText(ReceivedState, 20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_inbox_activities_due", "state", "next_attempt_at"),)


class RemoteObject(Base):
    """A post from elsewhere that concerns us: a reply to one of our posts, a mention of one of
    our actors (and, for the network, a member's post). Content is sanitised before storing."""

    __tablename__ = "remote_objects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    # A reply, even when what it answers could not be named (a list, a collection).
    is_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    quote_uri: Mapped[str | None] = mapped_column(String(2048))  # the post it quotes
    # A poll's options: [{"name": …, "votes": int | None}], and whether several may be chosen.
    poll: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    poll_multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(35), default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    tags: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Report(Base):
    """A report (Flag) received from another server, for the moderators."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    object_uris: Mapped[list[str]] = mapped_column(JsonType, default=list)
    content: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # What else it names, on other servers (a post ours boosted or answered): a moderator may
    # forward the report there, from this server's instance actor.
    other_uris: Mapped[list[str]] = mapped_column(JsonType, default=list)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_to: Mapped[list[str]] = mapped_column(JsonType, default=list)  # their servers


class Invitation(Base):
    """An `Invite` to co-sign a statement elsewhere, received for one of our organisations;
    its editors sign it (an `Accept` goes back) or leave it."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("actor_id", "statement_uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    statement_uri: Mapped[str] = mapped_column(String(2048))
    invite: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    accept_uri: Mapped[str | None] = mapped_column(String(2048))  # ours, while signed
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
