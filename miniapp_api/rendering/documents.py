"""Page layouts of the annotated e-license copy and of the housing proof."""

from __future__ import annotations

import math
from collections.abc import Callable

from .components import (
    PT,
    Table,
    fmt_date,
    fmt_datetime,
    qr_block,
    seal,
    watermark,
    watermark_text,
)
from .fonts import FontSet
from .layout import (
    A4_HEIGHT_MM,
    A4_WIDTH_MM,
    BLACK,
    GREY,
    HINTING_SLACK,
    DocumentTooLong,
    Line,
    Page,
    QRCode,
    Rect,
    Text,
    wrap,
)
from .models import LicenseDocument, ProofDocument, format_area

MARGIN = 18.0
QR_SIZE = 34.0
BOTTOM_MARGIN = 14.0
ANNOTATION_HEIGHT = 52.0
PROOF_FOOTER_HEIGHT = 48.0
SEAL_RADIUS = 20.0
SEAL_DROP = 3.0  # seal centre below the issuer name's baseline (covers name and date)
SEAL_ABOVE = SEAL_RADIUS - SEAL_DROP + 2.0  # room needed above the baseline
SEAL_BELOW = SEAL_DROP + SEAL_RADIUS + 1.0  # room needed below the baseline
SCALES = (1.0, 0.92, 0.84, 0.76)
MAX_HEIGHT = 3 * A4_HEIGHT_MM


def _fit(build: Callable[[float, float], tuple[Page, float, float]]) -> Page:
    """Fit the flowing content above the fixed bottom block.

    First on A4 with decreasing type scale; content that still does not fit
    (e.g. a family owning a dozen flats) gets a longer page at the smallest
    scale rather than an error, up to ``MAX_HEIGHT``.
    """
    for scale in SCALES:
        page, bottom, limit = build(scale, A4_HEIGHT_MM)
        if bottom <= limit:
            return page
    height = math.ceil(A4_HEIGHT_MM + bottom - limit)
    if height > MAX_HEIGHT:
        raise DocumentTooLong("the document does not fit on three A4 page lengths")
    page, bottom, limit = build(SCALES[-1], height)
    return page


def _header(page: Page, title: str, subtitle: str) -> float:
    """Title and subtitle, centred; returns the y below them."""
    page.add(Text(page.width / 2, 30.0, title, 24, bold=True, color=BLACK, align="c"))
    page.add(Text(page.width / 2, 39.0, subtitle, 11.5, color=GREY, align="c"))
    return 46.0


def _annotation_box(
    page: Page,
    fonts: FontSet,
    top: float,
    heading: str,
    lines: list[tuple[str, str]],
    url: str,
    value_right: float = A4_WIDTH_MM,
) -> float:
    """The framed block at the page bottom: key/value lines left, QR right.

    Returns the x of the divider left of the QR code.
    """
    left = MARGIN
    right = page.width - MARGIN
    bottom = page.height - BOTTOM_MARGIN
    page.add(Rect(left, top, right - left, bottom - top, 0.4))
    qr_x = right - QR_SIZE - 4.0
    qr_y = top + 3.0
    for op in qr_block(qr_x, qr_y, QR_SIZE, url, fonts):
        page.add(op)
    page.add(Line(qr_x - 4.0, top, qr_x - 4.0, bottom, 0.3))
    size = 9.5
    line_h = size * PT * 1.62
    page.add(Text(left + 4.0, top + 7.0, heading, 11, bold=True, color=BLACK))
    key_w = max(fonts.bold.text_width(key + "：", size) for key, _ in lines)
    value_w = min(value_right, qr_x - 8.0) - (left + 4.0 + key_w)
    y = top + 7.0 + line_h * 1.25
    for key, value in lines:
        page.add(Text(left + 4.0, y, key + "：", size, bold=True))
        for part in wrap(value, value_w, size, fonts):
            page.add(Text(left + 4.0 + key_w, y, part, size))
            y += line_h
    return qr_x - 4.0


def _issuer(
    page: Page, fonts: FontSet, y: float, label: str, name: str, when: str, right: float
) -> None:
    """Issuer name and date ending at ``right``, with the seal over them."""
    width = max(fonts.regular.text_width(name, 12), fonts.regular.text_width(when, 11))
    centre = right - width / 2
    if label:
        page.add(Text(centre - width / 2, y, label, 12, align="r"))
    page.add(Text(centre, y, name, 12, align="c"))
    page.add(Text(centre, y + 8.0, when, 11, align="c"))
    page.add(seal(centre, y + SEAL_DROP, name, fonts, radius=SEAL_RADIUS))


def layout_license(doc: LicenseDocument, fonts: FontSet) -> Page:
    """The annotated copy (加注件) of an e-license, one A4 page."""

    def build(scale: float, height: float) -> tuple[Page, float, float]:
        page = Page(height=height, title=f"不动产权证书 {doc.certificate_number}")
        annotation_top = height - BOTTOM_MARGIN - ANNOTATION_HEIGHT
        y = _header(page, "不动产权证书", f"{doc.registry_name} · 电子证照加注件")
        page.add(Text(MARGIN, y + 6.0, doc.certificate_number, 13 * scale, bold=True, color=BLACK))
        y += 10.0

        holders = "、".join(name for name, _ in doc.holders)
        shares = [f"{name}占{share}" for name, share in doc.holders if share]
        co_ownership = doc.co_ownership + (f"（{'，'.join(shares)}）" if shares else "")
        rows = [
            ("权利人", holders),
            ("共有情况", co_ownership),
            ("坐落", doc.location),
            ("不动产单元号", doc.unit_number),
            ("权利类型", doc.right_type),
            ("权利性质", doc.right_nature),
            ("用途", doc.use),
            ("面积", f"{format_area(doc.area_m2)}㎡"),
            ("使用期限", doc.term),
            ("权利其他状况", "\n".join(doc.other_conditions) or "/"),
        ]
        size = 11.0 * scale
        table = Table(
            page, fonts, MARGIN, y, [32.0, page.width - 2 * MARGIN - 32.0], size, pad=2.2 * scale
        )
        for label, value in rows:
            table.row([label, value], min_height=9.6 * scale, bold=[True, False], align=["c", "l"])
        table.row(
            ["附记", "\n".join(doc.notes) or "无"],
            min_height=24.0 * scale,
            bold=[True, False],
            align=["c", "l"],
            valign="t",
        )
        table.close()

        issuer_y = table.y + SEAL_ABOVE
        _issuer(
            page,
            fonts,
            issuer_y,
            "登记机构：",
            doc.registry_name,
            fmt_date(doc.issued_on),
            right=page.width - MARGIN - 4.0,
        )
        bottom = issuer_y + SEAL_BELOW

        _annotation_box(
            page,
            fonts,
            annotation_top,
            "加注信息",
            [
                ("制作者", doc.maker),
                ("制作时间", fmt_datetime(doc.made_at)),
                ("事由", doc.purpose),
                ("有效期截止", fmt_datetime(doc.valid_until)),
                ("证照标识", doc.license_id),
                ("加注件编号", doc.copy_serial),
            ],
            doc.verification_url,
        )
        _finish(page, fonts, doc.purpose)
        return page, bottom, annotation_top - 2.0

    return _fit(build)


def layout_proof(doc: ProofDocument, fonts: FontSet) -> Page:
    """The housing proof (不动产登记信息查询结果证明), one A4 page."""

    def build(scale: float, height: float) -> tuple[Page, float, float]:
        page = Page(height=height, title=f"不动产登记信息查询结果证明 {doc.serial}")
        footer_top = height - BOTTOM_MARGIN - PROOF_FOOTER_HEIGHT
        y = _header(page, "不动产登记信息查询结果证明", "（房屋权属证明）")
        page.add(Text(page.width - MARGIN, y + 4.0, f"编号：{doc.serial}", 11 * scale, align="r"))
        y += 8.0

        size = 11.0 * scale
        full = page.width - 2 * MARGIN
        info = Table(page, fonts, MARGIN, y, [32.0, full - 32.0], size, pad=2.2 * scale)
        label = {"bold": [True, False], "align": ["c", "l"], "min_height": 9.0 * scale}
        info.row(["申请人", doc.applicant_name], **label)
        info.row(["证件号码", doc.applicant_id_masked], **label)
        info.row(["查询范围", doc.scope], **label)
        if doc.scope == "家庭":
            members = "\n".join(f"{rel}：{name}（{id_}）" for rel, name, id_ in doc.family_members)
            info.row(["家庭成员", members or "无"], **label)
        info.row(["查询事由", doc.purpose], **label)
        info.row(["查询时点", fmt_datetime(doc.queried_at)], **label)
        info.close()
        y = info.y + 9.0

        names = [doc.applicant_name, *(name for _, name, _ in doc.family_members)]
        who = "、".join(names) if doc.scope == "家庭" else doc.applicant_name
        result = "有房" if doc.has_property else "无房"
        page.add(Text(MARGIN, y, f"查询结果：{result}", 13 * scale, bold=True, color=BLACK))
        y += 4.0
        if doc.has_property:
            sentence = (
                f"经查询，截至{fmt_datetime(doc.queried_at)}，{who}名下在本登记机构"
                f"登记的不动产共{len(doc.units)}处，详见下表。"
            )
        else:
            sentence = (
                f"经查询，截至{fmt_datetime(doc.queried_at)}，在本登记机构未查询到"
                f"{who}名下的不动产登记记录。"
            )
        line_h = size * PT * 1.6
        for part in wrap(sentence, full, size, fonts):
            y += line_h
            page.add(Text(MARGIN, y, part, size))
        y += 4.0

        if doc.has_property:
            small = 9.5 * scale
            header = ["序号", "坐落", "面积(㎡)", "用途", "不动产权证号", "权利人"]
            rows = [
                [str(i), location, format_area(area), use, number, "、".join(holders)]
                for i, (location, area, use, number, holders) in enumerate(doc.units, 1)
            ]
            widths = _column_widths(fonts, small, header, rows, full, flexible=1)
            units = Table(page, fonts, MARGIN, y, widths, small, pad=1.6 * scale)
            units.row(
                header,
                bold=[True] * 6,
                align=["c"] * 6,
                min_height=8.0 * scale,
            )
            for row in rows:
                units.row(
                    row,
                    align=["c", "l", "r", "c", "l", "c"],
                    min_height=8.0 * scale,
                )
            units.close()
            y = units.y + 2.0

        notes = [
            "1. 本证明依据查询时点本登记机构不动产登记簿记载的信息出具，"
            "不含其他登记机构的登记信息。",
            f"2. 本证明仅供办理{doc.purpose}使用，有效期至{fmt_datetime(doc.valid_until)}。",
            "3. 本证明可扫描右下方二维码核验真伪及现势状态。",
        ]
        note_size = 9.5 * scale
        note_h = note_size * PT * 1.6
        y += 4.0
        for note in notes:
            for part in wrap(note, full, note_size, fonts):
                y += note_h
                page.add(Text(MARGIN, y, part, note_size, color=GREY))

        bottom = y + 2.0

        # The issuer and its seal sit in the footer, between the facts and the QR.
        issued = fmt_datetime(doc.issued_at)
        issuer_w = max(
            fonts.regular.text_width(doc.registry_name, 12), fonts.regular.text_width(issued, 11)
        )
        divider = page.width - MARGIN - QR_SIZE - 8.0
        issuer_right = divider - 4.0
        _annotation_box(
            page,
            fonts,
            footer_top,
            "证明信息",
            [
                ("证明编号", doc.serial),
                ("查询结果", result),
                ("出具时间", issued),
                ("有效期至", fmt_datetime(doc.valid_until)),
            ],
            doc.verification_url,
            value_right=issuer_right - max(issuer_w, 2 * SEAL_RADIUS) - 2.0,
        )
        name_y = footer_top + PROOF_FOOTER_HEIGHT / 2 - SEAL_DROP
        _issuer(page, fonts, name_y, "", doc.registry_name, issued, right=issuer_right)
        _finish(page, fonts, doc.purpose)
        return page, bottom, footer_top - 2.0

    return _fit(build)


def _column_widths(
    fonts: FontSet,
    size: float,
    header: list[str],
    rows: list[list[str]],
    total: float,
    flexible: int,
    pad: float = 1.6,
    max_share: float = 0.36,
) -> list[float]:
    """Columns as wide as their longest cell (capped); ``flexible`` takes the rest."""
    widths = []
    for col, title in enumerate(header):
        cells = [title, *(row[col] for row in rows)]
        natural = max(fonts.face(i == 0).text_width(cell, size) for i, cell in enumerate(cells))
        widths.append(min(natural / HINTING_SLACK + 2 * pad + 0.6, total * max_share))
    widths[flexible] = 0.0
    widths[flexible] = max(total - sum(widths), total * 0.25)
    overflow = sum(widths) - total
    if overflow > 0:  # shrink the fixed columns proportionally
        fixed = sum(widths) - widths[flexible]
        widths = [w if i == flexible else w - overflow * w / fixed for i, w in enumerate(widths)]
    return widths


def _finish(page: Page, fonts: FontSet, purpose: str) -> None:
    """Put the watermark first (under everything) and keep it off the QR."""
    keep_out = [
        (op.x - 4.0, op.y - 4.0, op.size + 8.0, op.size + 8.0)
        for op in page.ops
        if isinstance(op, QRCode)
    ]
    page.ops.insert(0, watermark(page, watermark_text(purpose), fonts, keep_out))
