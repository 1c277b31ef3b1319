"""What the client API keeps beyond posts: uploaded media waiting for a status, the
Idempotency-Key of each status a client posted, and read markers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime


class ApiMedia(Base):
    """An image uploaded through `POST /api/v2/media`: cleaned of metadata and stored at once;
    attached when a status names it (`post_id`)."""

    __tablename__ = "api_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiIdempotency(Base):
    """A status posted with an `Idempotency-Key`: the same key from the same token within an
    hour gets the same status back instead of a second post."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("oauth_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    post_public_id: Mapped[str] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiMarker(Base):
    """Where an organisation's readers stopped in a timeline (`/api/v1/markers`)."""

    __tablename__ = "api_markers"
    __table_args__ = (UniqueConstraint("actor_id", "timeline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    timeline: Mapped[str] = mapped_column(String(20))
    last_read_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
