"""Every state change and the rules around it (who may, what is audited).

Views and CLI commands call these functions; neither has its own copy of the rules. Each
operation takes the session and the acting user, flushes, and leaves the commit to its caller
(one unit of work per request or command).
"""


class OperationError(Exception):
    """A rule refused the change; the message is shown to the user as is."""

    status = 400


class NotFound(OperationError):
    """The object does not exist or the actor may not know it exists (404 in every channel)."""

    status = 404


class Forbidden(OperationError):
    """The actor may not do this (403)."""

    status = 403


class Conflict(OperationError):
    """The record changed since the form was loaded (409); the user's input must be kept."""

    status = 409
