"""Account rules: registration, login, profile, passwords, staff accounts.

Services flush, never commit: the view (or CLI command) commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts.models import ID_HASH_PURPOSE, ROLES, User
from portal.core import audit, crypto
from portal.core.db import end_read_only_transaction, utcnow
from portal.core.errors import Conflict, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.notify import notify
from portal.core.time import local_today
from portal.core.validators import (
    InvalidInput,
    check_password_strength,
    normalise_mobile,
    normalise_name,
    parse_id_number,
)
from portal.extensions import db
from portal.unions import services as unions

# --- Passwords -------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    cache = current_app.extensions.setdefault("portal_argon2", {})
    if key not in cache:
        cache[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
    return cache[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _slow_hash(password: str) -> str:
    """Hash with no write transaction open: ~0.1 s that must not hold SQLite's write lock."""
    end_read_only_transaction(db.session)
    return hash_password(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hash: dict[tuple, str] = {}


def _burn_time(password: str) -> None:
    """Spend as long as a real check would, so timing does not reveal unknown phones."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _dummy_hash:
        _dummy_hash[key] = hash_password("not-a-real-password-1")
    _verify(_dummy_hash[key], password)


# --- Lookups --------------------------------------------------------------------------------


def find_by_phone(phone: str) -> User | None:
    return db.session.scalars(select(User).where(User.phone == phone)).first()


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


# --- Registration and login -----------------------------------------------------------


def bind_id_number(user: User, raw: str) -> None:
    """Attach a validated ID number: encrypted, hashed for uniqueness, birth date and gender derived."""
    parsed = parse_id_number(raw)
    digest = crypto.keyed_hash(parsed.value, purpose=ID_HASH_PURPOSE)
    owner = db.session.scalars(select(User.id).where(User.id_number_hash == digest)).first()
    if owner is not None and owner != user.id:
        raise Conflict(_l("This ID number is already linked to another account."), field="id_number")
    user.id_number_encrypted = crypto.encrypt(parsed.value)
    user.id_number_hash = digest
    user.birth_date = parsed.birth_date
    user.gender = parsed.gender


def _flush_unique(user: User) -> None:
    """Flush, turning a lost race on a unique column into the same message as the pre-check."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "id_number_hash" in text:
            raise Conflict(_l("This ID number is already linked to another account."), field="id_number") from None
        if "phone" in text:
            raise Conflict(_l("This mobile number is already registered."), field="phone") from None
        raise


def register(*, phone: str, password: str, name: str, id_number: str | None = None) -> User:
    """Create a worker account. The phone is the login; the ID number is optional here."""
    phone = normalise_mobile(phone)
    name = normalise_name(name)
    check_password_strength(password, phone=phone)
    password_hash = _slow_hash(password)  # before the first query: that one begins the write transaction
    if find_by_phone(phone) is not None:
        raise Conflict(_l("This mobile number is already registered."), field="phone")
    user = User(phone=phone, name=name, role="worker", password_hash=password_hash)
    db.session.add(user)
    if id_number:
        bind_id_number(user, id_number)
    _flush_unique(user)
    notify(user, "accounts.welcome", name=user.name)
    return user


def authenticate(phone: str, password: str) -> User | None:
    """The user for these credentials, or None — the same None whether the phone exists or not.

    The checks (one or two argon2 computations) run after the lookup's transaction has ended,
    so they do not hold SQLite's write lock; the account is read again before it is written.
    """
    try:
        phone = normalise_mobile(phone)
    except InvalidInput:
        _burn_time(password or "")
        return None
    user = find_by_phone(phone)
    stored = user.password_hash if user is not None and user.is_active else None
    end_read_only_transaction(db.session)
    if stored is None:
        _burn_time(password or "")
        return None
    if not _verify(stored, password or ""):
        return None
    changes = {"last_login_at": utcnow()}
    if _hasher().check_needs_rehash(stored):
        changes["password_hash"] = hash_password(password)
    # Compare-and-set: the password may have been changed, or the account disabled, meanwhile.
    saved = db.session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == stored, User.is_active_account.is_(True))
        .values(**changes)
    )
    return user if saved.rowcount == 1 else None


# --- Profile ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityLock:
    """Another domain's rule that a person's real name and ID number no longer change directly
    (membership: once someone is a member or has an application under review). A change is then
    a request that staff review, made at ``request_endpoint``."""

    applies: Callable[[User], bool]
    request_endpoint: str


_IDENTITY_LOCKS: dict[str, IdentityLock] = {}


def register_identity_lock(name: str, lock: IdentityLock) -> None:
    _IDENTITY_LOCKS[name] = lock


def identity_lock(user: User) -> IdentityLock | None:
    """The lock on this person's real name and ID number, if any domain holds one."""
    return next((lock for lock in _IDENTITY_LOCKS.values() if lock.applies(user)), None)


def update_profile(user: User, *, name: str, id_number: str | None = None) -> User:
    """Change the real name and, when a new one is typed, the ID number — unless they are locked."""
    name = normalise_name(name)
    new_id = parse_id_number(id_number).value if id_number else None
    changes = name != user.name or (new_id is not None and new_id != user.reveal_id_number())
    if changes and identity_lock(user) is not None:
        raise NotAllowed(
            _l("Your real name and ID number can now only be changed through a request your union reviews.")
        )
    user.name = name
    if new_id:
        bind_id_number(user, new_id)
    _flush_unique(user)
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    """Needs the current password; signs out every other session of this account."""
    stored, phone = user.password_hash, user.phone
    end_read_only_transaction(db.session)  # three argon2 computations follow
    if not _verify(stored, current or ""):
        raise InvalidInput(_l("The current password is not correct."), field="current_password")
    check_password_strength(new, phone=phone)
    if _verify(stored, new):
        raise InvalidInput(_l("The new password must differ from the current one."), field="password")
    new_hash = hash_password(new)
    # Compare-and-set: an admin (or another tab) may have changed the password meanwhile.
    saved = db.session.execute(
        update(User).where(User.id == user.id, User.password_hash == stored).values(password_hash=new_hash)
    )
    if saved.rowcount != 1:
        raise InvalidInput(_l("The current password is not correct."), field="current_password")
    user.rotate_session_token()
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Signing out ends every session of the account: each login cookie (and remember-me cookie)
    carries the session token, so a new token makes every earlier copy worthless."""
    user.rotate_session_token()
    db.session.flush()


def age_of(user: User, today: date | None = None) -> int | None:
    """Age in whole years from the birth date read off the ID number."""
    if user.birth_date is None:
        return None
    today = today or local_today()
    years = today.year - user.birth_date.year
    return years - ((today.month, today.day) < (user.birth_date.month, user.birth_date.day))


def set_large_text(user: User, enabled: bool) -> None:
    user.large_text = enabled
    db.session.flush()


# --- Staff and admin accounts (admin only) ----------------------------------------------------


def _require_admin(actor: User | None) -> None:
    # actor None means the command line, run by whoever operates the server.
    if actor is not None and not actor.is_admin:
        raise NotAllowed()


def _role_and_union(role: str, union_code: str | None):
    if role not in ROLES:
        raise InvalidInput(_l("Unknown role."), field="role")
    if role == "staff":
        if not union_code:
            raise InvalidInput(_l("A staff account must be bound to a union."), field="union_code")
        return unions.get_by_code(union_code)
    return unions.find_by_code(union_code) if union_code else None


def create_account(
    actor: User | None, *, phone: str, password: str, name: str, role: str, union_code: str | None = None
) -> User:
    """An admin creates a worker, staff or admin account; staff are bound to a union node."""
    _require_admin(actor)
    union = _role_and_union(role, union_code)
    phone = normalise_mobile(phone)
    name = normalise_name(name)
    check_password_strength(password, phone=phone)
    if find_by_phone(phone) is not None:
        raise Conflict(_l("This mobile number is already registered."), field="phone")
    password_hash = _slow_hash(password)
    user = User(phone=phone, name=name, role=role, union=union, password_hash=password_hash)
    db.session.add(user)
    _flush_unique(user)
    audit.record("user.created", user, actor=actor, union_id=union.id if union else None, to_state=role)
    return user


def update_account(actor: User | None, user: User, *, role: str, union_code: str | None, active: bool) -> User:
    """Change someone's role, union or whether they may sign in. Admins cannot lock themselves out."""
    _require_admin(actor)
    if actor is not None and actor.id == user.id and (role != "admin" or not active):
        raise NotAllowed(_l("You cannot remove your own administrator access."))
    union = _role_and_union(role, union_code)

    def describe(role_, union_, active_):
        return f"{role_} @ {union_.code if union_ else '-'}, {'active' if active_ else 'inactive'}"

    before, after = describe(user.role, user.union, user.is_active), describe(role, union, active)
    if before != after:
        audit.record(
            "user.updated",
            user,
            actor=actor,
            union_id=union.id if union else None,
            from_state=user.role,
            to_state=role,
            note=f"{before} → {after}",
        )
        if not active:
            user.rotate_session_token()  # sign them out everywhere
    user.role, user.union, user.is_active_account = role, union, active
    db.session.flush()
    return user


def reset_password(actor: User | None, user: User, new_password: str) -> None:
    """An admin sets a new password for someone who forgot theirs; every session of theirs ends."""
    _require_admin(actor)
    check_password_strength(new_password, phone=user.phone)
    user.password_hash = _slow_hash(new_password)
    user.rotate_session_token()
    audit.record("user.password_reset", user, actor=actor, union_id=user.union_id)
    db.session.flush()


def search_accounts(*, query: str = "", role: str | None = None, page: int = 1, per_page: int = 20):
    stmt = select(User).options(joinedload(User.union)).order_by(User.created_at.desc(), User.id.desc())
    query = (query or "").strip()
    if query:
        like = f"%{query.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(User.phone.like(like), User.name.like(like)))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def count_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
    return {role: n for role, n in rows}
