"""forkpool: clients of the forkpool daemon (forkpoold) in Python.

    import forkpool

    async with forkpool.Client() as fp:            # asyncio
        print(await fp.call("echo", "hi", timeout=5))

    with forkpool.BlockingClient() as fp:          # blocking
        print(fp.call("echo", "hi"))

The protocol is MessagePack-RPC over the daemon's Unix socket; see
forkpool-rpc(7) and README.md next to this package.
"""

from ._socket import default_socket
from .aio import BACKOFF_MAX, BACKOFF_MIN, Client
from .errors import (ERRORS, BadRequest, Cancelled, CircuitOpen,
                     ConnectionLost, ForkPoolError, HandlerError, Internal,
                     InvalidParams, NoSuchMethod, PermissionDenied,
                     QueueFull, ShuttingDown, Timeout, TooLarge,
                     Unavailable, WorkerCrashed)
from .sync import GRACE, BlockingClient

__version__ = "0.9.0"

__all__ = [
    "Client", "BlockingClient", "default_socket", "BACKOFF_MIN",
    "BACKOFF_MAX", "GRACE", "ERRORS", "ForkPoolError", "BadRequest",
    "NoSuchMethod", "InvalidParams", "TooLarge", "QueueFull", "Timeout",
    "WorkerCrashed", "HandlerError", "CircuitOpen", "Cancelled",
    "ShuttingDown", "PermissionDenied", "Internal", "ConnectionLost",
    "Unavailable", "__version__",
]
