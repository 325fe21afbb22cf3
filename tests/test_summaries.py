"""Each block's stored summary: lists and exports read it, and it is never out of date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from diary import relief
from diary.extensions import db
from diary.models import Block
from diary.services import summaries
from diary.services.analysis import analyse_block
from diary.services.settings import analysis_settings
from tests.conftest import add_entries, make_block
from tests.test_csv_export import read_csv


def fresh_analysis(block: Block) -> relief.BlockSummary:
    return relief.BlockSummary.of(analyse_block(block), len(block.entries))


def stored(block: Block) -> dict | None:
    db.session.expire_all()
    return db.session.get(Block, block.id).summary


def test_summary_round_trips_through_its_stored_form(world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 4: 6})
    summary = fresh_analysis(world.block)
    assert summary.verdict == "positive"
    assert summary.held_80 == relief.Held(1.75, False)
    assert relief.BlockSummary.from_dict(summary.to_dict()) == summary


def test_dashboard_stores_summaries_and_recomputes_them_after_a_new_entry(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.25: 1, 0.5: 1})
    db.session.commit()
    assert stored(block) is None
    page = client.get("/").get_data(as_text=True)
    assert stored(block)["entry_count"] == 2
    assert "(2)" in page

    # The patient posts again: the stored summary is out of date and is not used.
    token = db.session.get(Block, block.id).diary_token
    response = client.post(f"/api/v1/diary/{token}/entries", json={"pain": 8})
    assert response.status_code == 201
    page = client.get("/").get_data(as_text=True)
    assert stored(block)["entry_count"] == 3
    assert "(3)" in page


def test_a_dashboard_of_current_summaries_loads_no_whole_block(client, signed_in):
    # Its rows are read as plain rows (services.dashboard.PageBlock, issue 23): whole
    # blocks only for a summary out of date or a therapeutic block judged in days.
    add_entries(signed_in.block, {0.25: 1, 0.5: 1})
    db.session.commit()
    block_id = signed_in.block.id
    stale: list[int] = []
    loaded: list[int] = []
    for seen in (stale, loaded):

        def keep(block, context, seen=seen):
            seen.append(block.id)

        db.session.expunge_all()  # as a request of its own finds the session
        event.listen(Block, "load", keep)
        try:
            page = client.get("/").get_data(as_text=True)
        finally:
            event.remove(Block, "load", keep)
        assert "(2)" in page
    assert stale == [block_id]  # its summary stored then
    assert loaded == []


def test_a_settings_change_makes_every_summary_stale(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.25: 3, 0.5: 3, 1: 3, 2: 3})  # 62.5% relief from 8
    db.session.commit()
    assert "verdict-partial" in client.get("/").get_data(as_text=True)
    signed_in.clinic.threshold_pct = 60.0
    db.session.commit()
    assert stored(block)["verdict"] == "partial"  # still stored, but no longer current
    rows = read_csv(client.get("/exports/blocks.csv"))
    assert [r["verdict"] for r in rows if r["block_id"] == str(block.id)] == ["positive"]
    assert "verdict-positive" in client.get("/").get_data(as_text=True)
    assert stored(block)["verdict"] == "positive"


def test_exports_are_the_same_whether_summaries_are_stored_or_not(client, signed_in, runner):
    world = signed_in
    for n, pains in enumerate(({0.25: 1, 1: 1, 3: 6}, {0.5: 7, 2: 8}, {})):
        block = make_block(
            world.clinic,
            world.patient,
            world.clinician,
            performed_at=world.block.performed_at - timedelta(days=n + 1),
        )
        add_entries(block, pains)
    db.session.commit()
    before = {kind: client.get(f"/exports/{kind}.csv").get_data() for kind in ("entries", "blocks")}
    assert all(b.summary is None for b in db.session.execute(select(Block)).scalars())

    result = runner.invoke(args=["clinic", "summaries"])
    assert result.exit_code == 0, result.output
    assert f"clinic {world.clinic.id}: 4 summaries brought up to date" in result.output
    db.session.expire_all()
    blocks = db.session.execute(select(Block).where(Block.clinic_id == world.clinic.id)).scalars()
    assert all(b.summary is not None for b in blocks)
    after = {kind: client.get(f"/exports/{kind}.csv").get_data() for kind in ("entries", "blocks")}
    assert after == before
    assert len(read_csv(client.get("/exports/blocks.csv"))) == 4


def test_a_summary_read_before_a_concurrent_entry_is_not_taken_as_current(world):
    """The key is the change time read with the block, before its entries are read:
    an entry committed in between leaves the stored summary stale, never wrong."""
    block = world.block
    add_entries(block, {0.25: 1})
    db.session.commit()
    digest = summaries.settings_digest(analysis_settings(block.clinic))
    [summary] = summaries.block_summaries([block])
    db.session.commit()
    assert summaries.stored_summary(block, digest) == summary
    block.changed_at = block.changed_at + timedelta(microseconds=1)  # a later change
    db.session.commit()
    assert summaries.stored_summary(block, digest) is None
