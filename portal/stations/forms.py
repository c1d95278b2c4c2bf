"""Station forms: the finder's filters, problem reports, the staff editor and the CSV import."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.forms import PortalForm, choices
from portal.core.i18n import lazy_gettext as _l
from portal.stations.models import AMENITY_LABELS, REPORT_KIND_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FinderForm(PortalForm):
    """The GET form of /stations: a position (from the phone), or a district, or words; and filters."""

    class Meta:
        csrf = False

    lat = HiddenField()
    lng = HiddenField()
    region = SelectField(_l("Or choose a district"), choices=[], validate_choice=False)
    q = StringField(_l("Or search by name or address"), validators=[Optional(), Length(max=30)])
    amenity = MultiCheckboxField(_l("Must have"), choices=choices(AMENITY_LABELS.items()), validate_choice=False)
    open_now = BooleanField(_l("Open now"))


class ReportForm(PortalForm):
    kind = RadioField(
        _l("What is wrong?"),
        choices=choices(REPORT_KIND_LABELS.items()),
        validators=[InputRequired(_l("Please choose what is wrong."))],
        validate_choice=False,
    )
    text = TextAreaField(_l("Details (optional)"), validators=[Length(max=500, message=_l("At most 500 characters."))])


class StationForm(PortalForm):
    name = StringField(
        _l("Station name"),
        validators=[
            InputRequired(_l("Please enter the station's name.")),
            Length(max=100, message=_l("The name can have at most 100 characters.")),
        ],
    )
    address = StringField(
        _l("Address"),
        validators=[
            InputRequired(_l("Please enter the address.")),
            Length(max=200, message=_l("The address can have at most 200 characters.")),
        ],
    )
    lat = StringField(
        _l("Latitude (WGS-84)"), validators=[InputRequired(_l("Please set the position on the map or type it."))]
    )
    lng = StringField(
        _l("Longitude (WGS-84)"), validators=[InputRequired(_l("Please set the position on the map or type it."))]
    )
    amenities = MultiCheckboxField(_l("Amenities"), choices=choices(AMENITY_LABELS.items()), validate_choice=False)
    open_hours = StringField(_l("Opening hours"), default="24h", validators=[Length(max=200)])
    phone = StringField(_l("Contact phone (optional)"), validators=[Optional(), Length(max=30)])
    union_code = SelectField(_l("Operating union"), choices=[], validate_choice=False)
    external_id = StringField(_l("External id (optional)"), validators=[Optional(), Length(max=64)])
    is_suspended = BooleanField(_l("Temporarily closed (shown as such whatever the opening hours say)"))
    public_notice = StringField(
        _l("Notice to visitors (optional)"),
        validators=[Optional(), Length(max=200, message=_l("At most 200 characters."))],
    )

    def data_for_service(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ImportForm(PortalForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Please choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Please choose a .csv file.")),
        ],
    )
    valid_rows_only = BooleanField(_l("If some rows have errors, import the valid rows anyway"))


class ResolveForm(PortalForm):
    note = TextAreaField(
        _l("What was done (optional)"), validators=[Length(max=500, message=_l("At most 500 characters."))]
    )
