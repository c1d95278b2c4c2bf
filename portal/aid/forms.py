"""Hardship aid forms."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from portal.aid.choices import (
    ACCOUNT_MAX,
    CATEGORY_LABELS,
    CAUSE_LABELS,
    HEALTH_LABELS,
    HELP_LABELS,
    MEMBERS_MAX,
    PAYMENT_METHOD_LABELS,
    RELATIONSHIP_LABELS,
)
from portal.aid.models import AREA_LABELS
from portal.core.forms import PortalForm, checked, choices
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import parse_int, parse_money

HOUSEHOLD_MAX = 30


def _money(label, *, required=False):
    def check(value):
        parse_money(value, label=str(label), blank_is_zero=not required)

    validators = [Length(max=20, message=_l("At most 20 characters."))]
    if required:
        validators.insert(0, InputRequired(_l("Please enter %(name)s.", name=label)))
    return StringField(label, validators=[*validators, checked(check)], render_kw={"inputmode": "decimal"})


def _prose(label, *, required=None, max_chars=500, rows=3, **kwargs):
    """A text area of prose: required with ``required`` as its message, at most ``max_chars``."""
    limit = Length(max=max_chars, message=_l("At most %(num)d characters.", num=max_chars))
    validators = [InputRequired(required), limit] if required else [limit]
    return TextAreaField(label, validators=validators, render_kw={"rows": rows}, **kwargs)


def _place(label, required):
    """A county-level division (its region code); the view fills the choices."""
    return SelectField(label, choices=[], validators=[InputRequired(required)], validate_choice=False)


def _area():
    return RadioField(
        _l("Urban or rural household"), choices=choices(AREA_LABELS.items()), default="urban", validate_choice=False
    )


def _size(value):
    parse_int(value, low=1, high=HOUSEHOLD_MAX, label=str(_l("Household size")))


def _months(value):
    if value not in (None, ""):
        parse_int(value, low=0, high=600, label=str(_l("Months in the current job")))


class SelfCheckForm(PortalForm):
    household_size = StringField(
        _l("Household size"),
        validators=[InputRequired(_l("Please enter how many people live in the household.")), checked(_size)],
        render_kw={"inputmode": "numeric"},
    )
    income_basis = RadioField(
        _l("How do you want to give the income?"),
        choices=choices(
            [
                ("annual", _l("The household's total for the last 12 months")),
                ("monthly", _l("Per person per month, on average")),
            ]
        ),
        default="annual",
        validate_choice=False,
    )
    income = _money(_l("Income"), required=True)
    medical_spending = _money(_l("Self-paid medical costs, last 12 months"))
    education_spending = _money(_l("Children's education, last 12 months"))
    disaster_spending = _money(_l("Losses from a disaster or accident, last 12 months"))
    region = _place(
        _l("Where does the household live?"),
        _l("Please choose the county, district or city where the household lives."),
    )
    area = _area()
    migrant = RadioField(
        _l("Are you a migrant worker (农民工)?"),
        choices=choices([("no", _l("No")), ("yes", _l("Yes"))]),
        default="no",
        validate_choice=False,
    )
    months_employed = StringField(
        _l("Months in the current job"), validators=[checked(_months)], render_kw={"inputmode": "numeric"}
    )


# --- Applying -----------------------------------------------------------------------------------


def _age_or_blank(value):
    if value not in (None, ""):
        parse_int(value, low=0, high=130, label=str(_l("Age")))


class MemberForm(Form):
    """One row of the household (a sub-form: the page's form carries the CSRF token)."""

    relation = SelectField(_l("Relationship"), choices=choices(RELATIONSHIP_LABELS.items()), validate_choice=False)
    name = StringField(_l("Name"), validators=[Length(max=50, message=_l("At most 50 characters."))])
    age = StringField(_l("Age"), validators=[checked(_age_or_blank)], render_kw={"inputmode": "numeric"})
    health = SelectField(_l("Health"), choices=choices(HEALTH_LABELS.items()), validate_choice=False)
    occupation = StringField(_l("Occupation"), validators=[Length(max=50, message=_l("At most 50 characters."))])
    monthly_income = _money(_l("Monthly income"))

    @property
    def is_blank(self) -> bool:
        return not (self.name.data or "").strip() and not (self.age.data or "").strip()


class ApplyForm(PortalForm):
    region = _place(
        _l("Where does the household live?"),
        _l("Please choose the county, district or city where the household lives."),
    )
    area = _area()
    members = FieldList(FormField(MemberForm), min_entries=1, max_entries=MEMBERS_MAX)
    medical_spending = _money(_l("Self-paid medical costs, last 12 months"))
    education_spending = _money(_l("Children's education, last 12 months"))
    disaster_spending = _money(_l("Losses from a disaster or accident, last 12 months"))
    main_cause = SelectField(
        _l("Main cause of the difficulty"),
        choices=choices([("", _l("— please choose —")), *CAUSE_LABELS.items()]),
        validators=[InputRequired(_l("Please choose the main cause from the list."))],
        validate_choice=False,
    )
    secondary_causes = SelectMultipleField(
        _l("Other causes (optional)"),
        choices=choices(CAUSE_LABELS.items()),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    account = TextAreaField(
        _l("In your own words: what happened, and what help you need"),
        validators=[Length(max=ACCOUNT_MAX, message=_l("At most 1,000 characters."))],
        render_kw={"rows": 5},
    )
    help_type = SelectField(_l("Help asked for"), choices=choices(HELP_LABELS.items()), validate_choice=False)
    amount_requested = _money(_l("Amount asked for (yuan)"))
    bank_name = StringField(_l("Bank"), validators=[Length(max=50, message=_l("At most 50 characters."))])
    bank_account = StringField(
        _l("Bank account or card number, in your own name"),
        validators=[Length(max=40, message=_l("At most 40 characters."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    finance_consent = BooleanField(
        _l(
            "I agree that the union may check my household's income, property and bank records "
            "with the relevant authorities for this application (required to send it)."
        )
    )

    def member_rows(self):
        return [entry.form for entry in self.members if not entry.form.is_blank]


class ReplyForm(PortalForm):
    reply = _prose(_l("Your reply"), rows=4)


# --- Staff --------------------------------------------------------------------------------------


class VisitForm(PortalForm):
    visited_on = DateField(
        _l("Date of the visit"), validators=[InputRequired(_l("Please enter the date of the visit."))]
    )
    visitors = StringField(
        _l("Who went"),
        validators=[InputRequired(_l("Please say who went.")), Length(max=100, message=_l("At most 100 characters."))],
    )
    findings = _prose(_l("What you found"), required=_l("Please write down what you found."), max_chars=2000, rows=5)


class FiguresForm(PortalForm):
    """The grassroots union's recommendation, or the county union's approval."""

    category = SelectField(
        _l("Category"),
        choices=choices([("", _l("— please choose —")), *CATEGORY_LABELS.items()]),
        validators=[InputRequired(_l("Please choose the category of hardship."))],
        validate_choice=False,
    )
    amount = _money(_l("Amount (yuan)"), required=True)
    note = _prose(_l("Note"), id="figures-note")  # its own id: the staff page holds the decision form's note too


class PaymentForm(PortalForm):
    amount = _money(_l("Amount paid (yuan)"), required=True)
    paid_on = DateField(_l("Date paid"), validators=[InputRequired(_l("Please enter the date of the payment."))])
    method = SelectField(_l("How it was paid"), choices=choices(PAYMENT_METHOD_LABELS.items()), validate_choice=False)
    reference = StringField(
        _l("Reference (voucher or transfer number)"), validators=[Length(max=64, message=_l("At most 64 characters."))]
    )


class CloseForm(PortalForm):
    reason = _prose(_l("Reason for closing the file"), required=_l("Please give the reason for closing the file."))
    confirmed = HiddenField()


class ObjectionForm(PortalForm):
    reason = _prose(_l("Why do you object?"), required=_l("Please give the reason for your objection."), rows=4)


class StandardForm(PortalForm):
    region = _place(_l("County, district or city"), _l("Please choose the county, district or city."))
    area = _area()
    amount = _money(_l("Yuan per person per month"), required=True)
    effective_from = DateField(
        _l("Applies from"), validators=[InputRequired(_l("Please enter the date it applies from."))]
    )
