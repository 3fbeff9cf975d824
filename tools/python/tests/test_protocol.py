"""What the clients do without a daemon: the frame decoder fed responses
split at every byte boundary, message IDs, the options of forkpool.call,
the mapping of error codes to exceptions, the default socket's rules."""

from __future__ import annotations

import os
import pickle
import tempfile
import unittest
from unittest import mock

import msgpack

import forkpool
from forkpool import _protocol, _socket
from forkpool.errors import error_from


class DecoderTest(unittest.TestCase):

    def responses(self) -> list:
        return [
            [1, 0, None, "pong"],
            [1, 2**32 - 1, None, {"a": [1, 2.5, None, True], 7: b"\x00\xff"}],
            [1, 5, {"code": "worker_crashed", "message": "m", "signal": 11,
                    "attempts": 1}, None],
            [1, 6, None, "x" * 70000],
            [1, 7, None, [2**64 - 1, -2**63, 0.1, "é€😀"]],
        ]

    def test_split_at_every_byte(self) -> None:
        msgs = self.responses()
        stream = b"".join(msgpack.packb(m, use_bin_type=True) for m in msgs)
        want = [(m[1], m[2], m[3]) for m in msgs]
        whole = list(_protocol.Decoder().feed(stream))
        self.assertEqual(whole, want)
        # Split in two at each boundary, for the short messages; the long
        # one in steps.
        small = b"".join(msgpack.packb(m, use_bin_type=True)
                         for m in msgs[:3])
        for cut in range(len(small) + 1):
            d = _protocol.Decoder()
            got = list(d.feed(small[:cut])) + list(d.feed(small[cut:]))
            self.assertEqual(got, want[:3], f"cut at {cut}")
        # One byte at a time, the whole stream.
        d = _protocol.Decoder()
        got = []
        for i in range(len(stream)):
            got.extend(d.feed(stream[i:i + 1]))
        self.assertEqual(got, want)

    def test_not_a_response(self) -> None:
        for bad in ([0, 1, "echo", []], [2, "x", []], [1, "a", None, None],
                    [1, 1, None], {"x": 1}, 5):
            with self.assertRaises(_protocol.ProtocolViolation, msg=bad):
                list(_protocol.Decoder().feed(msgpack.packb(bad)))
        with self.assertRaises(_protocol.ProtocolViolation):
            list(_protocol.Decoder().feed(b"\xc1"))

    def test_array_keys(self) -> None:
        # An array key comes back as a tuple (deeply); a map key, which
        # Python cannot hold, is a protocol error, not a TypeError.
        v = {(1, (2, b"x")): "a", "b": {(): [1]}}
        (msgid, err, res), = _protocol.Decoder().feed(
            _protocol.new_packer().pack([1, 3, None, v]))
        self.assertEqual(res, v)
        bad = b"\x94\x01\x01\xc0\x81\x81\x01\x02\x03"  # {{1: 2}: 3}
        with self.assertRaisesRegex(_protocol.ProtocolViolation,
                                    "map key that Python cannot hold"):
            list(_protocol.Decoder().feed(bad))

    def test_invalid_utf8_str_round_trips(self) -> None:
        raw = b"\xa3a\xffb"     # a str of 3 bytes, not UTF-8
        (msgid, err, res), = _protocol.Decoder().feed(
            b"\x94\x01\x01\xc0" + raw)
        self.assertEqual(res, "a\udcffb")
        self.assertEqual(_protocol.new_packer().pack(res), raw)


class EncodeTest(unittest.TestCase):

    def unpack(self, data: bytes) -> list:
        return msgpack.unpackb(data, raw=False)

    def test_plain_request(self) -> None:
        p = _protocol.new_packer()
        data = _protocol.encode_call(p, 9, "echo", (b"x",), None)
        self.assertEqual(data, msgpack.packb([0, 9, "echo", [b"x"]],
                                             use_bin_type=True))
        self.assertEqual(self.unpack(
            _protocol.encode_call(p, 1, "echo", (bytearray(b"ab"),
                                                 memoryview(b"cd")), None)),
            [0, 1, "echo", [b"ab", b"cd"]])

    def test_call_options(self) -> None:
        p = _protocol.new_packer()
        opts = _protocol.call_options(1.5, 2, "job-1")
        self.assertEqual(opts, {"timeout_ms": 1500, "retries": 2,
                                "id": "job-1"})
        self.assertEqual(self.unpack(
            _protocol.encode_call(p, 3, "sleep", (10,), opts)),
            [0, 3, "forkpool.call", ["sleep", [10], opts]])
        self.assertEqual(self.unpack(
            _protocol.encode_notify(p, "sleep", (10,), None)),
            [2, "sleep", [10]])
        self.assertIsNone(_protocol.call_options(None, None, None))
        # Rounded up to the millisecond: a tiny timeout is not "none".
        self.assertEqual(_protocol.call_options(0.0001, None, None),
                         {"timeout_ms": 1})
        self.assertEqual(_protocol.call_options(0, None, None),
                         {"timeout_ms": 0})
        for bad, exc in ((-1, ValueError), (float("nan"), ValueError),
                         (float("inf"), ValueError), ("5", TypeError),
                         (True, TypeError)):
            with self.assertRaises(exc, msg=repr(bad)):
                _protocol.call_options(bad, None, None)
        with self.assertRaises(TypeError):
            _protocol.call_options(None, 1.5, None)
        with self.assertRaises(TypeError):
            _protocol.call_options(None, None, 17)
        with self.assertRaises(TypeError):
            _protocol.encode_call(p, 1, b"echo", (), None)

    def test_msgids(self) -> None:
        ids = _protocol.MsgIds(2**32 - 2)
        self.assertEqual([ids.take(()) for _ in range(4)],
                         [2**32 - 2, 2**32 - 1, 0, 1])
        ids = _protocol.MsgIds(5)
        self.assertEqual(ids.take({5, 6, 8}), 7)
        self.assertEqual(ids.take({5, 6, 8}), 9)


class ErrorsTest(unittest.TestCase):

    CODES = ["bad_request", "no_such_method", "invalid_params", "too_large",
             "queue_full", "timeout", "worker_crashed", "handler_error",
             "circuit_open", "cancelled", "shutting_down",
             "permission_denied", "internal"]

    def test_every_code_has_its_class(self) -> None:
        self.assertEqual(sorted(forkpool.ERRORS), sorted(self.CODES))
        for code in self.CODES:
            e = error_from({"code": code, "message": "m"}, "meth")
            self.assertIs(type(e), forkpool.ERRORS[code])
            self.assertIsInstance(e, forkpool.ForkPoolError)
            self.assertEqual((e.code, e.message, e.method), (code, "m", "meth"))
            self.assertEqual(str(e), f"{code}: m")
        self.assertIsInstance(error_from({"code": "timeout", "message": ""}),
                              TimeoutError)

    def test_fields(self) -> None:
        e = error_from({"code": "worker_crashed", "message": "killed",
                        "signal": 9, "attempts": 3})
        self.assertEqual((e.signal, e.status, e.attempts), (9, None, 3))
        e = error_from({"code": "worker_crashed", "message": "exited",
                        "status": 0, "attempts": 1})
        self.assertEqual((e.signal, e.status, e.attempts), (None, 0, 1))

    def test_unknown_and_malformed(self) -> None:
        e = error_from({"code": "from_the_future", "message": "new"})
        self.assertIs(type(e), forkpool.ForkPoolError)
        self.assertEqual(e.code, "from_the_future")
        self.assertIs(type(error_from("oops")), forkpool.Internal)
        self.assertIs(type(error_from({"message": "no code"})),
                      forkpool.Internal)

    def test_client_side_classes(self) -> None:
        lost = forkpool.ConnectionLost("gone", method="echo")
        self.assertIsInstance(lost, ConnectionError)
        self.assertEqual(lost.code, "connection_lost")
        u = forkpool.Unavailable("cannot", path="/x", errno=2,
                                 strerror="No such file or directory")
        self.assertIsInstance(u, ConnectionError)
        self.assertEqual((u.code, u.filename, u.errno), ("unavailable", "/x", 2))
        for e in (lost, u, error_from({"code": "timeout", "message": "t",
                                       "attempts": 1}, "sleep")):
            e2 = pickle.loads(pickle.dumps(e))
            self.assertIs(type(e2), type(e))
            self.assertEqual(e2.__dict__, e.__dict__)
            self.assertEqual(str(e2), str(e))
        u2 = pickle.loads(pickle.dumps(u))
        self.assertEqual((u2.filename, u2.errno, u2.strerror),
                         ("/x", 2, "No such file or directory"))


class DefaultSocketTest(unittest.TestCase):

    def env(self, **kw: str) -> "mock._patch[dict]":
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("FORKPOOL_SOCKET", "XDG_RUNTIME_DIR", "TMPDIR")}
        clean.update(kw)
        return mock.patch.dict(os.environ, clean, clear=True)

    def test_rule(self) -> None:
        uid = os.geteuid()
        with self.env(FORKPOOL_SOCKET="/a/b.sock"):
            self.assertEqual(forkpool.default_socket(), "/a/b.sock")
        with mock.patch("os.geteuid", return_value=0), self.env():
            self.assertEqual(forkpool.default_socket(),
                             "/run/forkpool/forkpool.sock")
        with mock.patch("os.geteuid", return_value=1000):
            with self.env(XDG_RUNTIME_DIR="/run/user/1000"):
                self.assertEqual(forkpool.default_socket(),
                                 "/run/user/1000/forkpool.sock")
            with self.env(XDG_RUNTIME_DIR="relative", TMPDIR="/var/tmp"):
                self.assertEqual(forkpool.default_socket(),
                                 "/var/tmp/forkpool-1000/forkpool.sock")
            with self.env(TMPDIR="rel"):
                self.assertEqual(forkpool.default_socket(),
                                 "/tmp/forkpool-1000/forkpool.sock")
        self.assertEqual(os.geteuid(), uid)

    def test_directory_check(self) -> None:
        with tempfile.TemporaryDirectory() as top, self.env():
            d = os.path.join(top, "d")
            os.mkdir(d, 0o700)
            path = os.path.join(d, "forkpool.sock")
            _socket.check_default_socket(path)       # ours, 0700: fine
            os.chmod(d, 0o770)
            with self.assertRaisesRegex(_socket.SocketRefused,
                                        "writable by its group"):
                _socket.check_default_socket(path)
            os.chmod(d, 0o1777)
            with self.assertRaisesRegex(_socket.SocketRefused,
                                        "writable by others"):
                _socket.check_default_socket(path)
            # A path named in FORKPOOL_SOCKET is the user's to judge.
            with mock.patch.dict(os.environ, {"FORKPOOL_SOCKET": path}):
                _socket.check_default_socket(path)
            # Missing: left for connect() to report.
            _socket.check_default_socket(os.path.join(top, "no", "s.sock"))
            # A directory on the way writable by others without the sticky
            # bit.
            os.chmod(d, 0o777)
            os.mkdir(os.path.join(d, "e"), 0o700)
            with self.assertRaisesRegex(_socket.SocketRefused,
                                        "without the sticky bit"):
                _socket.check_default_socket(os.path.join(d, "e", "s.sock"))
            f = os.path.join(top, "file")
            open(f, "w").close()
            with self.assertRaisesRegex(_socket.SocketRefused,
                                        "not a directory"):
                _socket.check_default_socket(os.path.join(f, "s.sock"))
            os.chmod(d, 0o700)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to chown")
    def test_directory_of_another_user(self) -> None:
        with tempfile.TemporaryDirectory() as top, self.env():
            d = os.path.join(top, "d")
            os.mkdir(d, 0o700)
            os.chown(d, 65534, 65534)
            with self.assertRaisesRegex(_socket.SocketRefused,
                                        "owned by uid 65534"):
                _socket.check_default_socket(os.path.join(d, "s.sock"))

    def test_clients_refuse_with_unavailable(self) -> None:
        import asyncio
        with tempfile.TemporaryDirectory() as top:
            os.chmod(top, 0o777)
            with self.env(XDG_RUNTIME_DIR=top), \
                    mock.patch("os.geteuid",
                               return_value=os.geteuid() or 1000):
                with self.assertRaises(forkpool.Unavailable) as cm:
                    forkpool.BlockingClient().connect()
                self.assertIn("refusing the default socket", str(cm.exception))
                self.assertEqual(cm.exception.filename,
                                 f"{top}/forkpool.sock")

                async def aio() -> None:
                    async with forkpool.Client():
                        pass
                with self.assertRaises(forkpool.Unavailable):
                    asyncio.run(aio())
            os.chmod(top, 0o700)


if __name__ == "__main__":
    unittest.main()
