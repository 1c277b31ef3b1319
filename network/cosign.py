"""Co-signing from this server a statement published elsewhere: our organisation answers the
`Invite` it received with an `Accept` (its signature there), and can withdraw it (`Undo`)."""

from __future__ import annotations

from sqlalchemy import select

from actors.models import Actor, ActorKind, delivery_inbox
from federation.vocab import PUBLIC
from inbox.models import Invitation
from network.members import list_members
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.models import OutboxActivity
from runtime.services import Services


async def sign_invitation(svc: Services, invitation_id: int) -> Invitation:
    async with svc.db.transaction() as session:
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None:
            raise PostError("no such invitation")
        if invitation.accept_uri:
            raise PostError("signed already")
        signer = await session.get(Actor, invitation.actor_id)
        inviter = await session.get(Actor, invitation.inviter_id)
        if signer is None or inviter is None:
            raise PostError("the statement's publisher or our organisation is gone")
        inbox = delivery_inbox(inviter.shared_inbox_uri, inviter.inbox_uri)
        if not inbox:
            raise PostError(f"{inviter.uri} has no inbox")
        accept = {
            "id": new_activity_uri(svc.uris),
            "type": "Accept",
            "actor": signer.uri,
            "object": {k: v for k, v in invitation.invite.items() if k != "@context"},
            "to": [inviter.uri, PUBLIC],
        }
        await enqueue(session, svc, signer, accept, [inbox], about=invitation.statement_uri)
        invitation.accept_uri = str(accept["id"])
        return invitation


async def withdraw_invitation(svc: Services, invitation_id: int) -> Invitation:
    async with svc.db.transaction() as session:
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None or not invitation.accept_uri:
            raise PostError("not signed")
        signer = await session.get(Actor, invitation.actor_id)
        inviter = await session.get(Actor, invitation.inviter_id)
        sent = await session.scalar(
            select(OutboxActivity).where(OutboxActivity.uri == invitation.accept_uri)
        )
        if signer is None or inviter is None or sent is None:
            raise PostError("the signature cannot be found")
        undo = {
            "id": new_activity_uri(svc.uris),
            "type": "Undo",
            "actor": signer.uri,
            "object": {k: v for k, v in sent.document.items() if k != "@context"},
            "to": [inviter.uri, PUBLIC],
        }
        inbox = delivery_inbox(inviter.shared_inbox_uri, inviter.inbox_uri) or ""
        await enqueue(session, svc, signer, undo, [inbox], about=invitation.statement_uri)
        invitation.accept_uri = None
        return invitation


async def network_members(svc: Services, network_id: int) -> list[Actor]:
    """Whom a statement of the network invites: its members, wherever they publish."""
    async with svc.db.reader() as session:
        network = await session.get(Actor, network_id)
        if network is None:
            return []
        return [actor for _member, actor in await list_members(session, network)]


async def all_network_members(svc: Services) -> list[Actor]:
    """Whom a statement opened here invites: the members of every network on this server,
    each once."""
    async with svc.db.reader() as session:
        networks = list(await session.scalars(select(Actor).where(Actor.kind == ActorKind.network)))
    invitees: dict[int, Actor] = {}
    for network in networks:
        for member in await network_members(svc, network.id):
            invitees[member.id] = member
    return list(invitees.values())
