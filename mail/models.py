"""Subscriber (an address and its languages, nothing more) and MailMessage (one email to send:
a confirmation, or one edition of a bulletin), a leased queue like federation's deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EnumText, JsonType, UTCDateTime


class Subscriber(Base):
    """Someone who asked for an organisation's (or the network's) bulletins by email. Only the
    address and the languages are kept; the row goes when they unsubscribe."""

    __tablename__ = "mail_subscribers"
    __table_args__ = (UniqueConstraint("actor_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    languages: Mapped[list[str]] = mapped_column(JsonType, default=list)
    # Languages asked for again by an already confirmed address, applied on confirmation.
    pending_languages: Mapped[list[str]] = mapped_column(JsonType, default=list)
    nonce: Mapped[str] = mapped_column(String(32))  # makes its links; changed to void them
    bounces: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailKind(StrEnum):
    confirm = "confirm"
    bulletin = "bulletin"


class MailState(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # refused for good (5xx), or out of attempts


class MailMessage(Base):
    __tablename__ = "mail_messages"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "bulletin_id"),  # one edition per bulletin, once
        Index("ix_mail_messages_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("mail_subscribers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MailKind] = mapped_column(EnumText(MailKind, 20))
    # For a bulletin: the original post (any edition shares it) and the edition sent.
    bulletin_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35), default="")
    state: Mapped[MailState] = mapped_column(EnumText(MailState, 20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
