"""Account forms: the shape of the input and its messages, nothing more."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import PasswordInput

from portal.accounts.models import ROLE_LABELS
from portal.core.forms import PortalForm, checked, choices
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import (
    NAME_MAX,
    PASSWORD_MAX,
    InvalidInput,
    check_password_strength,
    normalise_mobile,
    normalise_name,
    parse_id_number,
)

PHONE_MAX = 20  # room for "+86 138 1234 5678"; normalised to 11 digits
ID_MAX = 22


def _phone_field():
    return StringField(
        _l("Mobile number"),
        validators=[
            InputRequired(_l("Please enter your mobile number.")),
            Length(max=PHONE_MAX, message=_l("A mobile number has 11 digits.")),
            checked(normalise_mobile),
        ],
    )


def _name_field():
    return StringField(
        _l("Real name"),
        validators=[
            InputRequired(_l("Please enter your real name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most 50 characters.")),
            checked(normalise_name),
        ],
    )


def _id_number_field(label=None):
    return StringField(
        label or _l("ID number (optional)"),
        validators=[
            Optional(),
            Length(max=ID_MAX, message=_l("An ID number has 18 characters.")),
            checked(parse_id_number_value),
        ],
    )


def parse_id_number_value(value):
    return parse_id_number(value).value


PASSWORD_RULE = _l(
    "At least 8 characters, with at least two of: letters, digits, symbols; "
    "not a common password, and not containing your mobile number."
)


class KeptPasswordField(PasswordField):
    """A new password typed on this page, shown back (still masked) after a refused submission.

    Unless it was itself the problem — or the password it repeats was: a wrong phone number
    must not cost the person both passwords, but a refused password is typed afresh.
    """

    widget = PasswordInput(hide_value=False)

    def __init__(self, *args, repeats: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.repeats = repeats

    def _value(self) -> str:
        repeated = self._form[self.repeats] if self.repeats and self._form is not None else None
        if not self.data or self.errors or (repeated is not None and repeated.errors):
            return ""
        return self.data


def _new_password_field(label=None, field_class=PasswordField):
    return field_class(
        label or _l("Password"),
        validators=[
            InputRequired(_l("Please enter a password.")),
            Length(max=PASSWORD_MAX, message=_l("The password can have at most 64 characters.")),
        ],
    )


def _confirm_field(label=None, field_class=PasswordField, **kwargs):
    return field_class(
        label or _l("Repeat the password"),
        validators=[
            InputRequired(_l("Please repeat the password.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        **kwargs,
    )


class _PasswordStrength:
    """Strength depends on the phone typed in the same form (a password must not contain it)."""

    def validate_password(self, field):
        phone = self.phone.data if hasattr(self, "phone") and not self.phone.errors else None
        try:
            check_password_strength(field.data, phone=phone)
        except InvalidInput as exc:
            raise ValidationError(str(exc.message)) from None


class RegisterForm(_PasswordStrength, PortalForm):
    phone = _phone_field()
    name = _name_field()
    password = _new_password_field(field_class=KeptPasswordField)
    confirm = _confirm_field(field_class=KeptPasswordField, repeats="password")
    id_number = _id_number_field()
    agree = BooleanField(
        _l("I have read and agree to the privacy notice"),
        validators=[DataRequired(_l("Please read and agree to the privacy notice to continue."))],
    )
    next = HiddenField()


class LoginForm(PortalForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[
            InputRequired(_l("Please enter your mobile number.")),
            Length(max=PHONE_MAX, message=_l("A mobile number has 11 digits.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Please enter your password.")), Length(max=PASSWORD_MAX * 4)],
    )
    remember = BooleanField(_l("Keep me signed in on this phone"))
    next = HiddenField()


class ProfileForm(PortalForm):
    name = _name_field()
    id_number = _id_number_field(_l("ID number"))


class PasswordChangeForm(_PasswordStrength, PortalForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Please enter your current password.")), Length(max=PASSWORD_MAX * 4)],
    )
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field(_l("Repeat the new password"))


def _role_choices():
    return choices(ROLE_LABELS.items())


def _union_field():
    # ≈170 unions in tree order; js/select-filter.js adds a box that narrows the list (without
    # JavaScript it is a plain select).
    return SelectField(
        _l("Union"),
        choices=[],
        validate_choice=False,
        render_kw={
            "data-filter-label": _l("Filter unions"),
            "data-filter-placeholder": _l("Type part of a name or code"),
        },
    )


class AccountCreateForm(_PasswordStrength, PortalForm):
    phone = _phone_field()
    name = _name_field()
    role = SelectField(_l("Role"), choices=_role_choices(), default="staff")
    union_code = _union_field()
    password = _new_password_field(_l("Initial password"))


class AccountEditForm(PortalForm):
    role = SelectField(_l("Role"), choices=_role_choices())
    union_code = _union_field()
    active = BooleanField(_l("Account may sign in"))
    new_password = PasswordField(
        _l("New password (only to reset a forgotten one)"),
        validators=[Optional(), Length(max=PASSWORD_MAX, message=_l("The password can have at most 64 characters."))],
    )
