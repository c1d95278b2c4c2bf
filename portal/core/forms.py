"""Form plumbing shared by every domain.

* ``PortalForm``: a FlaskForm that can carry a ``DomainError`` raised by a service
  onto the field it concerns.
* ``checked``: turns a ``portal.core.validators`` function into a WTForms validator
  (it normalises the field's data when the value is good).
* ``form_view``: marks a view whose POST is protected by its form's own CSRF
  field. The global CSRF check skips it so that a stale or missing token is shown
  on the same form, with what the person typed kept, instead of a bare error page.
  ``tests/core/test_csrf.py`` posts to every POST route without a token.
* ``save_form``: calls a service, commits, or puts its refusal on the form.
* ``render_form``: renders with the right status — 200, 400 (CSRF), 422 (invalid), or the status of
  the service's refusal (403 not allowed, 409 already decided / no places left).
"""

from __future__ import annotations

import functools

from flask import has_request_context, render_template, request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms.fields import FileField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from portal.core.errors import DomainError
from portal.core.validators import InvalidInput
from portal.extensions import csrf


@functools.lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class PortalForm(FlaskForm):
    domain_status: int | None = None  # the status of a service's refusal, when there was one

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            """WTForms' own messages, from a catalogue loaded once per language: Flask-WTF reads
            it from disk again in every request (0.4 ms on every page with a form)."""
            if has_request_context() and getattr(request, "wtforms_translations", None) is None:
                request.wtforms_translations = _wtforms_catalogue(str(get_locale()))
            return super().get_translations(form)

        def wrap_formdata(self, form, formdata):
            """Only what a browser's form sends: text from ``request.form``, files only for file fields.

            Flask-WTF would hand a file part named like a text field, or a JSON body's numbers,
            lists and objects, to text validators — a 500 (tests/test_hostile_input.py).
            """
            data = super().wrap_formdata(form, formdata)
            if data is None or data is formdata or not has_request_context():
                return data
            if isinstance(data, CombinedMultiDict):
                file_fields = {field.name for field in form if isinstance(field, FileField)}
                files = MultiDict([(k, v) for k, v in request.files.items(multi=True) if k in file_fields])
                return CombinedMultiDict((files, request.form))
            return request.form  # a JSON body is not a form: nothing was typed

    def add_error(self, error: DomainError) -> None:
        self.domain_status = error.status_code
        field = getattr(self, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(str(error.message))
        else:
            self.form_errors.append(str(error.message))

    @property
    def csrf_failed(self) -> bool:
        return bool(getattr(getattr(self, "csrf_token", None), "errors", None))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or bool(self.form_errors)


class ConfirmForm(PortalForm):
    """Only the CSRF token: for confirm-then-POST actions (withdraw, hide, leave…)."""


def checked(check, **kwargs):
    def validator(form, field):
        try:
            result = check(field.data, **kwargs)
        except InvalidInput as exc:
            raise ValidationError(str(exc.message)) from None
        if isinstance(result, str):
            field.data = result

    return validator


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def grouped_choices(groups, placeholder) -> list[SelectChoice]:
    """A select's options from [(group label, [(value, label), …]), …], after a placeholder option."""
    options = [SelectChoice("", placeholder)]
    for group, items in groups:
        options += [SelectChoice(value, label, optgroup=group) for value, label in items]
    return options


def form_view(view):
    """Exempt ``view`` from the global CSRF check: its form checks the token itself."""
    view.portal_form_view = True
    return csrf.exempt(view)


def save_form(form: PortalForm, action):
    """Run a service call for a validated form and commit; a refusal lands on the form.

    Returns the service's result (or True), or None when the service refused.
    """
    from portal.core.web import commit_action

    try:
        result = commit_action(action)
    except DomainError as exc:
        form.add_error(exc)
        return None
    return result if result is not None else True


def render_form(template: str, form: PortalForm, **context):
    status = 200
    if request.method == "POST" and form.has_errors:
        status = 400 if form.csrf_failed else (form.domain_status or 422)
    return render_template(template, form=form, **context), status
