from datetime import date

import pytest

from portal.core.masking import mask_id_number, mask_name, mask_phone
from portal.core.validators import (
    InvalidInput,
    check_password_strength,
    clean_line,
    clean_prose,
    fold_fullwidth,
    id_check_digit,
    normalise_mobile,
    normalise_name,
    parse_id_number,
    parse_int,
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
    assert mask_id_number("230110199003151237") == "2301*************7"  # see core/masking.py
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


# --- Digits: 0-9 only (after folding full-width), never what str.isdigit() accepts ----------


@pytest.mark.parametrize(
    "typed",
    [
        "138١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "1381234567٨",
        "13812345６7８".replace("６", "۶"),  # an Extended Arabic-Indic six
        "13812345²78",  # a superscript two (isdigit() is True, int() refuses it)
        "1381234５678".replace("５", "𝟓"),  # a mathematical bold five (NFKC would fold it)
    ],
)
def test_mobile_numbers_with_other_unicode_digits_are_refused(ctx, typed):
    with pytest.raises(InvalidInput):
        normalise_mobile(typed)


def test_id_numbers_with_other_unicode_digits_are_refused_and_full_width_ones_fold(ctx):
    number = valid_id_number()
    arabic = number[:5] + "٠١٢٣٤٥٦٧٨٩"[int(number[5])] + number[6:]
    with pytest.raises(InvalidInput):
        parse_id_number(arabic)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in number.lower())
    assert parse_id_number(full_width).value == number


@pytest.mark.parametrize(
    "raw, expected",
    [("42", 42), ("+7", 7), (" 3 ", 3), ("４２", 42), ("-5", -5), ("0", 0), (17, 17)],
)
def test_parse_int_takes_ascii_and_full_width_digits(ctx, raw, expected):
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    "raw", ["²", "¹", "١٢", "४२", "1e3", "4.0", "", None, "--1", "+-1", "1 000", "9" * 19, "0x10", "\x00"]
)
def test_parse_int_refuses_everything_else_with_a_reason(ctx, raw):
    with pytest.raises(InvalidInput) as caught:
        parse_int(raw, label="limit")
    assert "limit" in str(caught.value.message)


def test_parse_int_checks_the_range(ctx):
    assert parse_int("5", low=1, high=5) == 5
    for raw in ("0", "6"):
        with pytest.raises(InvalidInput):
            parse_int(raw, low=1, high=5)


# --- Prose keeps its Chinese punctuation ---------------------------------------------------

CHINESE_PROSE = "来的，门锁着，打电话也没人接！为什么？（下午三点）“暂停开放”《通知》：水、电；好。"


def test_clean_prose_keeps_chinese_punctuation_and_line_breaks(ctx):
    typed = f"  {CHINESE_PROSE}\r\n\r\n\r\n\r\n第二段\x00\u202e。  "
    assert clean_prose(typed) == f"{CHINESE_PROSE}\n\n第二段。"


def test_clean_line_keeps_punctuation_and_collapses_whitespace(ctx):
    assert clean_line(f"  {CHINESE_PROSE}\n 第二行\t ") == f"{CHINESE_PROSE} 第二行"
    assert clean_line("ＡＢＣ　驿站") == "ＡＢＣ 驿站"  # letters as typed; only the ideographic space folds


def test_clean_line_and_prose_refuse_overlong_text_with_the_limit(ctx):
    with pytest.raises(InvalidInput) as caught:
        clean_prose("字" * 501, max_length=500, field="note")
    assert caught.value.field == "note"
    assert "500" in str(caught.value.message)


def test_fold_fullwidth_touches_only_digits_letters_and_the_ideographic_space(ctx):
    assert fold_fullwidth("１２３ＡｂＣ　，。！？（）") == "123AbC ，。！？（）"


def test_names_keep_the_middle_dot_and_fold_full_width_letters(ctx):
    assert normalise_name(" 阿卜杜·热合曼 ") == "阿卜杜·热合曼"
    assert normalise_name("Ｍａｒｙ　Ｌｅｅ") == "Mary Lee"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("45.7077", 45.7077),
        ("４５.７", 45.7),
        ("-0.0000000001", 0.0),
        ("1e-320", None),
        ("١٢", None),
        ("nan", None),
        ("inf", None),
        ("91", None),
        ("12.34567891", 12.3456789),
        ("", None),
        (" 3 ", 3.0),
    ],
)
def test_decimal_or_none_takes_ascii_decimals_only_and_rounds(ctx, raw, expected):
    from portal.core.validators import decimal_or_none

    assert decimal_or_none(raw, low=-90, high=90, places=7) == expected
