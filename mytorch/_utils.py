"""Helpers at torch._utils's path: ExceptionWrapper, which carries an exception and its
traceback text across a process boundary (the DataLoader's workers) and raises it again there."""

import sys
import traceback


class KeyErrorMessage(str):
    """A KeyError's message printed as it is (KeyError would otherwise show its repr, quotes and
    escaped newlines included)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """Matches torch._utils.ExceptionWrapper: the exception being handled (or ``exc_info``),
    kept as its class and the text of its traceback so that it pickles."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the original exception class with the original traceback text as its message
        (a RuntimeError when that class cannot be made from one string)."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            # Exceptions that take ``message`` by keyword only.
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            # NOTE: no cycle (this frame -> exception -> traceback -> this frame): the frames
            # the traceback holds are freed with it, so a DataLoader iterator in them is shut
            # down by reference counting, not later by the cycle collector.
            exception = None
