import pytest

from miniapp_api.domain import validators as v


@pytest.mark.parametrize(
    "value", ["11010519491231002X", "430681198203140116", "11010519491231002x"]
)
def test_valid_id_numbers_pass(value):
    assert v.is_valid_id_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check digit
        "11010519491331002X",  # month 13
        "11010518991231002X",  # before 1900
        "1101051949123100",  # too short
        "11010519491231002Y",  # not a check character
        "",
    ],
)
def test_invalid_id_numbers_fail(value):
    assert not v.is_valid_id_number(value)


def test_id_number_gives_birth_date_and_gender():
    assert v.birth_date_of("430681198203140116").isoformat() == "1982-03-14"
    assert v.gender_of("430681198203140116") == "M"
    assert v.gender_of("430681198506220228") == "F"


@pytest.mark.parametrize("value", ["430681001001GB00001F00010001", "430681012005JC12345W00000000"])
def test_valid_unit_numbers_pass(value):
    assert v.is_valid_unit_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "430681001001GB00001X00010001",  # fixture code must be F/L/Q/W
        "430681001001G100001F00010001",  # parcel feature code is two letters
        "430681001001GB00001F0001000",  # 27 characters
        "430681001001gb00001F00010001",  # lower case
    ],
)
def test_invalid_unit_numbers_fail(value):
    assert not v.is_valid_unit_number(value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("湘(2022)汨罗市不动产权第0001234号", "property"),
        ("湘（2022）汨罗市不动产权第0001234号", "property"),
        ("湘(2019)汨罗市不动产证明第0000007号", "registration"),
    ],
)
def test_certificate_numbers_parse(value, kind):
    parts = v.parse_certificate_number(value)
    assert parts is not None
    assert parts["kind"] == kind


@pytest.mark.parametrize(
    "value",
    [
        "湘(22)汨罗市不动产权第0001234号",
        "湘(2022)汨罗市不动产权第001234号",
        "(2022)汨罗市不动产权第0001234号",
        "湘(2022)汨罗市房产证第0001234号",
    ],
)
def test_bad_certificate_numbers_fail(value):
    assert not v.is_valid_certificate_number(value)


def test_certificate_number_format_round_trips():
    number = v.format_certificate_number("湘", 2022, "汨罗市", "property", 1234)
    assert number == "湘(2022)汨罗市不动产权第0001234号"
    assert v.is_valid_certificate_number(number)


def test_uscc_check_char():
    # GB 32100-2015 example-style code with a known check character.
    assert v.is_valid_uscc("91350100M000100Y43")
    assert not v.is_valid_uscc("91350100M000100Y44")


def test_license_id_round_trip_and_check():
    lid = v.make_license_id(v.LICENSE_TYPE_PROPERTY, "12430681MB1D5443XD", 42)
    assert lid.startswith("1.2.156.3005.2.11100000MB03271699001.12430681MB1D5443XD.42.001.")
    assert v.is_valid_license_id(lid)


def test_license_id_detects_every_single_character_change():
    lid = v.make_license_id(v.LICENSE_TYPE_REGISTRATION, "12430681MB1D5443XD", 7)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for index, char in enumerate(lid[:-2]):
        if char not in alphabet:
            continue
        replacement = alphabet[(alphabet.index(char) + 1) % 36]
        altered = lid[:index] + replacement + lid[index + 1 :]
        assert not v.is_valid_license_id(altered), altered


def test_iso7064_check_char_known_value():
    # MOD 37,36 hybrid: the whole string including its check character yields remainder 1.
    body = "A1B2C3"
    check = v.iso7064_mod37_36_check_char(body)
    p = 36
    for char in body + check:
        s = (p + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".index(char)) % 36 or 36
        p = (s * 2) % 37
    assert s == 1
