"""Chinese labels of application kinds, statuses, roles and tracks (user-facing text)."""

from __future__ import annotations

KIND_LABELS = {
    "transfer": "转移登记",
    "mortgage": "抵押权首次登记",
    "mortgage_release": "抵押权注销登记",
}
STATUS_LABELS = {
    "awaiting_confirmation": "待各方确认",
    "submitted": "已提交",
    "accepted": "已受理",
    "reviewed": "已审核",
    "registered": "已登簿",
    "certified": "已缮证",
    "completed": "已办结",
    "correction_requested": "待补正",
    "rejected": "不予受理",
    "declined": "当事人不同意",
    "withdrawn": "已撤回",
}
ROLE_LABELS = {"obligor": "义务人", "obligee": "权利人"}
CHANNEL_LABELS = {"window": "窗口", "partner": "合作机构", "citizen": "微信"}
TRACK_LABELS = {"contract_filing": "网签备案", "tax": "缴税"}
MATERIAL_LABELS = {
    "id_document": "身份证明",
    "contract": "买卖合同",
    "tax_receipt": "完税凭证",
    "loan_contract": "借款合同",
    "mortgage_contract": "抵押合同",
    "power_of_attorney": "授权委托书",
    "other": "其他材料",
}
