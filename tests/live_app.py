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
if os.environ.get("PORTAL_LIVE_REAL_PASSWORD_HASHING"):
    # The production argon2 costs (the suite uses tiny ones): for tests about time spent hashing.
    from config import BaseConfig

    overrides.update(
        ARGON2_TIME_COST=BaseConfig.ARGON2_TIME_COST,
        ARGON2_MEMORY_COST=BaseConfig.ARGON2_MEMORY_COST,
        ARGON2_PARALLELISM=BaseConfig.ARGON2_PARALLELISM,
    )
app = create_app("testing", overrides)
