"""Rendering of e-license copies and housing proofs (PNG and PDF)."""

from __future__ import annotations

import io
import math
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from PIL import Image

from miniapp_api.rendering import (
    DocumentTooLong,
    FamilyMember,
    FontNotFound,
    Holder,
    LicenseDocument,
    MissingGlyphError,
    ProofDocument,
    PropertyUnit,
    get_fonts,
    license_page,
    missing_glyphs,
    proof_page,
    render_license_pdf,
    render_license_png,
    render_proof_pdf,
    render_proof_png,
    watermark_text,
)
from miniapp_api.rendering.fonts import KNOWN_FONT_PATHS, resolve_fonts
from miniapp_api.rendering.layout import Group, QRCode, Text

LICENSE = LicenseDocument(
    registry_name="长沙市不动产登记中心",
    certificate_number="湘(2022)长沙市不动产权第0001234号",
    license_id="1.2.156.3005.2.11100000MB03271699001.12430100MB1234567X.0001234.001.K",
    holders=[Holder("张三", "50%"), Holder("欧阳堃喆", "50%")],
    co_ownership="按份共有",
    location="长沙市岳麓区麓谷街道桐梓坡西路229号麓谷小镇12栋2单元1803室",
    unit_number="430104001001GB00001F00010001",
    right_type="国有建设用地使用权/房屋所有权",
    right_nature="出让/市场化商品房",
    use="城镇住宅用地/住宅",
    area_m2=Decimal("89.5"),
    term="2019年05月01日起2089年04月30日止",
    notes=["抵押：中国建设银行长沙分行，2023年03月01日起", "分摊土地面积：12.34㎡"],
    issued_on=date(2022, 5, 20),
    maker="长沙市不动产登记中心",
    made_at=datetime(2024, 5, 6, 9, 30, 12),
    purpose="子女入学",
    valid_until=datetime(2024, 6, 5, 23, 59, 59),
    verification_url="HTTPS://BDC.EXAMPLE.GOV.CN/V/3Q9ZK2M7XH4PTA8WC1RLD5NEF6YJB0UG",
    copy_serial="JZ20240506000123",
)

PROOF_HAS = ProofDocument(
    registry_name="长沙市不动产登记中心",
    serial="FWZM-20240506-000321",
    applicant_name="王五",
    applicant_id_masked="430104********1234",
    scope="家庭",
    family_members=[
        FamilyMember("配偶", "赵六", "430104********5678"),
        FamilyMember("子女", "王小七", "430104********9012"),
    ],
    purpose="购房资格审核",
    queried_at=datetime(2024, 5, 6, 10, 0, 0),
    has_property=True,
    units=[
        PropertyUnit(
            "长沙市岳麓区麓谷街道桐梓坡西路229号麓谷小镇12栋2单元1803室",
            "89.5",
            "住宅",
            "湘(2022)长沙市不动产权第0001234号",
            ["王五", "赵六"],
        ),
        PropertyUnit(
            "长沙市天心区书院路9号", "120", "住宅", "湘(2019)长沙市不动产权第0098765号", "王五"
        ),
    ],
    issued_at=datetime(2024, 5, 6, 10, 0, 5),
    valid_until=datetime(2024, 6, 5, 10, 0, 5),
    verification_url="https://bdc.example.gov.cn/p/7H2K9Q4M8R1T5W3Y6Z0A?sig=Zm9vYmFy",
)

PROOF_NONE = replace(
    PROOF_HAS,
    serial="FWZM-20240507-000001",
    applicant_name="孙八",
    applicant_id_masked="430681********4321",
    scope="个人",
    family_members=(),
    purpose="落户",
    has_property=False,
    units=(),
    verification_url="HTTPS://BDC.EXAMPLE.GOV.CN/P/0A1B2C3D4E5F6G7H8J9K",
)

DOCS = {"license": LICENSE, "proof_has": PROOF_HAS, "proof_none": PROOF_NONE}
PAGES = {"license": license_page, "proof_has": proof_page, "proof_none": proof_page}


def _png(key: str) -> bytes:
    doc = DOCS[key]
    return render_license_png(doc) if key == "license" else render_proof_png(doc)


def _pdf(key: str) -> bytes:
    doc = DOCS[key]
    return render_license_pdf(doc) if key == "license" else render_proof_pdf(doc)


@pytest.fixture(scope="module")
def pngs() -> dict[str, bytes]:
    return {key: _png(key) for key in DOCS}


@pytest.fixture(scope="module")
def pdfs() -> dict[str, pypdf.PdfReader]:
    return {key: pypdf.PdfReader(io.BytesIO(_pdf(key))) for key in DOCS}


@pytest.fixture(scope="module")
def pdf_texts(pdfs: dict[str, pypdf.PdfReader]) -> dict[str, str]:
    return {key: reader.pages[0].extract_text() for key, reader in pdfs.items()}


def _decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("key", DOCS)
def test_png_qr_decodes_to_verification_url(pngs: dict[str, bytes], key: str) -> None:
    image = Image.open(io.BytesIO(pngs[key]))
    assert _decode(image) == [DOCS[key].verification_url]


@pytest.mark.parametrize("key", DOCS)
def test_png_is_a4_portrait(pngs: dict[str, bytes], key: str) -> None:
    width, height = Image.open(io.BytesIO(pngs[key])).size
    assert math.isclose(height / width, 297 / 210, rel_tol=0.002)
    assert width >= 1000  # zoomable on a phone


def test_png_dpi_parameter_sets_resolution() -> None:
    image = Image.open(io.BytesIO(render_license_png(LICENSE, dpi=100)))
    assert image.size == (827, 1169)


def test_png_dpi_outside_the_sane_range_is_refused() -> None:
    with pytest.raises(ValueError, match="dpi"):
        render_license_png(LICENSE, dpi=2000)


@pytest.mark.parametrize("key", DOCS)
def test_pdf_is_one_a4_page(pdfs: dict[str, pypdf.PdfReader], key: str) -> None:
    assert len(pdfs[key].pages) == 1
    box = pdfs[key].pages[0].mediabox
    assert math.isclose(float(box.width), 595.28, abs_tol=0.5)
    assert math.isclose(float(box.height), 841.89, abs_tol=0.5)


def test_license_pdf_text_has_holder_number_purpose_and_watermark(
    pdf_texts: dict[str, str],
) -> None:
    text = pdf_texts["license"]
    for expected in (
        "张三",
        "欧阳堃喆",
        LICENSE.certificate_number,
        LICENSE.purpose,
        "仅供办理子女入学使用",
        LICENSE.unit_number,
        "89.50㎡",
        "抵押：中国建设银行长沙分行，2023年03月01日起",
    ):
        assert expected in text


@pytest.mark.parametrize(
    ("key", "result", "sentence"),
    [
        ("proof_has", "查询结果：有房", "名下在本登记机构登记的不动产共2处"),
        ("proof_none", "查询结果：无房", "在本登记机构未查询到孙八名下的不动产登记记录"),
    ],
)
def test_proof_pdf_text_has_serial_result_and_masked_id(
    pdf_texts: dict[str, str], key: str, result: str, sentence: str
) -> None:
    text = pdf_texts[key]
    doc = DOCS[key]
    assert doc.serial in text
    assert result in text
    assert sentence in text.replace("\n", "")
    assert doc.applicant_id_masked in text
    assert watermark_text(doc.purpose) in text


def test_proof_pdf_lists_units_and_family_members(pdf_texts: dict[str, str]) -> None:
    text = pdf_texts["proof_has"]
    assert "湘(2019)长沙市不动产权第0098765号" in text
    assert "120.00" in text
    assert "430104********9012" in text


@pytest.mark.parametrize("key", DOCS)
def test_pdf_embeds_the_same_qr_as_an_image(pdfs: dict[str, pypdf.PdfReader], key: str) -> None:
    decoded = [text for image in pdfs[key].pages[0].images for text in _decode(image.image)]
    assert decoded == [DOCS[key].verification_url]


@pytest.mark.parametrize("key", DOCS)
def test_pdf_embeds_a_small_font_subset(pdfs: dict[str, pypdf.PdfReader], key: str) -> None:
    fonts = pdfs[key].pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 2  # regular and bold faces
    for ref in fonts.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        font_file = descendant["/FontDescriptor"]["/FontFile2"].get_object()
        assert len(font_file.get_data()) < 200_000  # the full face is ~20 MB


@pytest.mark.parametrize("key", DOCS)
def test_no_drawn_string_misses_a_glyph(key: str) -> None:
    fonts = get_fonts()
    page = PAGES[key](DOCS[key])
    items = list(page.text_items())
    assert len(items) > 20
    for item in items:
        assert missing_glyphs(item.text, fonts.face(item.bold)) == set(), item.text


def test_missing_glyph_check_reports_characters_outside_the_font() -> None:
    face = get_fonts().regular
    assert missing_glyphs("张三😀\ue000𠮷", face) == {"😀", "\ue000"}
    assert missing_glyphs("第一行\n第二行", face) == set()  # line breaks are not drawn


@pytest.mark.parametrize("render", [render_license_png, render_license_pdf])
def test_render_refuses_a_document_that_would_show_a_missing_glyph(render) -> None:
    doc = replace(LICENSE, holders=(Holder("张三😀"),), co_ownership="单独所有")
    with pytest.raises(MissingGlyphError) as info:
        render(doc)
    assert info.value.chars == {"😀"}


@pytest.mark.parametrize("key", DOCS)
def test_watermark_stays_off_the_qr_code(key: str) -> None:
    page = PAGES[key](DOCS[key])
    (qr,) = [op for op in page.ops if isinstance(op, QRCode)]
    mark = watermark_text(DOCS[key].purpose)
    (watermark,) = [
        op
        for op in page.ops
        if isinstance(op, Group) and getattr(op.items[0], "text", None) == mark
    ]
    assert len(watermark.items) > 10
    for item in watermark.items:
        # The rotated text box (baseline-centred anchor), as an axis-aligned box.
        half = get_fonts().regular.text_width(item.text, item.size) / 2
        em = item.size * 25.4 / 72
        a = math.radians(item.angle)
        corners = [
            (item.x + u * math.cos(a) + v * math.sin(a), item.y - u * math.sin(a) + v * math.cos(a))
            for u in (-half, half)
            for v in (-em, 0.2 * em)
        ]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        assert (
            max(xs) < qr.x or min(xs) > qr.x + qr.size or max(ys) < qr.y or min(ys) > qr.y + qr.size
        ), item


@pytest.mark.parametrize("key", DOCS)
def test_seal_carries_the_registry_name_and_star(key: str) -> None:
    page = PAGES[key](DOCS[key])
    seals = [op for op in page.ops if isinstance(op, Group) and op.color[0] > 200]
    (seal,) = seals
    chars = "".join(
        item.text for item in seal.items if isinstance(item, Text) and len(item.text) == 1
    )
    assert chars == DOCS[key].registry_name
    assert 0 < seal.opacity < 1
    assert any(isinstance(item, Text) and item.text == "电子证照专用章" for item in seal.items)


def test_license_annotation_block_is_drawn() -> None:
    texts = license_page(LICENSE).texts()
    for label in (
        "制作者：",
        "制作时间：",
        "事由：",
        "有效期截止：",
        "证照标识：",
        "扫描二维码核验真伪",
    ):
        assert label in texts
    assert "2024年05月06日 09:30:12" in texts


def test_aware_datetimes_are_shown_in_china_time() -> None:
    doc = replace(LICENSE, made_at=datetime(2024, 5, 6, 1, 30, 12, tzinfo=UTC))
    assert "2024年05月06日 09:30:12" in license_page(doc).texts()


def test_long_content_shrinks_to_fit_a4() -> None:
    many_units = replace(PROOF_HAS, units=PROOF_HAS.units * 4)
    page = proof_page(many_units)
    assert page.height == 297
    assert "湘(2019)长沙市不动产权第0098765号" in page.texts()


def test_content_beyond_a4_gets_a_longer_page_or_a_clear_error() -> None:
    notes = [f"预告登记：第{i}号，2023年03月01日起" for i in range(30)]
    page = license_page(replace(LICENSE, notes=notes))
    assert page.width == 210
    assert page.height > 297
    with pytest.raises(DocumentTooLong):
        license_page(replace(LICENSE, notes=notes * 10))


def test_document_models_validate_and_freeze() -> None:
    assert LICENSE.holders == (Holder("张三", "50%"), Holder("欧阳堃喆", "50%"))
    assert PROOF_HAS.units[1].holder_names == ("王五",)
    with pytest.raises(ValueError, match="co_ownership"):
        replace(LICENSE, co_ownership="共有")
    with pytest.raises(ValueError, match="area"):
        replace(LICENSE, area_m2="八十")
    with pytest.raises(ValueError, match="has_property"):
        replace(PROOF_NONE, has_property=True)
    with pytest.raises(ValueError, match="family"):
        replace(PROOF_NONE, family_members=PROOF_HAS.family_members)


def test_font_lookup_fails_with_install_hint() -> None:
    with pytest.raises(FontNotFound, match="fonts-noto-cjk"):
        resolve_fonts(environ={}, known_paths=[], use_fc_match=False)


def test_font_lookup_rejects_a_bad_env_path(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match="CJK_FONT_PATH"):
        resolve_fonts(environ={"CJK_FONT_PATH": str(tmp_path / "none.ttc")})


def test_font_env_path_wins_and_picks_the_simplified_chinese_face() -> None:
    sans = next(p for p in KNOWN_FONT_PATHS if "Sans" in p and Path(p).is_file())
    fonts = resolve_fonts(environ={"CJK_FONT_PATH": sans}, known_paths=[], use_fc_match=False)
    assert fonts.regular.path == sans
    assert fonts.regular.name.endswith("CJK SC")
    assert fonts.bold.path.endswith("Bold.ttc")


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig not installed")
def test_font_lookup_falls_back_to_fc_match() -> None:
    fonts = resolve_fonts(environ={}, known_paths=[])
    assert not missing_glyphs("不动产登记中心", fonts.regular)
