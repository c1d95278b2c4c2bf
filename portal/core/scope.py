"""Who may see and act on what.

A staff account is bound to one union node and acts on that node's subtree; an
admin acts everywhere; a worker acts on nothing through this module (workers see
their own records through ``owner_id`` filters in each domain).

Every list and detail that staff load goes through ``scoped`` or
``load_in_scope``, so an object outside the scope simply does not exist for
them (404), and no view loads first and checks afterwards.

A scoped model declares the column that places it in the tree with
``__scope_column__ = "union_id"`` (the default) — the union tree itself uses "id".
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, false, select
from sqlalchemy.sql import Select

from portal.extensions import db, login_manager
from portal.unions.models import Union, subtree_bounds


def _scope_column(model):
    return getattr(model, getattr(model, "__scope_column__", "union_id"))


def scope_union_ids(user) -> Select | None:
    """A subquery of the union ids this user acts on; ``None`` means everywhere (admin).

    Workers and anonymous users get an empty scope. (The rule itself is ``bound_scope``.)
    """
    shape, bounds = bound_scope(user)
    if shape == "all":
        return None
    if shape == "subtree":
        return select(Union.id).where(Union.path >= bounds["scope_low"], Union.path < bounds["scope_high"])
    return select(Union.id).where(false())


def scoped(stmt: Select, user, column) -> Select:
    """Restrict ``stmt`` to rows whose union (``column``) lies in the user's scope."""
    ids = scope_union_ids(user)
    return stmt if ids is None else stmt.where(column.in_(ids))


def bound_scope(user) -> tuple[str, dict[str, str]]:
    """The user's scope as a shape and parameters, for statements that are built once and kept
    (the staff queue): ``("all", {})`` for an admin, ``("subtree", {"scope_low": …,
    "scope_high": …})`` for staff, ``("none", {})`` for everyone else. The one rule of whose
    records a user sees: ``scope_union_ids`` (and so ``scoped``) and ``scoped_bound`` apply it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return "none", {}
    if user.role == "admin":
        return "all", {}
    if user.role == "staff" and user.union is not None:
        low, high = subtree_bounds(user.union.path)
        return "subtree", {"scope_low": low, "scope_high": high}
    return "none", {}


def scoped_bound(stmt: Select, shape: str, column) -> Select:
    """``scoped`` for a shape from ``bound_scope``: the bounds stay parameters."""
    if shape == "all":
        return stmt
    if shape == "subtree":
        ids = select(Union.id).where(Union.path >= bindparam("scope_low"), Union.path < bindparam("scope_high"))
        return stmt.where(column.in_(ids))
    return stmt.where(false())


def union_of(obj) -> Union | None:
    if isinstance(obj, Union):
        return obj
    return getattr(obj, "union", None)


def may_act_on(user, obj) -> bool:
    """May ``user`` act (review, edit, see staff-only details) on ``obj``?

    ``obj`` is a union node or anything with a ``union`` attribute.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == "admin":
        return True
    if user.role != "staff" or user.union is None:
        return False
    target = union_of(obj)
    return target is not None and user.union.contains(target)


def load_in_scope(model, ident, user):
    """Load one ``model`` row by primary key if it is in the user's scope, else 404."""
    stmt = scoped(select(model).where(model.id == ident), user, _scope_column(model))
    obj = db.session.scalars(stmt).first()
    if obj is None:
        abort(404)
    return obj


def require_role(*roles: str):
    """View decorator: sign in first, then 403 unless the user has one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
