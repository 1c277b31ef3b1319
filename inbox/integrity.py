"""Incoming Object Integrity Proofs (FEP-8b32): an activity that carries an `eddsa-jcs-2022`
proof must verify with the key its `verificationMethod` names, a `Multikey` in its
controller's `assertionMethod`. A proof that does not verify is refused; a proof whose key
cannot be found is set aside (the HTTP signature already vouched for the sender)."""

from __future__ import annotations

import logging
from typing import Any

from actors.resolver import ResolveError, resolve_actor
from federation.proofs import ProofError, load_multibase, proof_of, verify
from federation.vocab import as_list
from inbox.context import Ignored, InboxContext

log = logging.getLogger(__name__)


def _multikey(document: dict[str, Any] | None, method: str) -> str | None:
    for item in as_list((document or {}).get("assertionMethod")):
        if isinstance(item, dict) and item.get("id") == method and item.get("type") == "Multikey":
            value = item.get("publicKeyMultibase")
            return value if isinstance(value, str) else None
    return None


async def check_integrity(ctx: InboxContext, document: dict[str, Any]) -> None:
    proof = proof_of(document)
    if proof is None:
        return
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or "#" not in method:
        return  # a key we would have to look up elsewhere: the HTTP signature stands
    controller = method.split("#", 1)[0]
    actor = await ctx.actor(controller)
    encoded = _multikey(actor.document, method)
    if encoded is None:  # a key added since we last read the actor
        try:
            actor = await resolve_actor(ctx.svc, controller, refresh=True)
        except ResolveError:
            return
        encoded = _multikey(actor.document, method)
    if encoded is None:
        log.info("integrity proof key not found method=%s", method)
        return
    try:
        verify(document, load_multibase(encoded))
    except ProofError as exc:
        raise Ignored(f"the integrity proof does not verify: {exc}") from exc
