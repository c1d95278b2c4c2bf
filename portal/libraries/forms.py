"""Library forms for staff: a library's details, a closure day, its partner rest stations.
(Each helper area keeps its own forms beside its views when they are small.)"""

from __future__ import annotations

from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.forms import PortalForm
from portal.core.i18n import lazy_gettext as _l


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LibraryForm(PortalForm):
    name = StringField(
        _l("Library name"),
        validators=[
            InputRequired(_l("Please enter the library's name.")),
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
    lat = StringField(_l("Latitude (WGS-84)"), validators=[InputRequired(_l("Please type the position."))])
    lng = StringField(_l("Longitude (WGS-84)"), validators=[InputRequired(_l("Please type the position."))])
    open_hours = StringField(_l("Opening hours"), default="Mon-Fri 09:00-17:00", validators=[Length(max=200)])
    slot_minutes = StringField(_l("Slot length (minutes)"), default="60")
    places_per_slot = StringField(_l("Places per slot"), default="10")
    phone = StringField(_l("Contact phone (optional)"), validators=[Optional(), Length(max=30)])
    union_code = SelectField(_l("Operating union"), choices=[], validate_choice=False)
    notice = StringField(
        _l("Notice to visitors (optional)"),
        validators=[Optional(), Length(max=200, message=_l("At most 200 characters."))],
    )

    def data_for_service(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ClosureForm(PortalForm):
    day = DateField(_l("Day"), validators=[InputRequired(_l("Please choose a day."))])
    reason = StringField(
        _l("Reason (optional)"), validators=[Optional(), Length(max=100, message=_l("At most 100 characters."))]
    )


class PartnersForm(PortalForm):
    stations = MultiCheckboxField(_l("Partner rest stations"), choices=[], validate_choice=False, coerce=str)
