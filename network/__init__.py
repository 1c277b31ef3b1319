"""The network actor: members, curation, boosts and relays."""
