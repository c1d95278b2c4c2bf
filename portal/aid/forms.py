"""Hardship aid forms."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length

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
    region = SelectField(
        _l("Where does the household live?"),
        choices=[],
        validators=[InputRequired(_l("Please choose the county, district or city where the household lives."))],
        validate_choice=False,
    )
    area = RadioField(
        _l("Urban or rural household"), choices=choices(AREA_LABELS.items()), default="urban", validate_choice=False
    )
    migrant = RadioField(
        _l("Are you a migrant worker (农民工)?"),
        choices=choices([("no", _l("No")), ("yes", _l("Yes"))]),
        default="no",
        validate_choice=False,
    )
    months_employed = StringField(
        _l("Months in the current job"), validators=[checked(_months)], render_kw={"inputmode": "numeric"}
    )
