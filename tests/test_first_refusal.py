"""diary.forms.flash_first_refusal: the first refused field said at the top of a page, with a
link to it (the clinic's staff check-in and the patient's pages call it with their own words
and anchors; tests/test_followup.py and tests/test_patient_diary.py read their pages)."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from markupsafe import Markup
from wtforms import Form, HiddenField, StringField

from diary import create_app
from diary.forms import flash_first_refusal


class Refused(Form):
    client_id = HiddenField()
    months = StringField()
    note = StringField()


@pytest.fixture(scope="module")
def app():
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def flashed(app, form, **rule) -> list:
    rule = {
        "said": lambda field: f"Not saved: {field.errors[0]}",
        "anchor": lambda field: None if field.type == "HiddenField" else f"{field.id}-error",
        "link_words": "Go to the field",
    } | rule
    with app.test_request_context("/"):
        flash_first_refusal(form, **rule)
        return get_flashed_messages(with_categories=True)


def refused(**errors: list[str]) -> Refused:
    form = Refused()
    for name, said in errors.items():
        form[name].errors = said
    return form


def test_the_first_refused_field_is_said_with_a_link_to_it_and_escaped(app):
    form = refused(months=['<b>"6" & 12</b>', "second"], note=["later"])
    [(category, message)] = flashed(app, form, link_words="Go <to> it")
    assert category == "error" and isinstance(message, Markup)
    assert message == (
        "Not saved: &lt;b&gt;&#34;6&#34; &amp; 12&lt;/b&gt; "
        '<a href="#months-error">Go &lt;to&gt; it</a>'
    )


def test_an_anchor_is_escaped_in_the_link(app):
    [(_, message)] = flashed(app, refused(note=["x"]), anchor=lambda field: 'q"><i>')
    assert message == 'Not saved: x <a href="#q&#34;&gt;&lt;i&gt;">Go to the field</a>'


def test_a_field_without_an_anchor_is_said_as_plain_text_without_a_link(app):
    [(category, message)] = flashed(app, refused(client_id=["<old>"], months=["m"]))
    assert (category, message) == ("error", "Not saved: <old>")
    assert type(message) is str  # the page escapes it


def test_only_the_shown_fields_are_said_and_nothing_when_none_is_refused(app):
    form = refused(client_id=["hidden"], months=["m"], note=["n"])
    shown = {"note"}
    [(_, message)] = flashed(app, form, shown=lambda field: field.name in shown)
    assert message == 'Not saved: n <a href="#note-error">Go to the field</a>'
    assert flashed(app, refused()) == []
    shown.clear()
    assert flashed(app, form, shown=lambda field: field.name in shown) == []
