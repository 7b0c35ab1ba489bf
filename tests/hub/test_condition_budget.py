"""Issue 9, defect 3 over HTTP: the hub refuses a condition over the static budget with a 422
naming the field, for benefit definitions created and edited (SPEC §4, §7)."""

from __future__ import annotations

from tests.hub.conftest import World
from tests.hub.support import benefit_definition, ok, refused

QUADRATIC = {"some": [[0] * 3000, {"in": [{"var": ""}, [1] * 3000]}]}


def test_an_over_budget_condition_is_a_422_naming_the_field(world: World) -> None:
    admin = world.as_("admin")
    for field in ("claim_condition", "visibility_condition"):
        body = {"name": "Quadratic", "handle": f"quadratic-{field}", "is_published": True,
                field: QUADRATIC}
        answer = refused(admin.post("/benefits/definitions", json=body), 422)
        assert list(answer["errors"]) == [field]
        assert "at most" in answer["errors"][field][0]
    d = benefit_definition(admin, claim_condition={"==": [{"var": "tier"}, "gold"]})
    edit = admin.put(f"/benefits/definitions/{d['id']}", json={"claim_condition": QUADRATIC},
                     headers={"If-Match": str(d["version"])})
    assert list(refused(edit, 422)["errors"]) == ["claim_condition"]
    after = ok(admin.get(f"/benefits/definitions/{d['id']}"))["data"]
    assert after["claim_condition"] == {"==": [{"var": "tier"}, "gold"]}
    assert after["version"] == d["version"]
    total = ok(admin.get("/benefits/definitions", params={"filter[name]": "Quadratic"}))
    assert total["meta"]["total"] == 0
