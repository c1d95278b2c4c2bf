"""The electronic member card: a signed, expiring token in its QR code, and what scanning it tells."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from portal.core.masking import mask_name
from portal.core.validators import fold_fullwidth
from portal.extensions import db
from portal.membership.models import Membership
from portal.unions import services as unions

_CARD_SALT = "member-card"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_CARD_SALT)


def card_token(membership: Membership) -> str:
    """A signed token naming the membership; it expires after MEMBER_CARD_TOKEN_TTL seconds."""
    return _serializer().dumps([membership.id, membership.card_version])


@dataclass(frozen=True)
class Verification:
    valid: bool
    expired: bool = False
    masked_name: str = ""
    union_name: str = ""
    union_path: str = ""
    member_number: str = ""


def verify_card(token: str) -> Verification:
    """What a merchant learns from scanning a card: valid or not, and whose (masked)."""
    try:
        membership_id, version = _serializer().loads(token, max_age=current_app.config["MEMBER_CARD_TOKEN_TTL"])
    except SignatureExpired:
        return Verification(valid=False, expired=True)
    except (BadSignature, ValueError, TypeError):
        return Verification(valid=False)
    membership = db.session.get(Membership, membership_id) if isinstance(membership_id, int) else None
    if membership is None or not membership.is_active or membership.card_version != version:
        return Verification(valid=False)
    number = membership.member_number
    return Verification(
        valid=True,
        masked_name=mask_name(membership.user.name),
        union_name=membership.union.name,
        union_path=unions.full_name(membership.union),
        member_number=number[:6] + "*" * (len(number) - 10) + number[-4:],
    )


def membership_at_desk(text: str | None) -> Membership | None:
    """The active membership behind what a library desk scanned or typed: a member card's QR (the
    verify link or its bare token — fresh, of the card's current version) or a member number.
    None when it names no active member (an expired or superseded card, a member who left)."""
    text = fold_fullwidth(text or "").strip()
    if not text or len(text) > 600:
        return None
    number = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"[0-9]{6,20}", number):
        membership = db.session.scalar(select(Membership).where(Membership.member_number == number))
    else:
        token = text.rsplit("/verify/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
        try:
            membership_id, version = _serializer().loads(token, max_age=current_app.config["MEMBER_CARD_TOKEN_TTL"])
        except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
            return None
        membership = db.session.get(Membership, membership_id) if isinstance(membership_id, int) else None
        if membership is not None and membership.card_version != version:
            return None
    return membership if membership is not None and membership.is_active else None
