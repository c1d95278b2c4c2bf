"""Insurance forms: enrolling (the member agrees to the plan's terms and its contribution) and
confirming a contribution (staff, with the receipt's reference)."""

from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import PortalForm
from portal.core.i18n import lazy_gettext as _l


class EnrolForm(PortalForm):
    consent = BooleanField(
        _l("I have read the plan's terms and will pay the contribution to my union"),
        validators=[DataRequired(message=_l("Please confirm that you have read the terms."))],
    )


class ConfirmPaymentForm(PortalForm):
    reference = StringField(
        _l("Receipt or transfer reference"),
        validators=[Optional(), Length(max=64, message=_l("At most %(max)d characters."))],
    )
