"""Benchmark of the document renderers (plain script, not a test).

    PYTHONPATH=. python bench/bench_render.py [-n 30]

Prints median and p95 wall time per output, and the ratio to a baseline
measured in the same run: encoding a blank A4 page as PNG with Pillow at the
same resolution.  Ratios are comparable across machines; milliseconds are not.

Scenarios:
  warm        the same document again (fonts loaded, glyph caches hot)
  new names   every document has different holder/applicant names, so a few
              glyphs per PDF are new to the glyph cache (steady state in
              production after warm-up)
  cold glyphs the PDF glyph cache is emptied before each render (worst case:
              every glyph of the page converted again; the source face
              stays open)
The first render of the process (font discovery and loading) is shown apart.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

from PIL import Image

from miniapp_api.rendering import (
    DEFAULT_DPI,
    Holder,
    LicenseDocument,
    ProofDocument,
    pdf_fonts,
    render_license_pdf,
    render_license_png,
    render_proof_pdf,
    render_proof_png,
    warm_up,
)
from miniapp_api.rendering.samples import sample_license, sample_proof

LICENSE = replace(sample_license(), other_conditions=())
PROOF = sample_proof()

# Given-name characters for the "new names" scenario.
NAME_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉鹏宇浩然子轩梓涵一诺"
    "欣怡雨萱思远博文嘉懿俊熙晨阳佳琪诗琪欣妍梦瑶雅静紫萱语嫣若汐锦程天佑昊天奕辰"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"


def _name(i: int) -> str:
    n = len(NAME_CHARS)
    return SURNAMES[i % len(SURNAMES)] + NAME_CHARS[(i * 7) % n] + NAME_CHARS[(i * 13 + 5) % n]


def _license(i: int) -> LicenseDocument:
    return replace(LICENSE, holders=(Holder(_name(i), "50%"), Holder(_name(i + 101), "50%")))


def _proof(i: int) -> ProofDocument:
    unit = PROOF.units[0]._replace(holder_names=(_name(i),))
    return replace(PROOF, applicant_name=_name(i), units=(unit,))


def _blank_png() -> bytes:
    px = DEFAULT_DPI / 25.4
    image = Image.new("RGB", (round(210 * px), round(297 * px)), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _measure(fn: Callable[[int], object], n: int, before: Callable[[], None] | None = None):
    times = []
    for i in range(n):
        if before:
            before()
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="renders per measurement")
    args = parser.parse_args()
    n = args.n
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    start = time.perf_counter()
    render_license_png(LICENSE)
    render_license_pdf(LICENSE)
    first = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    warm_up(LICENSE.registry_name)
    warm = (time.perf_counter() - start) * 1000

    base_med, base_p95 = _measure(lambda i: _blank_png(), n)
    print(f"baseline: blank A4 PNG at {DEFAULT_DPI} dpi:", end=" ")
    print(f"median {base_med:.1f} ms, p95 {base_p95:.1f} ms")
    print(f"first PNG + PDF in a fresh process (font discovery and loading): {first:.0f} ms")
    print(f"warm_up() afterwards (glyph and seal caches): {warm:.0f} ms\n")

    cases = [
        ("license PNG", "warm", lambda i: render_license_png(LICENSE), None),
        ("license PDF", "warm", lambda i: render_license_pdf(LICENSE), None),
        ("proof PNG", "warm", lambda i: render_proof_png(PROOF), None),
        ("proof PDF", "warm", lambda i: render_proof_pdf(PROOF), None),
        ("license PNG", "new names", lambda i: render_license_png(_license(i)), None),
        ("license PDF", "new names", lambda i: render_license_pdf(_license(i)), None),
        ("proof PDF", "new names", lambda i: render_proof_pdf(_proof(i)), None),
        (
            "license PDF",
            "cold glyphs",
            lambda i: render_license_pdf(LICENSE),
            pdf_fonts.forget_glyphs,
        ),
    ]
    header = f"{'output':<12} {'scenario':<12} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}"
    print(header)
    print("-" * len(header))
    for name, scenario, fn, before in cases:
        med, p95 = _measure(fn, n, before)
        print(f"{name:<12} {scenario:<12} {med:>10.1f} {p95:>8.1f} {med / base_med:>10.1f}x")
    sizes = {
        "license PNG": render_license_png(LICENSE),
        "license PDF": render_license_pdf(LICENSE),
        "proof PNG": render_proof_png(PROOF),
        "proof PDF": render_proof_pdf(PROOF),
    }
    print("\nsizes: " + ", ".join(f"{k} {len(v) / 1024:.0f} KiB" for k, v in sizes.items()))
    print("targets: license PNG <= 150 ms, license PDF <= 250 ms (one core)")


if __name__ == "__main__":
    main()
