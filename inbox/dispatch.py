"""The routing table, the only one: activity type → handler. Unknown types are recorded and
ignored. Layers above take part through `inbox.hooks`, never by replacing a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial

from federation.documents import Activity
from inbox.context import Ignored, InboxContext
from inbox.handlers import (
    accept,
    block,
    create,
    delete,
    flag,
    follow,
    interactions,
    invite,
    move,
    participation,
    undo,
    update,
)

Handler = Callable[[InboxContext, Activity], Awaitable[None]]


async def handle_unknown(ctx: InboxContext, activity: Activity) -> None:
    raise Ignored(f"{activity.type} activities are recorded but not acted on")


def undo_handlers() -> dict[str, undo.UndoHandler]:
    """What an Undo can take back, by the type of the undone activity."""
    return {
        "Follow": undo.undo_follow,
        "Like": interactions.undo_interaction,
        "Announce": interactions.undo_interaction,
        "Join": participation.undo_join,
        "Accept": accept.undo_accept,
    }


def routing_table() -> dict[str, Handler]:
    """Every handler this server has."""
    return {
        "Accept": accept.handle_accept,
        "Block": block.handle_block,
        "Delete": delete.handle_delete,
        "Follow": follow.handle_follow,
        "Reject": accept.handle_reject,
        "Undo": partial(undo.handle_undo, handlers=undo_handlers()),
        "Update": update.handle_update,
        "Create": create.handle_create,
        "Announce": interactions.handle_announce,
        "Like": interactions.handle_like,
        "Flag": flag.handle_flag,
        "Move": move.handle_move,
        "Join": participation.handle_join,
        "Leave": participation.handle_leave,
        "Invite": invite.handle_invite,
    }


def handler_for(table: Mapping[str, Handler], activity_type: str) -> Handler:
    return table.get(activity_type, handle_unknown)
