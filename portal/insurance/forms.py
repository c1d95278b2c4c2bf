"""Insurance forms: enrolling (the member agrees to the plan's terms and its contribution) and
confirming a contribution (staff, with the receipt's reference)."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

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


# --- Claims ------------------------------------------------------------------------------------------


def _money(label, *, required=False):
    from portal.core.forms import checked
    from portal.core.validators import parse_money

    def check(value):
        parse_money(value, label=str(label), blank_is_zero=not required)

    validators = [Length(max=20, message=_l("At most %(max)d characters."))]
    if required:
        validators.insert(0, InputRequired(_l("Please enter %(name)s.", name=label)))
    return StringField(label, validators=[*validators, checked(check)], render_kw={"inputmode": "decimal"})


class ClaimForm(PortalForm):
    """A hospital stay's claim (a diagnosis or an accident uses the first date only)."""

    started_on = DateField(_l("Admitted to hospital on"), validators=[InputRequired(_l("Please enter the date."))])
    ended_on = DateField(_l("Left hospital on"), validators=[Optional()])
    hospital = StringField(_l("Hospital"), validators=[Length(max=100, message=_l("At most %(max)d characters."))])
    diagnosis = StringField(_l("Diagnosis"), validators=[Length(max=100, message=_l("At most %(max)d characters."))])
    total_cost = _money(_l("Total cost (yuan)"))
    public_paid = _money(_l("Paid by public medical insurance (统筹, yuan)"))
    serious_paid = _money(_l("Paid by serious-illness insurance (大病, yuan)"))
    excluded = _money(_l("Items outside the catalogue (目录外自费, yuan)"))
    invoices = TextAreaField(
        _l("Invoice numbers"),
        validators=[Length(max=1000, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 2, "autocomplete": "off"},
    )


class ClaimReplyForm(PortalForm):
    reply = TextAreaField(
        _l("Your reply"), validators=[Length(max=500, message=_l("At most %(max)d characters."))], render_kw={"rows": 4}
    )


class PayoutForm(PortalForm):
    paid_on = DateField(_l("Date paid"), validators=[InputRequired(_l("Please enter the date of payment."))])
    method = SelectField(_l("How it was paid"), choices=[], validate_choice=False)
    reference = StringField(
        _l("Reference (voucher or transfer number)"),
        validators=[Length(max=64, message=_l("At most %(max)d characters."))],
    )

    def __init__(self, *args, **kwargs):
        from portal.core.forms import choices
        from portal.insurance.models import PAYMENT_METHOD_LABELS

        super().__init__(*args, **kwargs)
        self.method.choices = choices(PAYMENT_METHOD_LABELS.items())


# --- The admin's plans -------------------------------------------------------------------------------


class PlanForm(PortalForm):
    code = StringField(_l("Plan code"), validators=[InputRequired(_l("Please enter the plan code.")), Length(max=32)])
    name = StringField(
        _l("Name (Chinese)"), validators=[InputRequired(_l("Please enter the plan's name.")), Length(max=100)]
    )
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=100)])
    family = SelectField(_l("Kind of plan"), choices=[], validate_choice=False)
    plan_year = StringField(_l("Plan year"), validators=[InputRequired(_l("A year from 2000 to 2100."))])
    contribution = StringField(_l("Contribution a year (yuan)"), validators=[Optional(), Length(max=20)])
    coverage_start = DateField(_l("Cover starts"), validators=[InputRequired(_l("Please enter the date."))])
    coverage_end = DateField(_l("Cover ends"), validators=[InputRequired(_l("Please enter the date."))])
    enrol_from = DateField(_l("Enrolment opens"), validators=[InputRequired(_l("Please enter the date."))])
    enrol_until = DateField(_l("Enrolment closes"), validators=[InputRequired(_l("Please enter the date."))])
    given_with = SelectField(_l("How members join"), choices=[], validate_choice=False)
    is_active = BooleanField(_l("Offered to members"))
    benefit = SelectField(_l("What it pays"), choices=[], validate_choice=False)
    deductible = StringField(_l("Deductible per event (yuan)"), validators=[Optional(), Length(max=20)])
    bands = TextAreaField(
        _l("Bands above the deductible"), validators=[Optional(), Length(max=500)], render_kw={"rows": 4}
    )
    annual_cap = StringField(_l("Yearly limit per member (yuan)"), validators=[Optional(), Length(max=20)])
    lump_sum = StringField(_l("Lump sum (yuan)"), validators=[Optional(), Length(max=20)])
    diseases = StringField(_l("Diseases it pays for"), validators=[Optional(), Length(max=500)])
    waiting_days = StringField(_l("Waiting period (days)"), validators=[Optional(), Length(max=4)])
    claim_days = StringField(_l("Claim within (days)"), validators=[Optional(), Length(max=4)])
    sex = SelectField(_l("Who may join"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        from portal.core.forms import choices

        super().__init__(*args, **kwargs)
        self.family.choices = choices(
            [("hospital", _l("Hospital stays")), ("female", _l("Women's illnesses")), ("accident", _l("Accidents"))]
        )
        self.given_with.choices = choices(
            [("none", _l("Members enrol")), ("membership", _l("Given with membership to new-employment-form workers"))]
        )
        self.benefit.choices = choices(
            [("bands", _l("A share of the eligible amount")), ("lump_sum", _l("A lump sum"))]
        )
        self.sex.choices = choices([("", _l("Everyone")), ("F", _l("Women")), ("M", _l("Men"))])
