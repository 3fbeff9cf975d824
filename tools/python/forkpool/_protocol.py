"""What both clients share: message framing and encoding, message IDs,
per-call options and the reading of responses (see forkpool-rpc(7))."""

from __future__ import annotations

import math
from typing import Any, Dict, Iterator, List, Optional, Tuple

import msgpack  # type: ignore[import]

from ._socket import resolve
from .errors import ForkPoolError, error_from

__all__ = ["MsgIds", "Decoder", "ProtocolViolation", "pack_request",
           "pack_notification", "call_options", "encode_call",
           "encode_notify", "response_outcome", "new_packer", "MSGID_LIMIT"]

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2
MSGID_LIMIT = 1 << 32

# str as str, bytes/bytearray/memoryview as bin.  A str that is not valid
# UTF-8 (from a plug-in) decodes with lone surrogates and encodes back to
# the same bytes.
_UNICODE_ERRORS = "surrogateescape"


def _packer() -> msgpack.Packer:
    return msgpack.Packer(use_bin_type=True, unicode_errors=_UNICODE_ERRORS)


class ProtocolViolation(Exception):
    """The daemon sent something that is not a response: the connection
    cannot be trusted any more and is closed."""


class MsgIds:
    """Message IDs 0..2^32-1, in turn, wrapping, never one in use."""

    def __init__(self, start: int = 1) -> None:
        self._next = start % MSGID_LIMIT

    def take(self, in_use: Any) -> int:
        """The next ID not in in_use (a container of IDs in flight)."""
        for _ in range(MSGID_LIMIT):
            msgid = self._next
            self._next = (msgid + 1) % MSGID_LIMIT
            if msgid not in in_use:
                return msgid
        raise RuntimeError("every message ID is in use")


def pack_request(packer: msgpack.Packer, msgid: int, method: str,
                 params: Any) -> bytes:
    data: bytes = packer.pack([REQUEST, msgid, method, params])
    return data


def pack_notification(packer: msgpack.Packer, method: str,
                      params: Any) -> bytes:
    data: bytes = packer.pack([NOTIFICATION, method, params])
    return data


def timeout_ms(timeout: Any) -> int:
    """A timeout in seconds as the whole milliseconds of forkpool.call,
    rounded up (so that 0.0001 s is 1 ms, not 0: none)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not "
                        f"{type(timeout).__name__}")
    if not math.isfinite(timeout) or timeout < 0:
        raise ValueError(f"timeout must be a number of seconds >= 0, not "
                         f"{timeout!r}")
    return int(math.ceil(timeout * 1000))


def call_options(timeout: Optional[float], retries: Optional[int],
                 id: Optional[str]) -> Optional[Dict[str, Any]]:
    """The options map of forkpool.call, or None when there is none."""
    opts: Dict[str, Any] = {}
    if timeout is not None:
        opts["timeout_ms"] = timeout_ms(timeout)
    if retries is not None:
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise TypeError(f"retries must be an int, not "
                            f"{type(retries).__name__}")
        opts["retries"] = retries
    if id is not None:
        if not isinstance(id, str):
            raise TypeError(f"id must be a str, not {type(id).__name__}")
        opts["id"] = id
    return opts or None


def encode_call(packer: msgpack.Packer, msgid: int, method: str,
                params: Tuple[Any, ...], opts: Optional[Dict[str, Any]]
                ) -> bytes:
    """A request: plain [0, msgid, method, params] without options, else
    forkpool.call [method, params, options]."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a str, not {type(method).__name__}")
    if opts is None:
        return pack_request(packer, msgid, method, list(params))
    return pack_request(packer, msgid, "forkpool.call",
                        [method, list(params), opts])


def encode_notify(packer: msgpack.Packer, method: str,
                  params: Tuple[Any, ...], opts: Optional[Dict[str, Any]]
                  ) -> bytes:
    if not isinstance(method, str):
        raise TypeError(f"method must be a str, not {type(method).__name__}")
    if opts is None:
        return pack_notification(packer, method, list(params))
    return pack_notification(packer, "forkpool.call",
                             [method, list(params), opts])


def _hashable(key: Any) -> Any:
    """A map key that is an array, as a tuple (deeply)."""
    if type(key) is list:
        return tuple(_hashable(k) for k in key)
    return key


def _map(pairs: List[Tuple[Any, Any]]) -> Dict[Any, Any]:
    """A map as a dict.  An array key (a tuple key this client sent, which
    a handler such as echo sends back) becomes a tuple, since a list
    cannot be a dict key."""
    try:
        return dict(pairs)
    except TypeError:
        return {_hashable(k): v for k, v in pairs}


class Decoder:
    """Splits the byte stream from the daemon into responses, whatever the
    boundaries of the pieces it is fed."""

    def __init__(self) -> None:
        # The daemon is trusted with sizes: a result may be up to 4 times
        # its max-request-size, which has no fixed bound here.
        self._u = msgpack.Unpacker(raw=False, strict_map_key=False,
                                   use_list=True, max_buffer_size=0,
                                   object_pairs_hook=_map,
                                   unicode_errors=_UNICODE_ERRORS)

    def feed(self, data: bytes) -> Iterator[Tuple[int, Any, Any]]:
        """Feed bytes; yield each whole response as (msgid, error, result).
        Raises ProtocolViolation on anything that is not a response."""
        try:
            self._u.feed(data)
            for msg in self._u:
                if (type(msg) is not list or len(msg) != 4
                        or msg[0] != RESPONSE or type(msg[1]) is not int):
                    raise ProtocolViolation(
                        f"not a response from the daemon: {msg!r:.200}")
                yield msg[1], msg[2], msg[3]
        except ProtocolViolation:
            raise
        except (ValueError, msgpack.ExtraData, msgpack.FormatError,
                msgpack.StackError, msgpack.BufferFull) as e:
            raise ProtocolViolation(f"malformed MessagePack from the daemon: "
                                    f"{e}") from e
        except TypeError as e:      # a map key that is a map
            raise ProtocolViolation(f"a map key that Python cannot hold: "
                                    f"{e}") from e


def response_outcome(error: Any, result: Any, method: Optional[str]
                     ) -> Tuple[bool, Any]:
    """(True, result) for a success, (False, exception) for an error."""
    if error is None:
        return True, result
    exc: ForkPoolError = error_from(error, method)
    return False, exc


def new_packer() -> msgpack.Packer:
    return _packer()



class ClientSettings:
    """What both clients keep of their arguments: the socket's path (and
    whether it is the default, whose directory is checked), the defaults of
    every call, the connection attempts' bound and back-off, the packer."""

    def __init__(self, socket: Any, timeout: Optional[float],
                 retries: Optional[int], connect_timeout: float) -> None:
        self.path, self._default = resolve(socket)
        # Checked now, so that a bad default is reported at once.
        self._defaults = call_options(timeout, retries, None)
        self.timeout = timeout
        self.retries = retries
        self.connect_timeout = connect_timeout
        self._packer = new_packer()
        self._backoff = 0.0
        self._next_try = 0.0

    def _options(self, method: str, timeout: Optional[float],
                 retries: Optional[int], id: Optional[str]
                 ) -> Optional[Dict[str, Any]]:
        """The options map of forkpool.call for one call: its own over the
        client's defaults, which are for handlers only (forkpool.call
        refuses the administrative methods)."""
        opts = call_options(timeout, retries, id)
        if self._defaults is not None and not method.startswith("forkpool."):
            opts = {**self._defaults, **(opts or {})}
        return opts
