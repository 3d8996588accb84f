"""Rules every client input obeys, in one place (docs/errors.md, "Input rules").

- Integers must fit the database's INTEGER. Ids in URL paths are 0 … 2^31−1 (a larger one
  cannot exist: 404); integers in query strings and bodies are −2^31 … 2^31−1 (422).
- Text is valid Unicode without NUL, lone surrogates or other control characters (tab, line
  feed and carriage return allowed): 422. A NUL in the URL path: 400.
- A JSON body must be an object with the documented fields only: anything else is 422
  (`InputSchema` refuses unknown fields). Query parameters an endpoint does not use are
  ignored (links get tracking parameters appended in WeChat); one it uses given twice
  (`?page=1&page=2`) is 422.

Request schemas (`@bp.arguments`) derive from `InputSchema`; response schemas need not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, request
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

from .errors import Problem

F = TypeVar("F", bound=Callable[..., Any])

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

# C0 controls other than tab/LF/CR, DEL, and UTF-16 surrogates (a lone one cannot be stored).
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


# JSON bodies: at most this many nested arrays/objects (our bodies need three), and no number
# longer than this many digits (Python refuses integers over 4,300 digits; ours fit in 10).
MAX_JSON_DEPTH = 32
MAX_JSON_NUMBER_DIGITS = 100
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_JSON_LONG_NUMBER = re.compile(rb"\d{%d,}" % (MAX_JSON_NUMBER_DIGITS + 1))


BODY_LIMIT_ATTR = "max_content_length"


def allow_body(limit: int) -> Callable[[F], F]:
    """Let one view take a body up to ``limit`` bytes instead of ``MAX_CONTENT_LENGTH``
    (``observability.check_body`` sets Flask's per-request ``request.max_content_length``).
    Put it under the route decorator; ``functools.wraps`` carries it to the outer wrappers."""

    def mark(view: F) -> F:
        setattr(view, BODY_LIMIT_ATTR, limit)
        return view

    return mark


def json_body_is_hostile(body: bytes) -> bool:
    """True when a JSON body nests deeper than MAX_JSON_DEPTH or holds a number of more than
    MAX_JSON_NUMBER_DIGITS digits (outside strings): the parser would recurse until Python's
    limit or refuse the integer with an error that is not a decoding error. Cheap for
    ordinary bodies: the full scan runs only when the counts make it possible."""
    if (
        body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH
        and _JSON_LONG_NUMBER.search(body) is None
    ):
        return False
    bare = _JSON_STRING.sub(b'""', body)
    if _JSON_LONG_NUMBER.search(bare) is not None:
        return True
    depth = 0
    for match in _JSON_BRACKET.finditer(bare):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        else:
            depth -= 1
    return False


# Printed text (one rule for every text field: it may end up on a certificate page, an
# annotated copy or a proof): no bidi controls (a U+202E "right-to-left override" makes
# 院法 read as 法院 on the public /v/ page), no zero-width or other invisible format
# characters, no emoji, pictographs or variation selectors (our CJK font cannot print them),
# no private-use or non-character code points. Rare CJK ideographs beyond the BMP (names) and
# ordinary full-width punctuation and symbols (※ ℃ №) are fine.
# (CJK ideographs up to Extension H, U+20000-U+323AF, stay allowed.)
_UNPRINTABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u2028-\u202e\u2060-\u206f\u2600-\u27bf\u2b00-\u2bff\u3164\ue000-\uf8ff"
    "\ufe00-\ufe0f\ufeff\ufff0-\uffff\U00010000-\U0001ffff\U000323b0-\U0010ffff]"
)


def has_bad_text(value: str) -> bool:
    """NUL, another control character (not tab/LF/CR) or a lone surrogate in `value`."""
    return _BAD_TEXT.search(value) is not None


def has_unprintable_text(value: str) -> bool:
    """Bidi controls, zero-width characters, emoji or other code points that cannot be
    printed on a document (see ``_UNPRINTABLE``)."""
    return _UNPRINTABLE.search(value) is not None


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes: at most INT_MAX, so a huge id is a plain 404 (not a DB error)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = INT_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class CleanText(validate.Validator):
    """Refuses NUL, other control characters, lone surrogates and unprintable characters."""

    error = "含有无效字符（控制字符或不完整的编码），请检查后重新填写"
    unprintable = "含有无法打印的字符（如表情符号、零宽字符或文字方向控制符），请删除后重新填写"

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            if has_bad_text(value):
                raise ValidationError(self.error)
            if has_unprintable_text(value):
                raise ValidationError(self.unprintable)
        return value


# Chinese defaults for marshmallow's built-in messages (field-specific ones stay per schema).
_MESSAGES: dict[type, dict[str, str]] = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "填写的值无效"},
    fields.String: {"invalid": "请填写文字", "invalid_utf8": "不是有效的 UTF-8 文字"},
    fields.Integer: {"invalid": "请填写整数", "too_large": "数值过大"},
    fields.Number: {"invalid": "请填写数字", "too_large": "数值过大"},
    fields.Boolean: {"invalid": "请填写 true 或 false"},
    fields.List: {"invalid": "请提供列表"},
    fields.Dict: {"invalid": "请提供对象"},
    fields.Nested: {"type": "请提供对象"},
    fields.DateTime: {"invalid": "日期时间格式不正确"},
    fields.Date: {"invalid": "日期格式不正确"},
}


def _harden(field: fields.Field) -> None:
    """Add the input rules to one bound field (and to the items of a list).

    Bound fields are shallow copies sharing `validators` and `error_messages` with the
    declared field, so both are replaced, never changed in place.
    """
    builtin: dict[str, Any] = {}  # marshmallow's English defaults
    chinese: dict[str, str] = {}
    for cls in reversed(type(field).__mro__):
        if cls.__module__.startswith("marshmallow."):
            builtin.update(cls.__dict__.get("default_error_messages", {}))
        chinese.update(_MESSAGES.get(cls, {}))
    field.error_messages = {
        **field.error_messages,
        **{
            key: message
            for key, message in chinese.items()
            if field.error_messages.get(key) == builtin.get(key)  # not set by our own code
        },
    }
    if isinstance(field, fields.Integer):
        field.validators = [*field.validators, _INT_RANGE]
    elif isinstance(field, fields.String):
        field.validators = [*field.validators, _CLEAN_TEXT]
    if isinstance(field, fields.List):
        _harden(field.inner)
    elif isinstance(field, fields.Tuple):
        for item in field.tuple_fields:
            _harden(item)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        _harden(field.value_field)


_INT_RANGE = validate.Range(min=INT_MIN, max=INT_MAX, error="数值超出允许范围")
_CLEAN_TEXT = CleanText()


class InputSchema(Schema):
    """Base of every request schema: strict about unknown fields, integers and text."""

    class Meta:
        unknown = RAISE  # documented as additionalProperties: false

    error_messages = {"unknown": "不支持的字段", "type": "请提交 JSON 对象"}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _harden(field_obj)

    @pre_load
    def _json_integers_are_integers(self, data: Any, **_: Any) -> Any:
        """In a JSON body an integer field takes a JSON integer: not 1.5 (marshmallow would
        quietly make it 1), "30" or true. Query strings stay text and are converted."""
        if isinstance(data, dict):
            wrong = {
                key: [field.error_messages["invalid"]]
                for name, field in self.load_fields.items()
                if isinstance(field, fields.Integer)
                and (key := field.data_key or name) in data
                and data[key] is not None
                and (isinstance(data[key], bool) or not isinstance(data[key], int))
            }
            if wrong:
                raise ValidationError(wrong)
        return data

    @pre_load
    def _refuse_repeated_parameters(self, data: Any, **_: Any) -> Any:
        """`?page=1&page=2` is ambiguous: 422 rather than silently taking the first."""
        multi = getattr(data, "data", None)  # webargs' MultiDictProxy over args, form or files
        if isinstance(multi, MultiDict):
            repeated = {
                name: ["只能提供一个值"]
                for name, field in self.load_fields.items()
                if not isinstance(field, fields.List | fields.Tuple)
                and len(multi.getlist(field.data_key or name)) > 1
            }
            if repeated:
                raise ValidationError(repeated)
        return data


class UploadRequest(Request):
    """Closes every upload spool at the end of the request, including the ones werkzeug's
    multipart parser opened for a body it then refused (too many parts, a field over the form
    memory limit, a truncated body): those never reach `request.files`, so `Request.close()`
    does not see them and the temporary file lingered until garbage collection."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        stream = super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )
        self.__dict__.setdefault("_upload_spools", []).append(stream)
        return stream

    def close(self) -> None:
        try:
            super().close()
        finally:
            for stream in self.__dict__.pop("_upload_spools", []):
                stream.close()


def init_app(app: Flask) -> None:
    """Bounded `<int:...>` converter (before routes are added), the URL NUL check, and
    requests that close their upload spools."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = UploadRequest

    @app.before_request
    def refuse_nul_in_path() -> None:
        # Path segments reach database lookups unvalidated (<string:...>); query values go
        # through the endpoint's schema (422 per field).
        if "\x00" in request.path:
            raise Problem(400, "bad_request", "链接中含有无效字符")
