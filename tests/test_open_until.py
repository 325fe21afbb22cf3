"""The follow-up link's "open until" day, as the clinic's pages print it, is the last day
a patient can use the link in the clinic's zone, east and west of UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.extensions import db
from diary.pathway.dates import add_months
from tests.conftest import make_ablation

ZONES = ["America/Los_Angeles", "UTC", "Europe/Berlin", "Pacific/Auckland"]


@pytest.mark.parametrize("zone", ZONES)
def test_the_ablation_page_names_the_last_day_the_link_is_open(client, signed_in, zone):
    world = signed_in
    world.clinic.timezone = zone
    # 02:30 UTC: the evening before in Los Angeles, the afternoon in Auckland.
    ten_days_ago = datetime.now(UTC).date() - timedelta(days=10)
    performed = datetime.combine(ten_days_ago, time(2, 30), tzinfo=UTC)
    ablation = make_ablation(world.clinic, world.patient, world.clinician, performed)
    db.session.commit()
    done_on = performed.astimezone(ZoneInfo(zone)).date()
    # The 12-month check-in's due day, then 30 days (pathway.md §3).
    last_open = add_months(done_on, 12) + timedelta(days=30)
    page = client.get(f"/ablations/{ablation.id}").get_data(as_text=True)
    assert f"The link is open until {last_open.strftime('%d %b %Y')}." in page
