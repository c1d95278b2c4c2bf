"""Membership forms: joining, transferring, leaving."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.forms import PortalForm, checked, choices
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import NAME_MAX, normalise_name, parse_id_number
from portal.membership.choices import EDUCATION, EMPLOYMENT_TYPES, ETHNIC_GROUPS, PLATFORMS, POLITICAL_STATUS


def _id_value(value):
    return parse_id_number(value).value


class MembershipForm(PortalForm):
    union_code = HiddenField(validators=[InputRequired(_l("Please choose the union you want to join."))])
    real_name = StringField(
        _l("Real name"),
        validators=[
            InputRequired(_l("Please enter your real name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most 50 characters.")),
            checked(normalise_name),
        ],
    )
    id_number = StringField(
        _l("ID number"),
        validators=[Optional(), Length(max=22, message=_l("An ID number has 18 characters.")), checked(_id_value)],
    )
    ethnicity = SelectField(
        _l("Ethnic group"), choices=choices(ETHNIC_GROUPS.items()), default="01", validate_choice=False
    )
    education = SelectField(
        _l("Education"),
        choices=choices([("", _l("— please choose —"))] + list(EDUCATION.items())),
        validators=[InputRequired(_l("Please choose your education."))],
        validate_choice=False,
    )
    political_status = SelectField(
        _l("Political status (optional)"), choices=choices(POLITICAL_STATUS.items()), validate_choice=False
    )
    employment_type = RadioField(
        _l("What work do you do?"),
        choices=choices(EMPLOYMENT_TYPES.items()),
        validators=[InputRequired(_l("Please choose the kind of work you do."))],
        validate_choice=False,
    )
    platform = SelectField(
        _l("Platform or company (for platform work)"),
        choices=choices([("", _l("— please choose —"))] + list(PLATFORMS.items())),
        validate_choice=False,
    )
    employer = StringField(
        _l("Employer, station or team"),
        validators=[Optional(), Length(max=100, message=_l("At most 100 characters."))],
    )
    work_region_code = SelectField(_l("Where do you mostly work?"), choices=[], validate_choice=False)
    consent = BooleanField(
        _l(
            "I agree that the union processes my personal information, including my ID number, to handle my membership."
        ),
        validators=[DataRequired(_l("Please agree to the processing of your personal information."))],
    )

    reply = TextAreaField(
        _l("Your reply to the union (optional)"),
        validators=[Length(max=500, message=_l("The reply can have at most 500 characters."))],
    )

    def data_for_service(self) -> dict:
        return {
            name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "consent", "reply")
        }


class ChooseUnionFilter(PortalForm):
    """The GET form of the union chooser: where and what work, or a name."""

    class Meta:
        csrf = False

    work_region_code = SelectField(_l("Where do you mostly work?"), choices=[], validate_choice=False)
    employment_type = SelectField(_l("What work do you do?"), choices=[], validate_choice=False)
    q = StringField(_l("Or search by name"), validators=[Length(max=30)])


class TransferForm(PortalForm):
    union_code = HiddenField(validators=[InputRequired(_l("Please choose the union you want to move to."))])
    reason = TextAreaField(
        _l("Why are you moving? (optional)"),
        validators=[Length(max=500, message=_l("The reason can have at most 500 characters."))],
    )
    reply = TextAreaField(
        _l("Your reply to the union (optional)"),
        validators=[Length(max=500, message=_l("The reply can have at most 500 characters."))],
    )


class ReplyForm(PortalForm):
    """The applicant's answer to the union's request for more information."""

    reply = TextAreaField(
        _l("Your reply"),
        validators=[
            InputRequired(_l("Please write your reply to the union.")),
            Length(max=500, message=_l("The reply can have at most 500 characters.")),
        ],
    )


class IdentityChangeForm(PortalForm):
    """A member asks to change their real name and/or ID number; the union reviews it."""

    real_name = StringField(
        _l("Real name"),
        validators=[
            InputRequired(_l("Please enter your real name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most 50 characters.")),
            checked(normalise_name),
        ],
    )
    id_number = StringField(
        _l("New ID number (leave empty to keep the current one)"),
        validators=[Optional(), Length(max=22, message=_l("An ID number has 18 characters.")), checked(_id_value)],
    )
    reason = TextAreaField(
        _l("Why do the details need to change?"),
        validators=[
            InputRequired(_l("Please say why the details need to change.")),
            Length(max=500, message=_l("The reason can have at most 500 characters.")),
        ],
    )


class LeaveForm(PortalForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Length(max=500, message=_l("The reason can have at most 500 characters."))],
    )
    confirm = BooleanField(
        _l("I understand that my member card will stop working."),
        validators=[DataRequired(_l("Please confirm that you want to leave the union."))],
    )
