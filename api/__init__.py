"""Mastodon's client API, so editors post as their organisation from any Mastodon app."""
