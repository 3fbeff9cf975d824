"""The exceptions of the forkpool clients.

Every error a call can end with is a :class:`ForkPoolError`.  An error the
daemon answered is an instance of the class of its code (``ERRORS[code]``),
with the code, the daemon's message and, where the daemon gives them, the
signal, exit status and attempts of the task.  A code this module does not
know (from a newer daemon) gives a plain :class:`ForkPoolError` that keeps
the code.  Two codes are the client's own: ``connection_lost``
(:class:`ConnectionLost`) and ``unavailable`` (:class:`Unavailable`).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, Type

__all__ = [
    "ForkPoolError", "BadRequest", "NoSuchMethod", "InvalidParams",
    "TooLarge", "QueueFull", "Timeout", "WorkerCrashed", "HandlerError",
    "CircuitOpen", "Cancelled", "ShuttingDown", "PermissionDenied",
    "Internal", "ConnectionLost", "Unavailable", "ERRORS", "error_from",
]


class ForkPoolError(Exception):
    """The base class of every error of a forkpool call.

    Attributes: ``code`` (the error code, a str), ``message`` (a
    description for people, which may change between releases),
    ``method`` (the method called, when known), and for the codes that
    have them ``signal``, ``status`` and ``attempts`` (``None`` when the
    daemon did not send them).
    """

    code: str = "unknown"

    def __init__(self, message: str, code: Optional[str] = None, *,
                 method: Optional[str] = None, signal: Optional[int] = None,
                 status: Optional[int] = None,
                 attempts: Optional[int] = None) -> None:
        super().__init__(message)
        self.message: str = message
        self.code = code if code is not None else type(self).code
        self.method: Optional[str] = method
        self.signal: Optional[int] = signal
        self.status: Optional[int] = status
        self.attempts: Optional[int] = attempts

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        extra = "".join(f", {k}={getattr(self, k)!r}"
                        for k in ("method", "signal", "status", "attempts")
                        if getattr(self, k) is not None)
        return f"{type(self).__name__}({self.message!r}, {self.code!r}{extra})"

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.message, self.code), dict(self.__dict__))

    def __setstate__(self, state: Optional[Dict[str, Any]]) -> None:
        for k, v in (state or {}).items():
            setattr(self, k, v)


class BadRequest(ForkPoolError):
    """``bad_request``: the message was not a valid request."""
    code = "bad_request"


class NoSuchMethod(ForkPoolError):
    """``no_such_method``: no handler or method has that name."""
    code = "no_such_method"


class InvalidParams(ForkPoolError):
    """``invalid_params``: wrong number, type or range of parameters."""
    code = "invalid_params"


class TooLarge(ForkPoolError):
    """``too_large``: the request or the result is too large."""
    code = "too_large"


class QueueFull(ForkPoolError):
    """``queue_full``: the request was not queued."""
    code = "queue_full"


class Timeout(ForkPoolError, TimeoutError):
    """``timeout``: the task's deadline passed (also a TimeoutError)."""
    code = "timeout"


class WorkerCrashed(ForkPoolError):
    """``worker_crashed``: the worker died while it ran the task."""
    code = "worker_crashed"


class HandlerError(ForkPoolError):
    """``handler_error``: a handler reported that the task failed."""
    code = "handler_error"


class CircuitOpen(ForkPoolError):
    """``circuit_open``: the handler's circuit breaker is open."""
    code = "circuit_open"


class Cancelled(ForkPoolError):
    """``cancelled``: the request was cancelled by forkpool.cancel."""
    code = "cancelled"


class ShuttingDown(ForkPoolError):
    """``shutting_down``: the daemon is shutting down."""
    code = "shutting_down"


class PermissionDenied(ForkPoolError):
    """``permission_denied``: the caller may not use that method."""
    code = "permission_denied"


class Internal(ForkPoolError):
    """``internal``: an error inside the daemon or a handler."""
    code = "internal"


class ConnectionLost(ForkPoolError, ConnectionError):
    """``connection_lost`` (client side): the connection closed while the
    call was outstanding; the call may or may not have run."""
    code = "connection_lost"


class Unavailable(ForkPoolError, ConnectionError):
    """``unavailable`` (client side): the socket could not be connected.

    ``filename`` is the socket's path; ``errno`` and ``strerror`` say why,
    as for an OSError (``errno`` is None when the refusal is the client's
    own, such as an untrusted directory for the default socket).
    """
    code = "unavailable"

    def __init__(self, message: str, code: Optional[str] = None, *,
                 path: Optional[str] = None, errno: Optional[int] = None,
                 strerror: Optional[str] = None, **kw: Any) -> None:
        super().__init__(message, code, **kw)
        self.filename = path
        # OSError's own attributes, None when not known (as OSError's).
        self.errno = errno          # type: ignore[assignment]
        self.strerror = strerror    # type: ignore[assignment]

    def __reduce__(self) -> Tuple[Any, ...]:
        cls, args, state = super().__reduce__()
        state.update(filename=self.filename, errno=self.errno,
                     strerror=self.strerror)
        return (cls, args, state)


#: The class of each error code the daemon sends.
ERRORS: Dict[str, Type[ForkPoolError]] = {
    cls.code: cls for cls in (
        BadRequest, NoSuchMethod, InvalidParams, TooLarge, QueueFull,
        Timeout, WorkerCrashed, HandlerError, CircuitOpen, Cancelled,
        ShuttingDown, PermissionDenied, Internal)
}


def _int_or_none(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def error_from(error: Any, method: Optional[str] = None) -> ForkPoolError:
    """The exception for the error object of a response."""
    if not isinstance(error, Mapping):
        return Internal(f"malformed error object from the daemon: "
                        f"{error!r}", method=method)
    code = error.get("code")
    message = error.get("message")
    if not isinstance(message, str):
        message = repr(message) if message is not None else ""
    if not isinstance(code, str):
        return Internal(message or f"error without a code: {error!r}",
                        method=method)
    cls = ERRORS.get(code, ForkPoolError)
    return cls(message, code, method=method,
               signal=_int_or_none(error.get("signal")),
               status=_int_or_none(error.get("status")),
               attempts=_int_or_none(error.get("attempts")))
