"""A patient's form refused without script: the first reason said at the top of the page too,
with a link to its question (the page opens at its top, and a scale's reason may be a screen
or two down). The patient pages' rule for diary.forms.flash_first_refusal."""

from __future__ import annotations

from flask_babel import gettext as _

from diary.forms import flash_first_refusal

SCORES = frozenset({"pain", "pain_left", "pain_right"})


def say_first_refusal(form, not_saved: str) -> None:
    """Flash ``not_saved`` (a translated "… was not saved. %(reason)s") with the first shown
    field's reason (both sides' when both are refused) and a link to it. A scale has no id
    of its own: the page wraps a refused one in ``<div id="<field id>-question">``
    (templates/patient/_pain_scales.html)."""

    def said(refused) -> str:
        reason = refused.errors[0]
        # Both sides refused: say both, not only the first (the link goes to it).
        if refused.name == "pain_left" and form.pain_right.errors:
            reason = getattr(form, "both_sides_message", reason)
        return not_saved % {"reason": reason}

    flash_first_refusal(
        form,
        said,
        lambda refused: f"{refused.id}-question" if refused.name in SCORES else refused.id,
        _("Go to the question"),
        shown=form.shows,
    )
