"""Chinese labels of utility services, steps and states (user-facing text)."""

from __future__ import annotations

SERVICE_LABELS = {"water": "水", "power": "电", "gas": "燃气"}
SERVICE_NAMES = {"water": "供水", "power": "供电", "gas": "供气"}
STEP_LABELS = {"check": "协办核验", "transfer": "过户"}
STATE_LABELS = {
    "pending_check": "待核验",
    "ok": "可过户",
    "arrears": "有欠费",
    "completed": "已过户",
    "failed": "失败",
}
