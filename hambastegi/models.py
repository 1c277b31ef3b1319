"""Every table, imported in one place so migrations and `create_all` see the whole schema."""

from accounts import models as accounts_models
from actors import models as actors_models
from api import models as api_models
from inbox import models as inbox_models
from mail import models as mail_models
from network import models as network_models
from outbox import models as outbox_models
from storage import meta
from storage.base import Base

metadata = Base.metadata
__all__ = [
    "accounts_models",
    "actors_models",
    "api_models",
    "inbox_models",
    "mail_models",
    "meta",
    "metadata",
    "network_models",
    "outbox_models",
]
