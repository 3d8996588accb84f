"""The named demo citizens a newcomer (and the tests) can log in as.

ID numbers here are synthetic: region 430681, valid check digit, never a real person's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.validators import id_number_check_char


def synthetic_id(birth: str, seq: int) -> str:
    first17 = f"430681{birth}{seq:03d}"
    return first17 + id_number_check_char(first17)


@dataclass(frozen=True)
class DemoCitizen:
    key: str
    name: str
    id_number: str
    openid: str
    phone: str
    story: str


DEMO_CITIZENS: list[DemoCitizen] = [
    DemoCitizen(
        "zhang",
        "张建国",
        synthetic_id("19820314", 11),
        "o_demo_zhangjianguo",
        "13807301001",
        "owns a flat alone; spouse 李秀英 and a minor child; has 有房 proofs",
    ),
    DemoCitizen(
        "li",
        "李秀英",
        synthetic_id("19850622", 22),
        "o_demo_lixiuying",
        "13807301002",
        "spouse of 张建国; co-owns a second flat with him (共同共有)",
    ),
    DemoCitizen(
        "wang",
        "王志强",
        synthetic_id("19790105", 33),
        "o_demo_wangzhiqiang",
        "13807301003",
        "owns a mortgaged flat (抵押)",
    ),
    DemoCitizen(
        "zhao",
        "赵敏",
        synthetic_id("19960918", 44),
        "o_demo_zhaomin",
        "13807301004",
        "owns nothing in this registry (无房)",
    ),
    DemoCitizen(
        "chen",
        "陈浩",
        synthetic_id("19901127", 55),
        "o_demo_chenhao",
        "13807301005",
        "buying a new flat in 友阿悦玺 (交房即交证, at 契税缴纳)",
    ),
    DemoCitizen(
        "liu",
        "刘芳",
        synthetic_id("19880402", 64),
        "o_demo_liufang",
        "13807301006",
        "owns a seized flat (查封) and a flat under objection (异议)",
    ),
    DemoCitizen(
        "sun",
        "孙磊",
        synthetic_id("19750730", 77),
        "o_demo_sunlei",
        "13807301007",
        "had a certificate replaced (换证) and one cancelled (注销)",
    ),
    DemoCitizen(
        "zhou",
        "周婷",
        synthetic_id("19930215", 88),
        "o_demo_zhouting",
        "13807301008",
        "buyer in 欢乐水岸 whose deed was issued; keys and deed handed over",
    ),
]

CHILD = DemoCitizen(
    "zhang_child",
    "张子涵",
    synthetic_id("20150808", 12),
    "",
    "",
    "minor child of 张建国 and 李秀英",
)
# A WeChat user who has not bound a real name yet (for the binding flow).
UNBOUND_OPENID = "o_demo_newcomer"
