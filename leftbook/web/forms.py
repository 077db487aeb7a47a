"""The forms posters fill in: readers' forms are guarded by the SameSite form cookie
(formcookie.py), janitors' by flask-wtf's session token."""

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, ValidationError

from leftbook.database.models import MAX_POST_NO

MAX_FIELD = 20_000


def printable(_form: FlaskForm, field: PasswordField) -> None:
    """A password goes back to the browser in a cookie: no control characters in it."""
    if field.data and not field.data.isprintable():
        raise ValidationError("use letters, digits, spaces and punctuation only.")


class ReaderForm(FlaskForm):
    """A form on pages shared by every reader: the SameSite form cookie guards it
    (formcookie.py), not a token in the page."""

    class Meta:
        csrf = False


class PostForm(ReaderForm):
    thread = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_POST_NO)])
    name = StringField(validators=[Length(max=200)])
    options = StringField(validators=[Length(max=100)])
    subject = StringField(validators=[Length(max=400)])
    body = TextAreaField(validators=[Length(max=MAX_FIELD)])
    file = MultipleFileField()  # one multiple input, or the field repeated
    spoiler = BooleanField()
    password = PasswordField(validators=[Length(max=128), printable])
    captcha_challenge = HiddenField(validators=[Length(max=300)])
    captcha_answer = StringField(validators=[Length(max=32)])
    # event boards, new threads (checked by leftbook.events.fields)
    event_start = StringField(validators=[Length(max=40)])
    event_end = StringField(validators=[Length(max=40)])
    event_place = StringField(validators=[Length(max=400)])
    event_link = StringField(validators=[Length(max=2000)])
    confirm_personal = BooleanField()  # post despite the personal-details warning


class DeleteForm(ReaderForm):
    password = PasswordField(validators=[Length(max=128), printable])
    file_only = BooleanField()


def first_error(form: FlaskForm) -> str:
    """One clear sentence for the first field that failed."""
    for name, errors in form.errors.items():
        if errors:
            label = "The security token" if name == "csrf_token" else f"The field '{name}'"
            return f"{label}: {errors[0]}"
    return "The form could not be read."


class JanitorActionForm(FlaskForm):
    do = StringField(validators=[Length(min=3, max=120)])
    confirmed = BooleanField()
    report = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_POST_NO)])
    back = StringField(validators=[Optional(), Length(max=200)])


class ReportForm(ReaderForm):
    reason = StringField(validators=[Length(max=32)])
    text = StringField(validators=[Length(max=1000)])


class WatchForm(ReaderForm):
    """The watch button on a thread and the unwatch buttons on /watched."""

    do = StringField(validators=[AnyOf(("watch", "unwatch"))])
    board = StringField(validators=[Length(min=1, max=16)])
    no = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_POST_NO)])
    back = StringField(validators=[Length(max=300)])
