import pytest

from miniapp_api.domain.masking import mask_contract_number, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("李", "李")]
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_id_number_keeps_first_six_and_last_four():
    assert mask_id_number("430681198203141234") == "430681********1234"


def test_mask_phone_keeps_first_three_and_last_four():
    assert mask_phone("13807301001") == "138****1001"


def test_mask_contract_number():
    assert mask_contract_number("MLWQ20250100001") == "MLWQ*******0001"
