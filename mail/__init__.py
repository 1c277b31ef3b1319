"""Bulletins by email, in each reader's language: subscriptions with double opt-in, and a
durable sending queue to one SMTP relay."""
