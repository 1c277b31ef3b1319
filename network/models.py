"""Member, JoinRequest, CurationItem, NetworkPolicy, and relay subscriptions (both directions)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EnumText, JsonType, UTCDateTime


class Trust(StrEnum):
    auto = "auto"  # public posts are boosted at once (when the rules pass)
    review = "review"  # a curator decides


class Member(Base):
    """An organisation in the network, wherever it publishes (here, elsewhere, on Mastodon…)."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    sector: Mapped[str] = mapped_column(String(40), index=True)
    languages: Mapped[list[str]] = mapped_column(JsonType, default=list)  # empty: any language
    kinds: Mapped[list[str]] = mapped_column(JsonType, default=list)  # empty: any kind
    trust: Mapped[Trust] = mapped_column(EnumText(Trust, 10))
    since: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("network_id", "actor_id", name="uq_members_network_actor"),)


class NetworkPolicy(Base):
    """Network-wide curation rules (one row per network actor)."""

    __tablename__ = "network_policies"

    network_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    languages: Mapped[list[str]] = mapped_column(JsonType, default=list)  # empty: any
    kinds: Mapped[list[str]] = mapped_column(JsonType, default=list)  # empty: any
    required_hashtags: Mapped[list[str]] = mapped_column(
        JsonType, default=list
    )  # empty: none needed
    held_hashtags: Mapped[list[str]] = mapped_column(JsonType, default=list)  # always go to review
    max_mentions: Mapped[int] = mapped_column(Integer, default=4)  # more: held (Guppe-style abuse)


class JoinState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class JoinRequest(Base):
    """An organisation applying to join the network."""

    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str] = mapped_column(String(300))  # how curators reach them (not published)
    account: Mapped[str | None] = mapped_column(
        String(2048)
    )  # their fediverse handle or URL, if any
    country: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(40))
    languages: Mapped[list[str]] = mapped_column(JsonType, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[JoinState] = mapped_column(EnumText(JoinState, 20), index=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CurationState(StrEnum):
    pending = "pending"  # waiting for a curator
    boosted = "boosted"
    rejected = "rejected"
    withdrawn = "withdrawn"  # the member deleted it; the boost was undone


class CurationItem(Base):
    """A member's public post that reached the network, with where it came from and why it is
    (or is not) boosted; or a post from anywhere that a curator boosted in solidarity
    (`source` "solidarity", no member)."""

    __tablename__ = "curation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    object_uri: Mapped[str] = mapped_column(String(2048), index=True)
    create_activity: Mapped[dict[str, object] | None] = mapped_column(JsonType)  # as received
    source: Mapped[str] = mapped_column(String(20))  # local | inbox | solidarity
    language: Mapped[str] = mapped_column(String(35), default="")
    kind: Mapped[str] = mapped_column(String(40), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[CurationState] = mapped_column(EnumText(CurationState, 20), index=True)
    rule: Mapped[str] = mapped_column(Text)  # why it was boosted or held
    note: Mapped[str] = mapped_column(Text, default="")  # the curator's editorial note
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))  # curator username (never federated)

    __table_args__ = (
        UniqueConstraint("network_id", "object_uri", name="uq_curation_items_network_object"),
    )


class RelayStyle(StrEnum):
    mastodon = "mastodon"  # Follow of as:Public to the relay's inbox
    litepub = "litepub"  # follow the relay actor; it follows back; publish with Announce


class SubscriptionState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class RelaySubscription(Base):
    """Our network actor subscribed to a relay elsewhere."""

    __tablename__ = "relay_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    relay_uri: Mapped[str] = mapped_column(
        String(2048)
    )  # the relay's inbox (Mastodon) or actor (LitePub)
    relay_actor_uri: Mapped[str | None] = mapped_column(String(2048))
    relay_inbox_uri: Mapped[str] = mapped_column(String(2048))
    style: Mapped[RelayStyle] = mapped_column(EnumText(RelayStyle, 20))
    state: Mapped[SubscriptionState] = mapped_column(EnumText(SubscriptionState, 20))
    follow_activity_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("network_id", "relay_uri", name="uq_relay_subscriptions_network_relay"),
    )


class RelaySubscriber(Base):
    """A server subscribed to our relay; an admin approves each one."""

    __tablename__ = "relay_subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), unique=True)
    style: Mapped[RelayStyle] = mapped_column(EnumText(RelayStyle, 20))
    state: Mapped[SubscriptionState] = mapped_column(EnumText(SubscriptionState, 20), index=True)
    follow_activity_uri: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
