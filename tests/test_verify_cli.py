"""verify: the offline verifier CLI (``python -m verify``) and package isolation."""

from __future__ import annotations

import http.server
import io
import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter

from verify import Reason, qr_png
from verify.cli import EXIT_CODES, EXIT_NO_KEYS, EXIT_NO_TOKEN, main

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
JWKS = str(VECTORS / "jwks.json")


def vector(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def photo_of(url: str, path: Path) -> Path:
    """A QR 'photo': on a larger noisy gray background, grainy, rotated 4 degrees, JPEG."""
    with Image.open(io.BytesIO(qr_png(url, scale=4))) as img:
        qr = img.convert("L")
    rng = random.Random(7)
    background = Image.effect_noise((qr.width + 400, qr.height + 300), 25)
    background = Image.eval(background, lambda v: int(v * 0.6 + 60))  # gray, not white
    background.paste(qr, (rng.randint(150, 250), rng.randint(100, 200)))
    # Sensor noise and a little defocus over everything, the QR included.
    grain = Image.effect_noise(background.size, 30)
    shot = Image.blend(background, grain, 0.15).filter(ImageFilter.GaussianBlur(0.5))
    rotated = shot.rotate(4.0, resample=Image.Resampling.BICUBIC, fillcolor=110)
    rotated.save(path, format="JPEG", quality=70)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verify", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_cli_verifies_a_photo_offline(tmp_path: Path) -> None:
    valid = vector("valid")
    photo = photo_of(valid["url"], tmp_path / "photo.jpg")
    result = run_cli(str(photo), "--keys", JWKS, "--now", str(valid["now"]))
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "通过 PASS" in out
    assert "[valid]" in out
    assert "不动产权证书 / Property certificate" in out
    assert "湘(2022)…不动产权第0001234号" in out
    assert valid["expected"]["claims"]["document_id"] in out
    assert valid["url"] in out


def test_cli_photo_of_an_expired_token_fails(tmp_path: Path) -> None:
    expired = vector("expired")
    photo = photo_of(expired["url"], tmp_path / "photo.jpg")
    result = run_cli(str(photo), "--keys", JWKS, "--now", str(expired["now"]))
    assert result.returncode == EXIT_CODES[Reason.EXPIRED]
    assert "已过期" in result.stdout and "不通过 FAIL" in result.stdout


@pytest.mark.parametrize("name", sorted(p.stem for p in VECTORS.glob("*.json")
                                        if p.stem not in ("jwks", "content_digest", "normalisation",
                                                          "jwks_rules")))  # fmt: skip
def test_cli_exit_code_per_vector(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    v = vector(name)
    code = main([v["url"] or v["token"], "--keys", JWKS, "--now", str(v["now"])])
    assert code == EXIT_CODES[v["expected"]["reason"]]
    assert (code == 0) is v["expected"]["ok"]
    assert f"[{v['expected']['reason']}]" in capsys.readouterr().out


def test_cli_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    v = vector("valid_housing_proof")
    assert main([v["token"], "--keys", JWKS, "--now", str(v["now"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reason"] == "valid" and out["claims"] == v["expected"]["claims"]


def test_cli_distinct_exit_codes() -> None:
    codes = [*EXIT_CODES.values(), EXIT_NO_TOKEN, EXIT_NO_KEYS, 2]
    assert len(codes) == len(set(codes))


def test_cli_input_and_key_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v = vector("valid")
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 255).save(blank)
    assert main([str(blank), "--keys", JWKS]) == EXIT_NO_TOKEN
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    assert main([str(junk), "--keys", JWKS]) == EXIT_NO_TOKEN
    assert main([str(tmp_path / "missing.jpg"), "--keys", JWKS]) == EXIT_NO_TOKEN
    assert main([v["url"], "--keys", str(tmp_path / "missing.json")]) == EXIT_NO_KEYS
    bad = tmp_path / "bad.json"
    bad.write_text('{"keys": {}}')
    assert main([v["url"], "--keys", str(bad)]) == EXIT_NO_KEYS
    assert "cannot load the key set" in capsys.readouterr().err


@pytest.fixture
def jwks_server() -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(VECTORS))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_cli_fetches_jwks_over_http(jwks_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    v = vector("valid")
    assert main([v["url"], "--keys", jwks_server, "--now", str(v["now"])]) == 0
    assert "[valid]" in capsys.readouterr().out
    missing = jwks_server.replace("jwks.json", "nope.json")
    assert main([v["url"], "--keys", missing]) == EXIT_NO_KEYS


def test_package_stands_alone() -> None:
    """Importing verify pulls in neither the web app nor the QR/image libraries."""
    code = (
        "import sys, verify\n"
        "bad = [m for m in ('flask', 'miniapp_api', 'segno', 'PIL', 'zxingcpp', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for path in (ROOT / "verify").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "miniapp_api" not in text and "flask" not in text.lower(), path
