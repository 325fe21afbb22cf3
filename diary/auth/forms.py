from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class EmptyForm(FlaskForm):
    """A form with no fields, so a bare POST button still carries a CSRF token."""


class ChangePasswordForm(FlaskForm):
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
