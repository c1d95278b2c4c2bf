"""The app as a real multi-process server sees it (gunicorn, in the concurrency tests)."""

import os

from portal import create_app

overrides = {"SQLALCHEMY_DATABASE_URI": os.environ["PORTAL_LIVE_DATABASE_URL"]}
if os.environ.get("PORTAL_LIVE_REDIS_URL"):
    overrides.update(
        RATELIMIT_STORAGE_URI=os.environ["PORTAL_LIVE_REDIS_URL"],
        RATELIMIT_KEY_PREFIX=os.environ.get("PORTAL_LIVE_KEY_PREFIX", "portal-test"),
    )
else:
    overrides["RATELIMIT_ENABLED"] = False
app = create_app("testing", overrides)
