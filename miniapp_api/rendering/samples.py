"""Realistic sample documents (warm-up, benchmark, previews)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from .models import FamilyMember, Holder, LicenseDocument, ProofDocument, PropertyUnit

REGISTRY = "长沙市不动产登记中心"
ASCII_RANGE = "".join(chr(c) for c in range(0x21, 0x7F))


def sample_license(registry_name: str = REGISTRY) -> LicenseDocument:
    return LicenseDocument(
        registry_name=registry_name,
        certificate_number="湘(2022)长沙市不动产权第0001234号",
        license_id="1.2.156.3005.2.11100000MB03271699001.12430100MB1234567X.0001234.001.K",
        holders=[Holder("张三", "50%"), Holder("李小四", "50%")],
        co_ownership="按份共有",
        location="长沙市岳麓区麓谷街道桐梓坡西路229号麓谷小镇12栋2单元1803室",
        unit_number="430104001001GB00001F00010001",
        right_type="国有建设用地使用权/房屋所有权",
        right_nature="出让/市场化商品房",
        use="城镇住宅用地/住宅",
        area_m2=Decimal("89.50"),
        term="2019年05月01日起2089年04月30日止",
        notes=["抵押：中国建设银行长沙分行，2023年03月01日起"],
        issued_on=date(2022, 5, 20),
        maker=registry_name,
        made_at=datetime(2024, 5, 6, 9, 30, 12),
        purpose="子女入学",
        valid_until=datetime(2024, 6, 5, 23, 59, 59),
        verification_url="HTTPS://BDC.EXAMPLE.GOV.CN/V/3Q9ZK2M7XH4PTA8WC1RLD5NEF6YJB0UG",
        copy_serial="JZ20240506000123",
        # Printable ASCII, so that serials and codes never meet a cold glyph.
        other_conditions=[ASCII_RANGE],
    )


def sample_proof(registry_name: str = REGISTRY, has_property: bool = True) -> ProofDocument:
    units = [
        PropertyUnit(
            "长沙市岳麓区麓谷街道桐梓坡西路229号麓谷小镇12栋2单元1803室",
            "89.50",
            "住宅",
            "湘(2022)长沙市不动产权第0001234号",
            ["王五", "赵六"],
        )
    ]
    return ProofDocument(
        registry_name=registry_name,
        serial="FWZM-20240506-000321",
        applicant_name="王五",
        applicant_id_masked="430104********1234",
        scope="家庭",
        family_members=[FamilyMember("配偶", "赵六", "430104********5678")],
        purpose="购房资格审核",
        queried_at=datetime(2024, 5, 6, 10, 0, 0),
        has_property=has_property,
        units=units if has_property else [],
        issued_at=datetime(2024, 5, 6, 10, 0, 5),
        valid_until=datetime(2024, 6, 5, 10, 0, 5),
        verification_url="HTTPS://BDC.EXAMPLE.GOV.CN/P/7H2K9Q4M8R1T5W3Y6Z0A",
    )
