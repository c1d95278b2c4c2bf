"""ISBNs as staff type them, scan them or paste them from a spreadsheet: read as 13 digits, or
refused with a reason that says what to fix."""

import pytest
from flask_babel import force_locale

from portal.core.isbn import format_isbn13, isbn13_check_digit, parse_isbn
from portal.core.validators import InvalidInput

PYTHON_BOOK = "9787115546081"  # Python编程：从入门到实践（第2版），人民邮电出版社

LENGTH = "An ISBN has 13 digits (or 10, the last of which may be X)."
CHECK_DIGIT = "This ISBN's last digit does not match: please check it."
PREFIX = "An ISBN-13 starts with 978 or 979."


@pytest.fixture
def ctx(ctx):
    """Messages in English (the message ids): what is asserted is the rule, not the catalogue."""
    with force_locale("en"):
        yield


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (PYTHON_BOOK, PYTHON_BOOK),
        ("978-7-115-54608-1", PYTHON_BOOK),  # hyphens as printed
        ("978 7 115 54608 1", PYTHON_BOOK),  # spaces
        ("  9787115546081  ", PYTHON_BOOK),
        ("978–7–115–54608–1", PYTHON_BOOK),  # en dashes from a word processor
        ("978\u00a07\u00a0115\u00a054608\u00a01", PYTHON_BOOK),  # no-break spaces copied from a web page
        ("９７８７１１５５４６０８１", PYTHON_BOOK),  # full-width digits from a Chinese keyboard
        ("９７８－７－１１５－５４６０８－１", PYTHON_BOOK),  # and a full-width hyphen
        ("ISBN 978-7-115-54608-1", PYTHON_BOOK),  # as on the copyright page
        ("ISBN：978-7-115-54608-1", PYTHON_BOOK),
        ("isbn:9787115546081", PYTHON_BOOK),
        ("ISBN-13: 978-7-115-54608-1", PYTHON_BOOK),
        ("ISBN-13 9787115546081", PYTHON_BOOK),
        ("7115546088", PYTHON_BOOK),  # the same book's ISBN-10, converted
        ("7-115-54608-8", PYTHON_BOOK),
        ("ISBN-10: 7-115-54608-8", PYTHON_BOOK),
        ("080442957X", "9780804429573"),  # an ISBN-10 whose check character is X …
        ("0-8044-2957-x", "9780804429573"),  # … typed in lower case
        ("9791032305690", "9791032305690"),  # the 979 range
    ],
)
def test_isbns_are_read_as_thirteen_digits(ctx, typed, expected):
    assert parse_isbn(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("9787115546082", CHECK_DIGIT),  # last digit wrong
        ("9787115546018", CHECK_DIGIT),  # two digits swapped
        ("7115546089", CHECK_DIGIT),  # an ISBN-10 with a wrong check digit
        ("0804429570", CHECK_DIGIT),  # … where X was due
        ("1234567890128", PREFIX),  # 13 digits, but not a book's number (an EAN of something else)
        ("978711554608", LENGTH),  # 12 digits: one missing
        ("97871155460811", LENGTH),  # 14 digits: one too many
        ("978711554608X", LENGTH),  # X only ends an ISBN-10
        ("X115546088", LENGTH),  # … and only at the end
        ("978711554608A", LENGTH),  # a letter
        ("Python编程", LENGTH),  # a title in the ISBN column
        ("", LENGTH),
        (None, LENGTH),
        ("٩٧٨٧١١٥٥٤٦٠٨١", LENGTH),  # Arabic-Indic digits are not 0-9
        ("⁹⁷⁸⁷¹¹⁵⁵⁴⁶⁰⁸¹", LENGTH),  # nor are superscripts
        ("978.7.115.54608.1", LENGTH),  # dots are not separators of an ISBN
    ],
)
def test_wrong_isbns_are_refused_with_the_reason(ctx, typed, message):
    with pytest.raises(InvalidInput) as refused:
        parse_isbn(typed)
    assert str(refused.value.message) == message
    assert refused.value.field == "isbn"


def test_the_refusal_names_the_field_it_was_asked_for(ctx):
    with pytest.raises(InvalidInput) as refused:
        parse_isbn("12345", field="code")
    assert refused.value.field == "code"


def test_check_digit_and_display():
    assert isbn13_check_digit("978711554608") == "1"
    assert isbn13_check_digit("978080442957") == "3"
    assert format_isbn13(PYTHON_BOOK) == "978-7115546081"
