"""What a service refuses, for every door to turn into its own kind of answer."""


class InputRejected(ValueError):
    """A value that cannot be stored; ``field`` names the input at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


class DiaryClosed(Exception):
    """The diary link has expired or was revoked."""
