"""The union tree: levels fit together, paths describe the subtree, the demo tree is real and loads once."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.errors import Conflict
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.unions import services
from portal.unions.models import Union


def test_paths_and_depths_follow_the_tree(ctx, tree):
    grassroots = services.get_by_code("GA1")
    county = services.get_by_code("CA1")
    assert grassroots.path.startswith(county.path)
    assert grassroots.depth == 4 and county.depth == 3
    assert [u.code for u in services.ancestors(grassroots)] == ["N", "P", "CA", "CA1", "GA1"]


def test_full_name_reads_like_the_chain_of_unions(ctx, tree):
    assert services.full_name(services.get_by_code("GA1")) == (
        "黑龙江省总工会 › 哈尔滨市总工会 › 香坊区总工会 › 香坊区快递外卖配送行业工会联合会"
    )


@pytest.mark.parametrize(
    "level, parent_code",
    [
        ("province", "CA"),  # a province under a city
        ("county", "GA1"),  # anything under a grassroots union
        ("city", None),  # only the national root has no parent
    ],
)
def test_levels_must_fit_under_their_parent(ctx, tree, level, parent_code):
    parent = services.get_by_code(parent_code) if parent_code else None
    with pytest.raises(InvalidInput):
        services.create_union(code="NEW", name="新工会", level=level, parent=parent)


def test_codes_are_unique(ctx, tree):
    with pytest.raises(Conflict):
        services.create_union(code="CA1", name="重复", level="grassroots", parent=services.get_by_code("CA1"))


def test_subtree_size_and_children(ctx, tree):
    assert services.subtree_size(services.get_by_code("CA")) == 6
    assert [u.code for u in services.children(services.get_by_code("CA1"))] == ["GA1", "GA1B"]


def test_demo_seed_builds_heilongjiang_and_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        counts = dict(db.session.execute(select(Union.level, func.count()).group_by(Union.level)).all())
        users = db.session.scalar(select(func.count(User.id)))
        harbin = services.get_by_code("230100")
        xiangfang = services.get_by_code("230110")
        tonghe = services.get_by_code("230128")
        assert harbin.name == "哈尔滨市总工会" and harbin.lat == pytest.approx(45.80, abs=0.05)
        assert xiangfang.parent_id == harbin.id and tonghe.parent_id == harbin.id
        assert services.get_by_code("232700").name == "大兴安岭地区总工会"
        grassroots_under = {u.parent.code for u in db.session.scalars(select(Union).where(Union.level == "grassroots"))}
        rider_federations = db.session.scalars(select(Union.name).where(Union.kind == "industry_federation")).all()
    assert counts["city"] == 13  # all 13 prefecture-level divisions
    assert counts["county"] == 128
    assert {"230110", "230128"} <= grassroots_under
    assert any("外卖" in name or "快递" in name for name in rider_federations)
    assert users == 5 + 8 + 9  # the demo accounts, the demo applicants, the hardship aid households
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Union.id))) == sum(counts.values())
        assert db.session.scalar(select(func.count(User.id))) == users


def test_demo_accounts_are_printed_and_work(app, client):
    from tests.helpers import post_form

    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    output = runner.invoke(args=["demo-accounts"]).output
    for phone in ["13800000001", "13800000002", "13900000001", "13900000002", "13900000009"]:
        assert phone in output
    assert "Demo@2026" in output
    r = post_form(client, "/auth/login", {"phone": "13900000002", "password": "Demo@2026"})
    assert r.status_code == 303
    assert "香坊区总工会" in client.get("/staff").get_data(as_text=True)
