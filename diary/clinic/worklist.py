"""The worklist (pathway.md §5): what staff see first, its counts in the navigation, and
the two one-click marks (side effects acknowledged, a finished diary reviewed)."""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.access import clinic_block_or_404, clinic_entry_or_404
from diary.auth.forms import EmptyForm
from diary.clinic.blueprint import bp
from diary.clinic.paging import page_number, parse_page
from diary.extensions import db
from diary.pathway import WorklistGroup
from diary.services.audit import record_audit
from diary.services.rejections import InputRejected
from diary.services.worklist import (
    acknowledge_side_effects,
    counted_groups,
    review_diary,
    worklist_page,
)

GROUP_HEADINGS = {
    WorklistGroup.SIDE_EFFECTS: "Side effects not yet acknowledged",
    WorklistGroup.UNREVIEWED_DIARIES: "Finished diaries not yet reviewed",
    WorklistGroup.OVERDUE_CHECKINS: "Check-ins overdue",
    WorklistGroup.NEXT_STEPS: "Next steps that call for action",
}


# The navigation's counts are read at most this often per clinic and process: a badge a
# few seconds old is fine, and every clinic page shows it. The worklist page reads them
# afresh, and a mark made here forgets them.
COUNTS_FOR_SECONDS = 15.0


def _kept_counts() -> dict[int, tuple[float, dict]]:
    return current_app.extensions.setdefault("worklist_counts", {})


def forget_counts(clinic_id: int) -> None:
    _kept_counts().pop(clinic_id, None)


def keep_counts(clinic_id: int, counts: dict) -> None:
    _kept_counts()[clinic_id] = (time.monotonic(), counts)


@bp.app_context_processor
def worklist_counts():
    """``worklist_counts()`` for the navigation, for a signed-in clinician only: read when
    the header is drawn (two queries), then kept a few seconds."""

    def counts():
        if not current_user.is_authenticated:
            return {}
        kept = _kept_counts().get(current_user.clinic_id)
        if kept is None or time.monotonic() - kept[0] > COUNTS_FOR_SECONDS:
            keep_counts(current_user.clinic_id, counted_groups(current_user.clinic_id))
            kept = _kept_counts()[current_user.clinic_id]
        return kept[1]

    return {"worklist_counts": counts, "WORKLIST_HEADINGS": GROUP_HEADINGS}


@bp.get("/worklist")
def worklist():
    page = page_number()
    listed = worklist_page(current_user.clinic, page)
    # The navigation shows the counts the page has just read.
    keep_counts(
        current_user.clinic_id,
        {group: n for group, n in listed.counts.items() if n is not None},
    )
    record_audit(
        "worklist.view",
        by=current_user,
        detail={"page": page, "patient_ids": sorted({r.item.patient_id for r in listed.rows})},
    )
    html = render_template("clinic/worklist.html", listed=listed, action_form=EmptyForm())
    db.session.commit()
    return html


def _back():
    """Back to the worklist page the click came from (a page number only)."""
    page = parse_page(request.form.get("page", "1")) or 1
    return redirect(url_for("clinic.worklist", page=page if page > 1 else None))


@bp.post("/entries/<int:entry_id>/acknowledge")
def acknowledge(entry_id: int):
    entry = clinic_entry_or_404(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if acknowledge_side_effects(entry, by=current_user):
        db.session.commit()
        forget_counts(current_user.clinic_id)
        flash("Side effects acknowledged.", "success")
    else:
        flash("Nothing to acknowledge: no side effect waits on that entry.", "info")
    return _back()


@bp.post("/blocks/<int:block_id>/review")
def review(block_id: int):
    block = clinic_block_or_404(block_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        changed = review_diary(block, by=current_user)
    except InputRejected as rejected:
        flash(rejected.message, "error")
    else:
        db.session.commit()
        forget_counts(current_user.clinic_id)
        flash("Diary marked reviewed." if changed else "This diary was reviewed already.",
              "success" if changed else "info")  # fmt: skip
    return _back()
