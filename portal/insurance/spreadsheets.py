"""Staff enrolment from a spreadsheet, and a plan's roster exported to one.

An import of 10,000 rows is read in read-only mode (openpyxl streams the sheet) and handled in
chunks of ``CHUNK`` rows: one statement each for the chunk's people, memberships, enrolments and
renewals, the chunk's enrolments in one ``INSERT … RETURNING`` and their audit events in one more
(bench/insurance.py). Errors are said by row; with "all or nothing" a single error enrols nobody
(``ImportRefused``: the request's helper rolls back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.core import audit, scope
from portal.core.errors import DomainError
from portal.core.exports import unescape_spreadsheet
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_phone
from portal.core.time import local_today
from portal.extensions import db
from portal.insurance import services
from portal.insurance.models import InsuranceEnrolment, InsurancePlan
from portal.insurance.roster import check_plan_open, staff_enrolment_values

CHUNK = 500
ERRORS_SHOWN = 200
MAX_ROWS = 20_000
PAID_BY_WORDS = {  # the 缴费方式 column
    "union": "union",
    "工会": "union",
    "工会代缴": "union",
    "self": "self",
    "个人": "self",
    "个人缴费": "self",
}


HEADERS = {
    "phone": ("手机号", "手机号码", "phone", "mobile"),
    "id_number": ("身份证号", "身份证号码", "id_number", "id number"),
    "plan": ("项目编号", "保障项目", "plan", "plan code"),
    "paid_by": ("缴费方式", "缴费", "paid_by", "paid by"),
}


@dataclass
class ImportResult:
    rows: int = 0
    enrolled: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number in the sheet, message)
    error_count: int = 0
    applied: bool = True  # False: all or nothing, and something was wrong

    def error(self, row: int, message) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append((row, str(message)))


class BadFile(DomainError):
    status_code = 422


class ImportRefused(DomainError):
    """All or nothing, and some rows were wrong: nobody is enrolled (the transaction rolls back);
    ``result`` says which rows."""

    status_code = 422

    def __init__(self, result: ImportResult):
        super().__init__(_l("Nobody was enrolled: the file has errors, and you asked for all or nothing."))
        self.result = result


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unescape_spreadsheet(str(value).strip())


def _columns(header_row) -> dict[str, int]:
    found = {}
    for index, value in enumerate(header_row):
        text = _cell(value).lower()
        for key, names in HEADERS.items():
            if text in names and key not in found:
                found[key] = index
    if "plan" not in found or not ({"phone", "id_number"} & set(found)):
        raise BadFile(
            _l("The first row must name the columns: 手机号 or 身份证号, 项目编号, and 缴费方式 (工会 or 个人).")
        )
    return found


def import_xlsx(staff, stream, *, all_or_nothing: bool, today: date | None = None) -> ImportResult:
    """Enrol the members a sheet lists. Errors are said by row; with ``all_or_nothing`` a single
    error enrols nobody. Read-only: the sheet is streamed, never held whole."""
    from openpyxl import load_workbook

    today = today or local_today()
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl raises for a file that is not a workbook
        raise BadFile(_l("This is not an .xlsx file. Save it from Excel or WPS as .xlsx and try again.")) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise BadFile(_l("The file is empty."))
        columns = _columns(header)
        result = ImportResult()
        chunk: list[tuple[int, tuple]] = []
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") for v in values):
                continue
            result.rows += 1
            if result.rows > MAX_ROWS:
                raise BadFile(_l("At most %(num)d rows in one file.", num=MAX_ROWS))
            chunk.append((number, values))
            if len(chunk) >= CHUNK:
                _import_chunk(staff, chunk, columns, result, today)
                chunk = []
        if chunk:
            _import_chunk(staff, chunk, columns, result, today)
    finally:
        book.close()
    if all_or_nothing and result.error_count:
        result.applied, result.enrolled = False, 0
        raise ImportRefused(result)
    return result


def _import_chunk(staff, chunk, columns, result: ImportResult, today: date) -> None:
    from portal.accounts.models import ID_HASH_PURPOSE, User
    from portal.core import crypto
    from portal.core.validators import InvalidInput, parse_id_number
    from portal.membership.models import Membership

    def value(values, key):
        index = columns.get(key)
        return _cell(values[index]) if index is not None and index < len(values) else ""

    phones, hashes, parsed = set(), set(), []
    for number, values in chunk:
        phone, id_text = value(values, "phone"), value(values, "id_number")
        id_hash = None
        if id_text:
            try:
                id_hash = crypto.keyed_hash(parse_id_number(id_text).value, purpose=ID_HASH_PURPOSE)
            except InvalidInput as exc:
                result.error(number, exc.message)
                continue
        if not phone and not id_hash:
            result.error(number, _("Give the member's mobile number or ID number."))
            continue
        if phone:
            phones.add(phone)
        if id_hash:
            hashes.add(id_hash)
        parsed.append((number, phone, id_hash, value(values, "plan").upper(), value(values, "paid_by")))
    users = list(db.session.scalars(select(User).where((User.phone.in_(phones)) | (User.id_number_hash.in_(hashes)))))
    by_phone = {u.phone: u for u in users}
    by_hash = {u.id_number_hash: u for u in users if u.id_number_hash}
    user_ids = [u.id for u in users]
    members = {m.user_id: m for m in db.session.scalars(select(Membership).where(Membership.user_id.in_(user_ids)))}
    held = {
        (user_id, plan_id)
        for user_id, plan_id in db.session.execute(
            select(InsuranceEnrolment.user_id, InsuranceEnrolment.plan_id).where(
                InsuranceEnrolment.user_id.in_(user_ids)
            )
        )
    }
    plans: dict[str, InsurancePlan | None] = {}
    renewing: dict[int, set[int]] = {}  # plan id → members renewing it without a gap
    rows: list[dict] = []
    for number, phone, id_hash, code, paid_text in parsed:
        user = by_phone.get(phone) if phone else by_hash.get(id_hash)
        if user is None:
            result.error(number, _("No account with this mobile number or ID number."))
            continue
        if code not in plans:
            plans[code] = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == code))
        plan = plans[code]
        if plan is None:
            result.error(number, _("There is no plan %(code)s.", code=code or "—"))
            continue
        paid_by = PAID_BY_WORDS.get(paid_text.lower() if paid_text else "union")
        if paid_by is None:
            result.error(number, _("缴费方式 must be 工会 or 个人."))
            continue
        if (user.id, plan.id) in held:
            result.error(number, _("%(name)s is already enrolled in %(code)s.", name=user.name, code=plan.code))
            continue
        if plan.id not in renewing:
            renewing[plan.id] = services.renewing_members(user_ids, plan)
        try:
            check_plan_open(plan, today)
            rows.append(
                staff_enrolment_values(
                    staff,
                    plan,
                    user,
                    members.get(user.id),
                    paid_by=paid_by,
                    today=today,
                    source="import",
                    renewing=user.id in renewing[plan.id],
                )
            )
            held.add((user.id, plan.id))
        except DomainError as exc:
            result.error(number, exc.message)
    if not rows:
        return
    # The chunk's enrolments in one INSERT (their ids back, in order), then their audit events.
    try:
        with db.session.begin_nested():
            ids = db.session.scalars(
                insert(InsuranceEnrolment).returning(InsuranceEnrolment.id, sort_by_parameter_order=True), rows
            ).all()
    except IntegrityError:  # someone enrolled one of these members at the same moment
        raise BadFile(
            _l("Someone else enrolled some of these members meanwhile. Please send the file again.")
        ) from None
    audit.record_many(
        "insurance.enrolled",
        InsuranceEnrolment.__tablename__,
        [(ident, row["union_id"], row["status"]) for ident, row in zip(ids, rows, strict=True)],
        actor=staff,
    )
    result.enrolled += len(rows)


# --- Export ----------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    _l("Name"),
    _l("ID number"),
    _l("Mobile number"),
    _l("Union"),
    _l("Status"),
    _l("Paid by"),
    _l("Contribution (yuan)"),
    _l("Confirmed on"),
    _l("Cover from"),
    _l("Cover until"),
    _l("Paid out this plan year (yuan)"),
)


def export_rows(staff, plan: InsurancePlan):
    """One row per enrolment of ``plan`` in the staff member's unions: ID numbers and phones masked."""
    from portal.accounts.models import User
    from portal.core.i18n import fmt_date
    from portal.unions.models import Union

    stmt = (
        select(InsuranceEnrolment, User, Union.name)
        .join(User, User.id == InsuranceEnrolment.user_id)
        .join(Union, Union.id == InsuranceEnrolment.union_id)
        .where(InsuranceEnrolment.plan_id == plan.id)
        .order_by(Union.path, User.name, User.id)
    )
    for enrolment, user, union_name in db.session.execute(scope.scoped(stmt, staff, InsuranceEnrolment.union_id)):
        yield [
            user.name,
            user.id_number_masked if user.has_id_number else "",
            mask_phone(user.phone),
            union_name,
            enrolment.status_label,
            enrolment.paid_by_label,
            f"{enrolment.contribution:.2f}",
            fmt_date(enrolment.confirmed_at.date()) if enrolment.confirmed_at else "",
            fmt_date(enrolment.coverage_start) if enrolment.coverage_start else "",
            fmt_date(enrolment.coverage_end) if enrolment.coverage_end else "",
            f"{Decimal(enrolment.paid_fen) / 100:.2f}",
        ]
