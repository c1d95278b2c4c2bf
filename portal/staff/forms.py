"""Staff workspace forms."""

from __future__ import annotations

from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from portal.core.forms import PortalForm, choices
from portal.core.i18n import lazy_gettext as _l


class DecisionForm(PortalForm):
    decision = HiddenField(validators=[InputRequired(), AnyOf(["approve", "reject", "request_info", "send_back"])])
    reason = SelectField(_l("Common reasons"), choices=[], validate_choice=False)
    note = TextAreaField(
        _l("Message to the applicant"),
        validators=[Length(max=500, message=_l("The note can have at most 500 characters."))],
    )
    # "yes" once the reviewer has confirmed a reject (on the confirmation page, or in the
    # JavaScript dialog); "no" to go back and change the reason.
    confirmed = HiddenField(validators=[Optional(), AnyOf(["yes", "no"])])

    def note_text(self) -> str:
        """The chosen common reason and the typed text, joined."""
        parts = [p.strip() for p in (self.reason.data or "", self.note.data or "") if p and p.strip()]
        return "；".join(parts)


class QueueFilterForm(PortalForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    stage = SelectField(_l("Stage"), choices=[], validate_choice=False)
    mine = HiddenField()
    union = SelectField(_l("Union"), choices=[], validate_choice=False)
    date_from = DateField(_l("Submitted from"), validators=[Optional()])
    date_to = DateField(_l("Submitted until"), validators=[Optional()])
    q = StringField(_l("Name or mobile number"), validators=[Optional(), Length(max=30)])


class CalendarDayForm(PortalForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please enter the date."))])
    kind = SelectField(
        _l("Kind of day"),
        choices=choices([("holiday", _l("Public holiday (放假)")), ("workday", _l("Make-up working day (调休上班)"))]),
        validate_choice=False,
    )
    name = StringField(_l("Name"), validators=[Length(max=40, message=_l("At most 40 characters."))])
