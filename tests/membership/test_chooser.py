"""UX15: the union chooser offers unions that serve the chosen district, and says why a city-wide one is listed."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.unions import services as unions
from portal.unions.models import Union
from tests.helpers import login_as, page_text, valid_id_number


@pytest.fixture
def harbin(app, tree, make_union):
    """香坊区 (230110) and 通河县 (230128) under 哈尔滨市, each with its own courier federation,
    and a city-wide courier federation directly under the city."""
    make_union(
        "TH-KD",
        parent=tree["county_a2"],
        name="通河县快递物流行业工会联合会",
        kind="industry_federation",
        serves="courier,delivery_rider,truck_driver",
    )
    make_union(
        "HRB-KD", parent=tree["city_a"], name="哈尔滨市快递行业工会联合会", kind="industry_federation", serves="courier"
    )
    with app.app_context():
        db.session.get(Union, tree["county_a1"].id).region_code = "230110"
        db.session.get(Union, tree["county_a2"].id).region_code = "230128"
        db.session.get(Union, tree["grassroots_a1"].id).serves = "delivery_rider,courier"
        db.session.commit()
    return tree


def _offered(html: str) -> str:
    return html.split("可加入的工会", 1)[1]


def test_a_courier_in_xiangfang_is_not_offered_another_districts_federation(app, harbin, make_user):
    client = login_as(app.test_client(), make_user(id_number=valid_id_number()))
    offered = _offered(page_text(client.get("/membership/apply?work_region_code=230110&employment_type=courier")))
    assert "香坊区快递外卖配送行业工会联合会" in offered
    assert "通河县快递物流行业工会联合会" not in offered  # 160 km away, serves 通河县 only
    assert "通河县" not in offered
    # The city-wide federation is offered, and says why.
    assert "哈尔滨市快递行业工会联合会" in offered
    city_wide = offered.split("哈尔滨市快递行业工会联合会", 1)[1].split("</li>", 1)[0]
    assert "覆盖全市" in city_wide
    # A district's own union is not labelled city-wide.
    own = offered.split("香坊区快递外卖配送行业工会联合会", 1)[1].split("</li>", 1)[0]
    assert "覆盖全市" not in own


def test_a_courier_in_tonghe_gets_tonghes_federation_first(app, harbin, make_user):
    client = login_as(app.test_client(), make_user(id_number=valid_id_number()))
    offered = _offered(page_text(client.get("/membership/apply?work_region_code=230128&employment_type=courier")))
    assert offered.index("通河县快递物流行业工会联合会") < offered.index("哈尔滨市快递行业工会联合会")
    assert "香坊区" not in offered


def test_demo_divisions_have_their_current_names(app, make_union):
    # A database seeded before the correction, with the old county codes.
    root = make_union("ACFTU", level="national", name="中华全国总工会")
    province = make_union("230000", level="province", parent=root, name="黑龙江省总工会", region_code="230000")
    heihe = make_union("231100", level="city", parent=province, name="黑河市总工会", region_code="231100")
    old_nenjiang = make_union("231121", level="county", parent=heihe, name="嫩江县总工会", region_code="231121")
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        nenjiang, mohe = unions.get_by_code("231183"), unions.get_by_code("232701")
        assert nenjiang.name == "嫩江市总工会" and nenjiang.id == old_nenjiang.id
        assert nenjiang.region_code == "231183" and nenjiang.parent.code == "231100"
        assert mohe.name == "漠河市总工会" and mohe.parent.name == "大兴安岭地区总工会"
        names = set(db.session.scalars(select(Union.name)))
        assert not {"嫩江县总工会", "漠河县总工会"} & names
        assert unions.find_by_code("231121") is None and unions.find_by_code("232723") is None
