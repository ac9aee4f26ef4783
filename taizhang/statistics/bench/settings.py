"""Production settings with persistent database connections, for the benchmark's
second server run: the shipped ``config.settings.prod`` opens a connection per request
(``CONN_MAX_AGE`` 0), which dominates a PostgreSQL request."""

from config.settings.prod import *  # noqa: F403
from config.settings.prod import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
