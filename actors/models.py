"""Actor (ours and remote, one table) and Follow (with its state)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EnumText, JsonType, UTCDateTime


class ActorKind(StrEnum):
    """What an actor is to us; the ActivityStreams type follows from it for local actors."""

    organization = "organization"  # a member union or committee: Organization
    network = "network"  # the network actor: Group
    instance = "instance"  # the server itself, signs fetches: Application
    relay = "relay"  # our relay, when this instance serves as one: Service
    remote = "remote"  # someone elsewhere


AS_TYPE_OF_KIND = {
    ActorKind.organization: "Organization",
    ActorKind.network: "Group",
    ActorKind.instance: "Application",
    ActorKind.relay: "Service",
}


class FollowState(StrEnum):
    pending = "pending"  # requested, not yet accepted
    accepted = "accepted"
    rejected = "rejected"


def delivery_inbox(shared_inbox: str | None, inbox: str | None) -> str | None:
    """Where to deliver to an actor: its server's shared inbox when it has one (the one rule,
    also for rows selected column by column)."""
    return shared_inbox or inbox


class Actor(Base):
    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[ActorKind] = mapped_column(EnumText(ActorKind, 20))
    as_type: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str] = mapped_column(String(255), index=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    # The name and summary in other languages: {"fa": {"name": …, "summary": <HTML>}} (local
    # actors; the site shows the reader's, the actor document carries nameMap/summaryMap).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JsonType, default=dict)
    language: Mapped[str] = mapped_column(String(35), default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    inbox_uri: Mapped[str | None] = mapped_column(String(2048))
    shared_inbox_uri: Mapped[str | None] = mapped_column(String(2048))
    outbox_uri: Mapped[str | None] = mapped_column(String(2048))
    followers_uri: Mapped[str | None] = mapped_column(String(2048))
    following_uri: Mapped[str | None] = mapped_column(String(2048))
    featured_uri: Mapped[str | None] = mapped_column(String(2048))
    key_id: Mapped[str | None] = mapped_column(String(2048), index=True)
    public_key_pem: Mapped[str | None] = mapped_column(Text)
    private_key_sealed: Mapped[str | None] = mapped_column(Text)  # encrypted with the secret key
    # Our actors' Ed25519 key for Object Integrity Proofs (FEP-8b32): the public half as
    # multibase (in `assertionMethod`), the private half sealed like the RSA key.
    proof_key_public: Mapped[str | None] = mapped_column(String(100))
    proof_key_sealed: Mapped[str | None] = mapped_column(Text)
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    fields: Mapped[list[dict[str, str]]] = mapped_column(JsonType, default=list)
    also_known_as: Mapped[list[str]] = mapped_column(JsonType, default=list)
    moved_to_uri: Mapped[str | None] = mapped_column(String(2048))
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True)
    indexable: Mapped[bool] = mapped_column(Boolean, default=True)
    hide_collections: Mapped[bool] = mapped_column(Boolean, default=False)
    # For organisations at risk: counts only for its social graph, and signed fetches only for
    # its ActivityPub content (docs/security.md).
    safety_profile: Mapped[bool] = mapped_column(Boolean, default=False)
    # A language edition boosts its organisation's posts in one language (FEDERATION.md).
    edition_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    document: Mapped[dict[str, Any] | None] = mapped_column(JsonType)  # remote: as last fetched

    __table_args__ = (
        Index(
            "uq_actors_local_username",
            "username",
            unique=True,
            sqlite_where=text("kind != 'remote'"),
            postgresql_where=text("kind != 'remote'"),
        ),
    )

    @property
    def is_local(self) -> bool:
        return self.kind != ActorKind.remote

    @property
    def hides_collections(self) -> bool:
        return self.hide_collections or self.safety_profile

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}"


class Follow(Base):
    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follower_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[FollowState] = mapped_column(EnumText(FollowState, 20))
    activity_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("follower_id", "followed_id", name="uq_follows_pair"),)


class DomainPolicyKind(StrEnum):
    block = "block"  # refuse everything from it, fetch nothing from it, deliver nothing to it
    allow = "allow"  # in allowlist mode, only allowed domains federate


class DomainPolicy(Base):
    """A moderation decision about a whole server (and its subdomains)."""

    __tablename__ = "domain_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255))
    policy: Mapped[DomainPolicyKind] = mapped_column(EnumText(DomainPolicyKind, 10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("domain", "policy", name="uq_domain_policies_domain_policy"),
    )


class InstanceHealth(Base):
    """Delivery health of a remote server, as Mastodon tracks it: failures on distinct days."""

    __tablename__ = "instance_health"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    failure_days: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_day: Mapped[str | None] = mapped_column(String(10))  # ISO date
    unavailable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    software: Mapped[str | None] = mapped_column(String(100))  # NodeInfo software.name
    software_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
