"""Errors that services raise for the person using the portal to read."""


class DomainError(Exception):
    """A rule of the program was not met. The message is translated and safe to show.

    `field` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The acting user may not do this."""
