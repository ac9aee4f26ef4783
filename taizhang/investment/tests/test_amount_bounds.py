"""Amounts are bounded like projects' (issue 19): no intended, signed or subsidy amount
beyond any real investment (``core.formatting.MAX_YUAN``), through the services and the
API alike, and nothing is written for a refused one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.formatting import MAX_YUAN
from taizhang.investment.models import Lead, LeadStage, Source
from taizhang.investment.services import lead_advance
from taizhang.investment.tests.factories import make_lead
from tests.support import bearer

pytestmark = pytest.mark.django_db


def test_services_refuse_amounts_beyond_the_bound(tree):
    with pytest.raises(ValidationError):
        make_lead(tree.street_a, "过大线索", amount=MAX_YUAN + 1)
    assert not Lead.objects.filter(project_name="过大线索").exists()
    lead = make_lead(tree.street_a, "正常线索", amount=MAX_YUAN, stage=LeadStage.NEGOTIATING)
    with pytest.raises(ValidationError):
        lead_advance(
            lead=lead, to_stage=LeadStage.SIGNED, signed_amount=MAX_YUAN + 1, acting_user=SYSTEM
        )
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NEGOTIATING and lead.signed_amount is None


def test_the_api_answers_422_for_amounts_beyond_the_bound(client, tree, personas):
    body = {
        "org_id": tree.street_a.pk,
        "enterprise": "某科技有限公司",
        "project_name": "某项目",
        "sector": "新能源",
        "source": Source.RESIDENT,
        "amount": MAX_YUAN + 1,
    }
    headers = bearer(client, personas.street_a)
    response = client.post(
        "/api/v1/investment/leads", body, content_type="application/json", **headers
    )
    assert response.status_code == 422
    assert not Lead.objects.exists()
    body["amount"] = MAX_YUAN
    response = client.post(
        "/api/v1/investment/leads", body, content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content
