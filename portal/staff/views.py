"""The staff workspace home: the staff member's union, its place in the tree and what lies below."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.scope import require_role
from portal.unions import services as unions

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("")
@require_role("staff", "admin")
def dashboard():
    union = current_user.union if current_user.role == "staff" else unions.root()
    context = {"union": union}
    if union is not None:
        context.update(
            union_path=unions.full_name(union) or union.name,
            children=unions.children(union),
            subtree_size=unions.subtree_size(union),
        )
    return render_template("staff/dashboard.html", title=_("Staff workspace"), **context)
