"""Offline verifier: ``python -m verify PHOTO_OR_URL --keys JWKS_FILE_OR_URL``.

Exit status: 0 valid; 3 malformed; 4 too_large; 5 unknown_key; 6 bad_signature;
7 expired; 8 not_yet_valid; 9 compromised_key; 10 no QR code / unreadable
input; 11 key set unavailable; 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

from .cose import DEFAULT_SKEW, Reason, Verdict, verify
from .keys import KeySet, b64url_encode
from .qr import read_qr

EXIT_CODES: dict[Reason, int] = {
    Reason.VALID: 0,
    Reason.MALFORMED: 3,
    Reason.TOO_LARGE: 4,
    Reason.UNKNOWN_KEY: 5,
    Reason.BAD_SIGNATURE: 6,
    Reason.EXPIRED: 7,
    Reason.NOT_YET_VALID: 8,
    Reason.COMPROMISED_KEY: 9,
}
EXIT_NO_TOKEN = 10
EXIT_NO_KEYS = 11
MAX_JWKS_BYTES = 1 << 20
_CST = timezone(timedelta(hours=8), "UTC+8")
_BASE32 = re.compile(r"[A-Za-z2-7]+")

REASON_TEXT: dict[Reason, tuple[str, str]] = {
    Reason.VALID: (
        "有效：签名正确，由登记机构签发",
        "valid: signature correct, issued by the registry",
    ),
    Reason.MALFORMED: (
        "无效：格式错误，不是本系统的核验码",
        "invalid: malformed, not a token of this system",
    ),
    Reason.TOO_LARGE: ("无效：数据过长", "invalid: token too large"),
    Reason.UNKNOWN_KEY: ("无效：签名密钥未知", "invalid: unknown signing key"),
    Reason.BAD_SIGNATURE: (
        "无效：签名不符，内容可能被篡改",
        "invalid: bad signature, content may be altered",
    ),
    Reason.EXPIRED: (
        "已过期：签名正确但已超过有效期",
        "expired: signature correct but past its validity",
    ),
    Reason.NOT_YET_VALID: ("尚未生效：签发时间晚于当前时间", "not yet valid: issued in the future"),
    Reason.COMPROMISED_KEY: ("无效：签名密钥已泄露作废", "invalid: signing key compromised"),
}


def load_jwks(source: str) -> KeySet:
    """Key set from a JWKS file path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        if source.startswith("http://"):
            print("警告 Warning: key set fetched over plain HTTP", file=sys.stderr)
        with urllib.request.urlopen(source, timeout=10) as resp:  # noqa: S310 - scheme checked
            data = resp.read(MAX_JWKS_BYTES + 1)
    else:
        with open(source, "rb") as fh:
            data = fh.read(MAX_JWKS_BYTES + 1)
    if len(data) > MAX_JWKS_BYTES:
        raise ValueError("JWKS document too large")
    return KeySet.from_jwks(json.loads(data))


def token_candidates(source: str) -> list[str]:
    """URL/token texts to try: read from an image file, or the argument itself."""
    if os.path.isfile(source):
        with open(source, "rb") as fh:
            texts = read_qr(fh.read())
        # Prefer texts that look like verification links.
        return sorted(texts, key=lambda t: "/V/" not in t.upper())
    if "://" in source or "/V/" in source.upper() or _BASE32.fullmatch(source.strip()):
        return [source]
    raise FileNotFoundError(f"no such image file: {source}")


def _time(ts: int | None) -> str:
    if ts is None:
        return "无 / none"
    try:
        return datetime.fromtimestamp(ts, _CST).strftime("%Y-%m-%d %H:%M:%S UTC+8")
    except (ValueError, OverflowError, OSError):  # beyond year 9999: iat/exp go to 2^53 - 1
        return f"{ts}（超出日期范围 / beyond year 9999）"


def render(verdict: Verdict, text: str, now: float) -> str:
    zh, en = REASON_TEXT[verdict.reason]
    lines = [
        f"核验结果 Result: {'通过 PASS' if verdict.ok else '不通过 FAIL'}",
        f"原因 Reason: {zh} / {en} [{verdict.reason}]",
    ]
    if verdict.detail:
        lines.append(f"说明 Detail: {verdict.detail}")
    if "/" in text:
        lines.append(f"链接 Link: {text}")
    if verdict.kid is not None:
        lines.append(f"密钥标识 Key id: {b64url_encode(verdict.kid)}")
    claims = verdict.claims
    if claims is not None:
        lines += [
            f"文件类型 Kind: {claims.kind.label_zh} / {claims.kind.label_en}",
            f"证书/证明编号 Number: {claims.number_text}",
            f"签发机构代码 Issuer code: {claims.iss}",
            f"文件标识 Document id: {claims.document_id.hex()}",
            f"签发时间 Issued at: {_time(claims.iat)}",
            f"有效期至 Valid until: {_time(claims.exp)}",
            f"内容摘要 Content digest: {claims.digest.hex()}",
        ]
    lines += [
        f"核验时间 Checked at: {_time(int(now))}",
        "注意：离线核验只证明该码由登记机构签发；注销、抵押、查封等现势状态请扫码在线查询。",
        "Note: an offline check proves the code was signed by the registry; for the current "
        "status (cancelled, mortgage, seizure) open the link online.",
    ]
    return "\n".join(lines)


def _utf8(stream: TextIO) -> None:
    try:
        "核验".encode(stream.encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m verify",
        description="Offline check of a registry verification QR code / 登记证明核验码离线核验",
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("source", help="photo or scan of the QR, or the URL / token text")
    parser.add_argument("--keys", required=True, help="JWKS file path or http(s) URL")
    parser.add_argument("--now", type=float, help="check time as Unix seconds (default: now)")
    parser.add_argument("--skew", type=int, default=DEFAULT_SKEW, help="allowed clock skew, s")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    args = parser.parse_args(argv)
    _utf8(sys.stdout)
    _utf8(sys.stderr)

    try:
        keyset = load_jwks(args.keys)
    except (OSError, ValueError) as exc:
        print(f"无法读取公钥集 / cannot load the key set: {exc}", file=sys.stderr)
        return EXIT_NO_KEYS
    try:
        candidates = token_candidates(args.source)
    except (OSError, ValueError) as exc:
        print(f"无法读取输入 / cannot read the input: {exc}", file=sys.stderr)
        return EXIT_NO_TOKEN
    if not candidates:
        print("图片中未找到二维码 / no QR code found in the image", file=sys.stderr)
        return EXIT_NO_TOKEN

    now = time.time() if args.now is None else args.now
    text = candidates[0]
    verdict = verify(text, keyset, now=now, skew=args.skew)
    if args.json:
        out: dict[str, Any] = verdict.to_dict()
        out["text"] = text
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(render(verdict, text, now))
    return EXIT_CODES[verdict.reason]
