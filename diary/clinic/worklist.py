"""The worklist (pathway.md §5): what staff see first, its counts in the navigation, and
the two one-click marks (side effects acknowledged, a finished diary reviewed)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from diary.access import clinic_block_or_404, clinic_entry_or_404
from diary.auth.forms import EmptyForm
from diary.clinic.blueprint import bp
from diary.clinic.paging import page_number
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


@bp.app_context_processor
def worklist_counts():
    """``worklist_counts()`` for the navigation: read once per request, when the header is
    drawn (one query), for a signed-in clinician only."""

    def counts():
        if not current_user.is_authenticated:
            return {}
        # Kept for this request only (the tests hold one app context across requests).
        this_request = id(request._get_current_object())  # type: ignore[attr-defined]
        kept = g.get("worklist_counts")
        if kept is None or kept[0] != this_request:
            g.worklist_counts = kept = (this_request, counted_groups(current_user.clinic_id))
        return kept[1]

    return {"worklist_counts": counts, "WORKLIST_HEADINGS": GROUP_HEADINGS}


@bp.get("/worklist")
def worklist():
    page = page_number()
    listed = worklist_page(current_user.clinic, page)
    # The navigation shows the counts the page has just read.
    g.worklist_counts = (
        id(request._get_current_object()),  # type: ignore[attr-defined]
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
    raw = request.form.get("page", "1")
    page = int(raw) if raw.isdigit() and 1 <= int(raw) <= 100_000 else 1
    return redirect(url_for("clinic.worklist", page=page if page > 1 else None))


@bp.post("/entries/<int:entry_id>/acknowledge")
def acknowledge(entry_id: int):
    entry = clinic_entry_or_404(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if acknowledge_side_effects(entry, by=current_user):
        db.session.commit()
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
        flash("Diary marked reviewed." if changed else "This diary was reviewed already.",
              "success" if changed else "info")  # fmt: skip
    return _back()
