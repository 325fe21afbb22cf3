"""The patient's diary link: no account, just the block's random token."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    json,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from diary.access import block_for_token_or_404, entry_of_block_or_404
from diary.extensions import db, diary_token_limit
from diary.forms import clinic_time_to_utc, utc_to_clinic_time
from diary.i18n import instructions_for, patient_time, safety_text_for, template_gettext
from diary.lru import BoundedLRU
from diary.models import utcnow
from diary.patient.forms import OTHER_ACTIVITY, EntryForm, hidden_inputs
from diary.patient.kept_pages import KeptPages, filled, page_key, split_page
from diary.patient.page_urls import keep_page_urls, page_url_builder, page_url_for
from diary.patient.refusals import say_first_refusal
from diary.patient.saved_list import (
    ID_MARK,
    SAVED_LISTS_MAX_CHARS,
    page_entries,
    saved_list_html,
    text_size,
)
from diary.reminders.calendar_file import reminders_ics
from diary.services.entries import CORRECTIONS_CLOSED, EntryInput, correct_entry, record_entry
from diary.services.progress import (
    DueNotice,
    answered_due_times,
    diary_progress,
    diary_window_over,
    due_notice,
)
from diary.services.rejections import DiaryClosed, InputRejected
from diary.services.sqlite_writers import one_writer_at_a_time
from diary.web import diary_url

bp = Blueprint("patient", __name__, url_prefix="/d")
diary_token_limit(bp)


def _open_block_or_410(token: str):
    block = block_for_token_or_404(token)
    g.clinic_language = block.clinic.language
    if not block.link_open(utcnow()):
        abort(_closed_page(block))
    return block


# What a post to a closed link sent, which its page says was not saved.
SENT_BY = {"patient.add_entry": "score", "patient.edit_entry": "correction"}


def _closed_page(block):
    """The closed-link page (410): it still says whom to call and, answering a post, that
    what the post sent was not saved (without script, the patient's only word of it)."""
    sent = SENT_BY.get(request.endpoint or "") if request.method == "POST" else None
    safety = clinic_safety_text(block.clinic)
    page = render_template("patient/closed.html", block=block, safety_text=safety, sent=sent)
    return make_response(page, 410)


def clinic_safety_text(clinic, translate: Callable[[str], str] | None = None) -> str:
    """The clinic's safety text in the page's language (the diary's and the follow-up's).
    ``translate``: the request's catalogue's gettext, when the caller has it."""
    language = str(get_locale())
    return safety_text_for(clinic.safety_text, language, bool(clinic.contact_line), translate)


LATE_TIME_NEEDED = _l("Add the time you felt this pain: the diary window is over.")


def _entry_input(form: EntryForm, tz_name: str) -> EntryInput:
    recorded_at = form.recorded_at.data
    return EntryInput(
        pain=form.pain.score_or_none,
        pain_left=form.pain_left.score_or_none,
        pain_right=form.pain_right.score_or_none,
        recorded_at=clinic_time_to_utc(recorded_at, tz_name) if recorded_at else None,
        reported_relief_pct=form.relief_pct.data,
        activity=form.chosen_activity(),
        note=form.note.data or None,
        client_id=form.client_id.data or None,
        side_effects=form.side_effects.data or (),
        side_effect_note=form.side_effect_note.data or None,
    )


@bp.context_processor
def _page_words() -> dict:
    # The templates' _() with this request's translations, looked up once. Named "_" too:
    # Jinja's "_" looks "gettext" up on each call, and takes the context, which Jinja
    # copies for each call inside a block that sets variables (20 of the page's phrases).
    gettext = template_gettext(get_translations())
    # Addresses built once (diary/patient/page_urls.py): a dozen a page.
    return {"gettext": gettext, "_": gettext, "url_for": page_url_builder()}


@bp.record_once
def _keep_saved_lists(state) -> None:
    # Recently shown diaries' entries and saved-scores lists, each under all it depends
    # on: the key holds the block's change time, which every new entry, correction and
    # re-slotting of the diary bumps (the chart cache's key holds it too), so a changed
    # diary is a new key, never a stale list.
    state.app.extensions["diary_saved_lists"] = BoundedLRU(
        max_items=256, size=text_size, max_size=SAVED_LISTS_MAX_CHARS
    )


def _entries_and_saved_list(block, locale: str, today: date, window_over: bool):
    """Whether the block has entries, their list as the page shows it now and the due times
    they answer, made again only when any of what they depend on changes."""
    tz = block.clinic.timezone
    # No correction once the window is over (the link would only say so).
    corrections = not window_over

    def make():
        edit_url = None
        if corrections:
            token = block.diary_token
            edit_url = page_url_for("patient.edit_entry", token=token, entry_id=int(ID_MARK))
        # Read after the block: a diary changed in between has its entries listed under
        # the change time read before, which no later page asks for again.
        entries = page_entries(block.id)
        dated = edit_url is None  # a finished diary dates every score
        translate = get_translations().ugettext
        html = saved_list_html(entries, translate, locale, ZoneInfo(tz), today, dated, edit_url)
        # Not the rows: all the page needs of them is kept (15 KB a 50-entry diary).
        return bool(entries), html, answered_due_times(entries)

    # The token: a list is never another diary's, in another database (tests) either.
    key = (block.diary_token, block.id, block.changed_at, locale, tz, today, corrections)
    return current_app.extensions["diary_saved_lists"].get_or_make(key, make)


def _refused(block, form: EntryForm, now: datetime, window_over: bool):
    """The diary page answering a post it refused (400): its reasons beside their fields,
    the first also at the top of the page with a link to its question (without script the
    page opens at its top, and a scale's reason may be a screen or two down)."""
    say_first_refusal(form, _("Your score was not saved. %(reason)s"))
    return _render_diary(block, form, 400, now, window_over)


def _render_diary(block, form: EntryForm, status: int, now: datetime, window_over: bool):
    """The diary page drawn afresh (a post's answer with its errors), at the post's ``now``
    and with whether the window was over then."""
    return _draw_diary(block, form, *_diary_state(block, now, window_over)), status


class DiaryState(NamedTuple):
    """What the page shows of the diary now (``_draw_diary``'s arguments after the form)."""

    saved_list: Markup
    due: DueNotice
    locale: str
    today: date
    has_entries: bool


def _diary_state(block, now: datetime | None = None, window_over: bool | None = None) -> DiaryState:
    """What the page shows of the diary at ``now`` (by default now): its saved list, what
    is due, language, day. ``window_over``: whether the window is over then, when the
    caller has asked already (``diary_window_over``)."""
    now = now or utcnow()
    if window_over is None:
        window_over = diary_window_over(block, now)
    locale = str(get_locale())
    today = now.astimezone(ZoneInfo(block.clinic.timezone)).date()
    kept = _entries_and_saved_list(block, locale, today, window_over)
    has_entries, saved_list, (answered, counted, entry_count) = kept
    due = due_notice(block, now, answered, counted, entry_count, window_is_over=window_over)
    return DiaryState(saved_list, due, locale, today, has_entries)


def _draw_diary(
    block,
    form: EntryForm | None,
    saved_list,
    due,
    locale,
    today,
    has_entries,
    *,
    hidden_fields: Markup | None = None,
    entry_fields: Markup | None = None,
) -> str:
    """The diary page: with ``form`` (a post's answer with its errors), or with the form as
    the page sends it, its ``hidden_fields`` and ``entry_fields`` already written."""
    if form is not None and due.window_over:
        form.as_late_entry()
    g.page_has_forms = True  # its Referer must reach this site for CSRF over https
    translate = get_translations().ugettext  # looked up once for the page's own phrases
    return render_template(
        "patient/diary.html",
        block=block,
        form=form,
        hidden_fields=hidden_fields,
        entry_fields=entry_fields,
        due=due,
        saved_list=saved_list,
        tz=block.clinic.timezone,
        today=today.isoformat(),
        instructions=instructions_for(block.clinic.instructions, locale, translate),
        safety_text=clinic_safety_text(block.clinic, translate),
        open_instructions=not has_entries,
    )


def _draw_diary_as_sent(block, state: DiaryState, client_id: str, csrf_token: str | None) -> str:
    """The diary page with its form as sent (no data, no errors): no form is built for it
    unless its fields are drawn for the first time (``_entry_fields``)."""
    fields = _entry_fields(block, state.due, state.locale, block.clinic.timezone, client_id)
    hidden = hidden_inputs(client_id, csrf_token)
    return _draw_diary(block, None, *state, hidden_fields=hidden, entry_fields=fields)


@bp.record_once
def _keep_pages(state) -> None:
    state.app.extensions["diary_kept_pages"] = KeptPages()
    keep_page_urls(state.app)
    # The entry form's fields as drawn, per language, zone, activity list, scoring and
    # window: a few dozen at most (about 4 KB each).
    state.app.extensions["diary_entry_fields"] = BoundedLRU(max_items=64)


def _entry_fields(block, due, locale: str, tz: str, client_id: str) -> Markup:
    """The entry form's fields as sent (templates/patient/_entry_fields.html), drawn once
    for all diaries asking the same questions in the same words: most of the form's cost
    (a dozen fields and macros, their labels translated) on a diary's first view."""
    activities = tuple(block.activities or ())
    key = (locale, tz, activities, block.scored_apart, due.window_over)

    def draw() -> Markup:
        form = _entry_form(block, client_id)
        if due.window_over:
            form.as_late_entry()
        # Drawn by the template, which escaped all it wrote.
        return Markup(  # noqa: S704  # nosec B704
            render_template("patient/_entry_fields.html", block=block, form=form, due=due, tz=tz)
        )

    return current_app.extensions["diary_entry_fields"].get_or_make(key, draw)


def _diary_page(block) -> str:
    """The plain view of the diary page: kept whole (diary/patient/kept_pages.py) and sent
    again with this request's CSRF token and entry id while nothing it shows changes."""
    state = _diary_state(block)
    saved_list, due, locale, today, has_entries = state
    client_id = uuid.uuid4().hex
    csrf = current_app.config.get("WTF_CSRF_ENABLED", True)
    # Flask-WTF's token for this request and session (the form's own, were one built).
    csrf_token = generate_csrf() if csrf else None
    if session.get("_flashes"):  # shown once: such a page is neither kept nor taken
        return _draw_diary_as_sent(block, state, client_id, csrf_token)
    key = page_key(
        block,
        locale,
        today,
        has_entries,
        due,
        csrf,
        request.script_root,
        current_app.config.get("VAPID_PUBLIC_KEY"),
    )
    # In the form's order: the entry id, then the CSRF token.
    values = [str(escape(value)) for value in (client_id, csrf_token) if value is not None]
    pages = current_app.extensions["diary_kept_pages"]
    parts = pages.get(key)
    if parts is not None:
        g.page_has_forms = True
        return filled(parts, [value.encode() for value in values])
    page = _draw_diary_as_sent(block, state, client_id, csrf_token)
    parts = split_page(page, values)
    if parts is not None:
        # Kept as sent, in UTF-8: half a str's memory for a page with one character past
        # Latin-1 (Python stores such a str at 2 bytes a character); sent without encoding.
        pages.keep(key, tuple(part.encode() for part in parts))
    return page


def _entry_form(block, client_id: str | None = None) -> EntryForm:
    form = EntryForm() if client_id is None else EntryForm(client_id=client_id)
    form.set_activities(block.activities)
    form.ask_for(block)
    return form


@bp.get("/sw.js")
def service_worker():
    """The service worker, served under /d/ so that it may control the diary pages."""
    return service_worker_response()


def service_worker_response():
    """static/sw.js, never kept stale (the pages under /d/ and /f/ serve it)."""
    response = send_from_directory(str(current_app.static_folder), "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/<token>/manifest.webmanifest")
def manifest(token: str):
    block_for_token_or_404(token)
    body = {
        "name": "Pain diary",
        "short_name": "Pain diary",
        "start_url": url_for("patient.diary", token=token),
        "scope": url_for("patient.diary", token=token),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    return current_app.response_class(json.dumps(body), mimetype="application/manifest+json")


@bp.get("/<token>/reminders.ics")
def reminders(token: str):
    block = _open_block_or_410(token)
    progress = diary_progress(block)
    body = reminders_ics(
        progress.due_times,
        block.clinic.timezone,
        diary_url(block),
        uid_prefix=hashlib.sha256(token.encode()).hexdigest()[:16],
        now=utcnow(),
        daily_slots=progress.daily_slots,
    )
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="pain-diary-reminders.ics"'},
    )


@bp.get("/<token>")
def diary(token: str):
    return _diary_page(_open_block_or_410(token))


@bp.post("/<token>/entries")
def add_entry(token: str):
    block = _open_block_or_410(token)
    form = _entry_form(block)
    form.id_required = True  # a correction's form (edit_entry) carries none
    # Asked once: the answer's page (with errors) says what this check found.
    now = utcnow()
    window_over = diary_window_over(block, now)
    if not form.validate():
        return _refused(block, form, now, window_over)
    if not form.recorded_at.data and window_over:
        form.recorded_at.errors.append(LATE_TIME_NEEDED)
        return _refused(block, form, now, window_over)
    try:
        with one_writer_at_a_time(db.session):
            created = record_entry(block, _entry_input(form, block.clinic.timezone))[1]
            db.session.commit()
    except InputRejected as rejected:
        getattr(form, rejected.field).errors.append(_(rejected.message))
        return _refused(block, form, now, window_over)
    except DiaryClosed:  # closed since the check above
        abort(_closed_page(block))
    flash(_("Saved. Thank you.") if created else _("Already saved. Thank you."), "success")
    return _diary_at_its_notice(token)


def _diary_at_its_notice(token: str):
    """The diary after a post that flashed a notice ("Saved. Thank you."), opened at it:
    it is the first line of <main>. Opened at the scores (#entries), below it, a phone
    showed no word of it (outside trial)."""
    return redirect(url_for("patient.diary", token=token) + "#main")


@bp.route("/<token>/entries/<int:entry_id>/edit", methods=["GET", "POST"])
def edit_entry(token: str, entry_id: int):
    block = _open_block_or_410(token)
    entry = entry_of_block_or_404(block, entry_id)
    if diary_window_over(block):
        flash(_(CORRECTIONS_CLOSED), "info")
        return _diary_at_its_notice(token)
    form = _entry_form(block)
    form.as_correction(patient_time(entry.recorded_at, block.clinic.timezone, "medium"))
    if form.is_submitted():
        if form.validate():
            values = _entry_input(form, block.clinic.timezone)
            try:
                changed = correct_entry(entry, values, replaced_by="patient")
            except InputRejected as rejected:
                getattr(form, rejected.field).errors.append(_(rejected.message))
            else:
                db.session.commit()
                flash(_("Corrected.") if changed else _("Nothing changed."), "success")
                return _diary_at_its_notice(token)
        status = 400
    else:
        for name in ("pain", "pain_left", "pain_right"):
            value = getattr(entry, name)
            form[name].data = None if value is None else str(value)
        form.relief_pct.data = entry.reported_relief_pct
        if entry.activity in block.activities:
            form.activity.data = entry.activity
        elif entry.activity:
            form.activity.data, form.activity_other.data = OTHER_ACTIVITY, entry.activity
        form.note.data = entry.note
        form.recorded_at.data = utc_to_clinic_time(entry.recorded_at, block.clinic.timezone)
        status = 200
    g.page_has_forms = True
    return render_template(
        "patient/edit.html", block=block, entry=entry, form=form, tz=block.clinic.timezone
    ), status
