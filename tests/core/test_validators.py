from datetime import date

import pytest

from portal.core.masking import mask_id_number, mask_name, mask_phone
from portal.core.validators import (
    InvalidInput,
    check_password_strength,
    id_check_digit,
    normalise_mobile,
    normalise_name,
    parse_id_number,
)
from tests.helpers import valid_id_number


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits from a Chinese IME
        ("19912345678", "19912345678"),
    ],
)
def test_mainland_mobile_numbers_are_normalised(ctx, typed, expected):
    assert normalise_mobile(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "+1 415 555 0100",
        "+852 9123 4567",
        "13812345abc",
        "phone",
    ],
)
def test_malformed_or_foreign_numbers_are_refused(ctx, typed):
    with pytest.raises(InvalidInput) as exc:
        normalise_mobile(typed)
    assert exc.value.field == "phone"


def test_check_digit_follows_gb11643():
    # The worked example of GB 11643-1999: 11010519491231002X.
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("34052419800101001") == "X"  # the widely cited sample number
    assert id_check_digit("44052419800101001") == "3"


def test_id_number_gives_birth_date_gender_and_region(ctx):
    parsed = parse_id_number("11010519491231002x")
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "female"
    assert parsed.region_code == "110105"
    male = parse_id_number(valid_id_number(seq="013"))
    assert male.gender == "male"


@pytest.mark.parametrize(
    "bad",
    [
        "11010519491231002",  # 17 characters
        "1101051949123100200",  # 19 characters
        "11010519491231002Y",  # letter other than X
        "110105194912310021",  # wrong check digit
        "990105194912310028",  # no such region
    ],
)
def test_malformed_id_numbers_are_refused(ctx, bad):
    with pytest.raises(InvalidInput):
        parse_id_number(bad)


def test_impossible_birth_dates_are_refused(ctx):
    feb30 = "23011019900230123"
    with pytest.raises(InvalidInput):
        parse_id_number(feb30 + id_check_digit(feb30))
    future = "23011020990101123"
    with pytest.raises(InvalidInput):
        parse_id_number(future + id_check_digit(future), today=date(2026, 11, 25))
    too_old = "23011018891231123"
    with pytest.raises(InvalidInput):
        parse_id_number(too_old + id_check_digit(too_old))


def test_age_counts_birthdays(ctx):
    parsed = parse_id_number(valid_id_number(birth="20101126"))
    assert parsed.age_on(date(2026, 11, 25)) == 15
    assert parsed.age_on(date(2026, 11, 26)) == 16


@pytest.mark.parametrize("password", ["short1!", "allletters", "12345678901", "password123", "aaaaaaaa1"])
def test_weak_passwords_are_refused(ctx, password):
    with pytest.raises(InvalidInput):
        check_password_strength(password)


def test_password_may_not_contain_the_phone(ctx):
    with pytest.raises(InvalidInput):
        check_password_strength("a13812345678", phone="13812345678")
    assert check_password_strength("Gonghui2026") == "Gonghui2026"
    assert check_password_strength("骑手加油2026") == "骑手加油2026"


@pytest.mark.parametrize("name", ["张伟", "欧阳娜娜", "阿卜杜拉·艾则孜", "Li Wei"])
def test_real_names_are_accepted(ctx, name):
    assert normalise_name(name) == name


@pytest.mark.parametrize("name", ["", "   ", "张伟123", "<script>", "x" * 51])
def test_bad_names_are_refused(ctx, name):
    with pytest.raises(InvalidInput):
        normalise_name(name)


def test_masks_show_only_what_is_needed():
    assert mask_id_number("230110199003151237") == "2301**********1237"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
