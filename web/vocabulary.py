"""Interface words chosen at run time (states, kinds, roles, messages), marked here so that
`make messages` finds them; templates and views translate them with the reader's catalog."""

from __future__ import annotations


def _(text: str) -> str:
    return text


RUNTIME_WORDS = (
    # the notice on every page of a mirror (hambastegi/mirror.py)
    _("A copy of %(original)s (if it is blocked where you are, this copy is the same site)."),
    # subscription errors (mail/subscriptions.py), shown on the form
    _("Give an email address such as name@example.org."),
    _("Choose at least one language."),
    # what a Mastodon app may do (the consent page, web/desk/oauth.py)
    _("read the organisation's posts, notifications and followers"),
    _("publish, edit and delete posts as the organisation, and upload images"),
    _("follow and unfollow accounts, and answer follow requests"),
    _("receive push notifications"),
    _("see the organisation's profile"),
    # post states and visibility
    _("published"),
    _("scheduled"),
    _("deleted"),
    _("public"),
    _("unlisted"),
    _("followers"),
    # follows, curation, deliveries, trust, moderation
    _("pending"),
    _("accepted"),
    _("rejected"),
    _("boosted"),
    _("withdrawn"),
    _("delivered"),
    _("failed"),
    _("skipped"),
    _("auto"),
    _("review"),
    _("block"),
    _("allow"),
    # kinds
    _("News"),
    _("Strike report"),
    _("Bulletin"),
    _("Event"),
    _("Campaign for an imprisoned worker"),
    _("Reply"),
    _("Page"),
    _("Poll"),
    _("Video"),
    _("Audio"),
    _("Image"),
    _("Document"),
    _("File"),
    # page titles and messages
    _("Bulletins"),
    _("Not found"),
    _("Not allowed"),
    _("Expired form"),
    _("Too large"),
    _("There is nothing at this address."),
    _("No organisation by that name publishes here."),
    _("This server hosts no network to join."),
    _("This form expired. Go back, reload and try again."),
    _("The form is larger than 20 MB."),
    _("You may not do this."),
    _("wrong name, password or code"),
    _("too many failed attempts: try again in a few minutes"),
    _("Too many applications"),
    _("Too many applications were sent from here. Please wait a few minutes and send it again."),
)
