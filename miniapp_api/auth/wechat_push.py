"""WeChat server push: signature check and safe parsing of the pushed XML messages.

WeChat posts small UTF-8 XML documents (`<xml><ToUserName>…</ToUserName>…</xml>`) in
plaintext mode. The body is size-limited, must be UTF-8, may not declare a DOCTYPE or
entities (no entity expansion, no external resources), and is parsed with defusedxml when
it is installed, else with the standard library after those checks.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

log = logging.getLogger(__name__)

try:  # pragma: no cover - depends on the environment
    from defusedxml import ElementTree as _SafeET  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover
    _SafeET = None

MAX_FIELDS = 64
MAX_FIELD_CHARS = 8192
_DECLARATION_RE = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_ENCODING_RE = re.compile(r"^\s*<\?xml[^>]*encoding\s*=\s*['\"]([^'\"]+)['\"]", re.IGNORECASE)

# Features that react to pushed messages (e.g. subscribe/unsubscribe events) append
# callables here; each gets the message fields (MsgType, Event, FromUserName, …).
PUSH_HANDLERS: list[Callable[[dict[str, str]], None]] = []


class BadMessage(ValueError):
    """The pushed body is not a WeChat XML message we accept."""


def parse_message(body: bytes) -> dict[str, str]:
    """Turn a pushed XML body into {field: text}; BadMessage when refused."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadMessage("not UTF-8") from exc
    if _DECLARATION_RE.search(text):
        raise BadMessage("DTD or entity declarations are not accepted")
    declared = _ENCODING_RE.match(text)
    if declared and declared.group(1).strip().lower().replace("_", "-") not in {"utf-8", "utf8"}:
        raise BadMessage("only UTF-8 is accepted")
    data = text.encode("utf-8")
    try:
        if _SafeET is not None:
            root = _SafeET.fromstring(data, forbid_dtd=True)
        else:
            root = ET.fromstring(data)  # noqa: S314 (no DTD, so no entities, see above)
    except Exception as exc:  # ParseError and defusedxml's refusals
        raise BadMessage(type(exc).__name__) from exc
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    fields: dict[str, str] = {}
    for child in list(root)[: MAX_FIELDS + 1]:
        if len(fields) >= MAX_FIELDS:
            raise BadMessage("too many fields")
        value = "".join(child.itertext()).strip()
        if len(value) > MAX_FIELD_CHARS:
            raise BadMessage("field too long")
        fields[str(child.tag)] = value
    return fields


def dispatch(message: dict[str, str]) -> None:
    """Hand a message to the registered handlers; one failing handler never stops the answer."""
    log.info(
        "wechat push received",
        extra={"msg_type": message.get("MsgType", ""), "event": message.get("Event", "")},
    )
    for handler in PUSH_HANDLERS:
        try:
            handler(message)
        except Exception:  # a handler bug must not make WeChat retry forever
            log.exception("wechat push handler failed", extra={"handler": repr(handler)})
