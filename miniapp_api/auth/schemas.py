"""Request and response schemas of the auth endpoints (marshmallow)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from ..domain.validators import is_valid_id_number, normalize_id_number
from ..inputs import InputSchema
from . import service

STATE_RE = r"^[A-Za-z0-9]{1,128}$"


class AuthorizeQuerySchema(InputSchema):
    next = fields.String(
        load_default=None,
        metadata={"description": "登录后返回的本站路径，例如 /app/proofs（只接受本站路径）"},
    )

    @validates("next")
    def _check_next(self, value: str | None, **_: Any) -> None:
        if value is not None and not service.is_safe_next(value):
            raise ValidationError("只能返回本站页面")


class WechatLoginSchema(InputSchema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "微信网页授权回调中的 code"},
    )
    state = fields.String(
        required=True,
        validate=validate.Regexp(STATE_RE, error="登录状态参数无效"),
        metadata={"description": "授权跳转时生成的 state（单次有效）"},
    )


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "访问令牌有效秒数"})
    identity_bound = fields.Boolean(required=True, metadata={"description": "是否已实名认证"})


class LoginResultSchema(TokenPairSchema):
    next = fields.String(required=True, metadata={"description": "登录后应返回的本站路径"})


class RefreshSchema(InputSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class IdentitySchema(InputSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=2, max=64, error="请填写真实姓名"),
        metadata={"description": "真实姓名"},
    )
    id_number = fields.String(
        required=True,
        validate=validate.Length(min=18, max=18, error="身份证号码应为18位"),
        metadata={"description": "18 位居民身份证号码（不会被记录到日志或审计）"},
    )

    @validates("name")
    def _check_name(self, value: str, **_: Any) -> None:
        if not service.normalize_name(value) or any(ord(c) < 32 for c in value):
            raise ValidationError("请填写真实姓名")

    @validates("id_number")
    def _check_id_number(self, value: str, **_: Any) -> None:
        if not is_valid_id_number(normalize_id_number(value)):
            raise ValidationError("身份证号码有误，请核对后重新输入")


class ProfileSchema(Schema):
    identity_bound = fields.Boolean(required=True)
    name = fields.String(allow_none=True, metadata={"description": "本人姓名（仅本人可见）"})
    id_number_masked = fields.String(
        allow_none=True, metadata={"description": "脱敏身份证号，如 430681********1234"}
    )
    phone_masked = fields.String(allow_none=True, metadata={"description": "脱敏手机号"})
    bound_at = fields.DateTime(allow_none=True, metadata={"description": "实名认证时间（UTC）"})


class JssdkQuerySchema(InputSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "调用 wx.config 的页面完整地址（本站页面，# 之后的部分会被忽略）"},
    )

    @validates("url")
    def _check_url(self, value: str, **_: Any) -> None:
        if not service.is_own_page_url(value):
            raise ValidationError("只能为本站页面生成 JS-SDK 配置")


class JssdkConfigSchema(Schema):
    appId = fields.String(required=True)
    timestamp = fields.Integer(required=True)
    nonceStr = fields.String(required=True)
    signature = fields.String(required=True)


class StaffLoginSchema(InputSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class StaffTokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True)
    role = fields.String(required=True, metadata={"description": "clerk 或 admin"})
    username = fields.String(required=True)
