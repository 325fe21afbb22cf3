from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from diary.forms import OneAnswerForm  # a field sent twice is refused


class LoginForm(OneAnswerForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class EmptyForm(FlaskForm):
    """A form with no fields, so a bare POST button still carries a CSRF token."""


class ChangePasswordForm(OneAnswerForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password (at least 15 characters; a few words work well)",
        validators=[DataRequired("Enter a new password."), Length(max=256)],
    )
    confirm_password = PasswordField(
        "New password again", validators=[EqualTo("new_password", "The two new passwords differ.")]
    )


class SecondFactorForm(OneAnswerForm):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[DataRequired("Type the code."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class TwoFactorSetupForm(OneAnswerForm):
    code = StringField(
        "The 6-digit code the app shows now",
        validators=[DataRequired("Type the code the app shows."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class CurrentPasswordForm(OneAnswerForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
