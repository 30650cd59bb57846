"""The one line between a user's bad input and our own failure.

An InputError's message is written for the person who sent the input and is safe to show them;
any other exception is ours, is logged, and reaches a user only as a generic message.
"""

from __future__ import annotations

import logging


class InputError(ValueError):
    """The input cannot be analysed (unreadable, empty, too long, ...); the message says why."""


INTERNAL_ERROR = "something went wrong while analysing this file; please try another one"


def user_message(exc: BaseException) -> str:
    """What a person may be told about a failure: the reason for bad input, nothing internal."""
    return str(exc) if isinstance(exc, InputError) else INTERNAL_ERROR


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log one failed analysis: a rejected input as one WARNING line with its reason (and, for the
    log only, the decoder's own error behind it); a failure of ours as an ERROR with its traceback."""
    if not isinstance(exc, InputError):
        logger.error("%s: analysis failed", what, exc_info=exc)
        return
    cause = exc.__cause__
    behind = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
    logger.warning("%s rejected: %s", what, " ".join(f"{exc}{behind}".split()))
