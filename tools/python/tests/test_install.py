"""`pip install ./tools/python` works with no package index: into a venv
made with --system-site-packages (Debian's python3-msgpack satisfies the
dependency), with --no-index, and again with an index that does not
answer; the package then imports from anywhere and calls a daemon; `pip
uninstall` removes every file it installed; the wheel's RECORD is right;
the sdist holds what a build needs."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile
from typing import Dict, List

import forkpool
from tests.daemon import Daemon

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOP = os.path.dirname(os.path.dirname(SRC))


def pip_env() -> Dict[str, str]:
    """The environment without any pip configuration (this machine's
    find-links, an index URL...), no cache, no bytecode in the tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k != "PYTHONPATH"}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1",
               PIP_NO_INPUT="1")
    return env


def tree(path: str) -> List[str]:
    out = []
    for d, dirs, files in os.walk(path):
        out += [os.path.relpath(os.path.join(d, f), path) for f in files]
    return sorted(out)


def build_inputs() -> List[str]:
    """What the build reads in the source tree (and could write next to):
    the package, the backend, pyproject.toml, README.md, and the top."""
    return sorted(f for f in tree(SRC)
                  if f.startswith(("forkpool/", "_build/")) or "/" not in f)


class InstallTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        r = subprocess.run([sys.executable, "-c", "import venv, ensurepip"],
                           capture_output=True)
        if r.returncode != 0:
            raise unittest.SkipTest(f"{sys.executable} has no venv or "
                                    f"ensurepip module (Debian: apt-get "
                                    f"install python3-venv)")
        cls.tmp = tempfile.mkdtemp(prefix="fpy-venv.")
        cls.venv = os.path.join(cls.tmp, "venv")
        cls.run_ok([sys.executable, "-m", "venv", "--system-site-packages",
                    cls.venv])
        cls.py = os.path.join(cls.venv, "bin", "python")
        cls.pip = os.path.join(cls.venv, "bin", "pip")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @staticmethod
    def run_ok(argv: List[str], **kw: object) -> str:
        r = subprocess.run(argv, capture_output=True, text=True,
                           env=pip_env(), timeout=120, cwd="/", **kw)
        if r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)}: exit status "
                                 f"{r.returncode}\n{r.stdout}\n{r.stderr}")
        return r.stdout + r.stderr

    def site_files(self) -> List[str]:
        out = self.run_ok([self.py, "-c",
                           "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"])
        site = out.strip()
        return [f for f in tree(site) if f.startswith("forkpool")]

    def installed_check(self) -> None:
        out = self.run_ok([self.py, "-c",
                           "import forkpool, msgpack; "
                           "print(forkpool.__file__); "
                           "print(forkpool.__version__)"])
        path, version = out.split()
        self.assertTrue(path.startswith(self.venv), path)
        self.assertEqual(version, forkpool.__version__)

    def test_install_no_index(self) -> None:
        before = build_inputs()
        out = self.run_ok([self.pip, "install", "--no-index", SRC])
        self.assertIn("Successfully installed forkpool-", out)
        self.assertRegex(out, r"Requirement already satisfied: "
                              r"msgpack>=1\.0 in /usr/lib/python3")
        self.installed_check()
        # Works: a call to a daemon through the installed package.
        d = Daemon("client_python_install", workers=1).start()
        try:
            out = self.run_ok([self.py, "-c",
                               "import forkpool, sys\n"
                               "with forkpool.BlockingClient(sys.argv[1]) "
                               "as fp:\n"
                               "    print(fp.call('echo', 'installed'))\n",
                               d.sock])
            self.assertEqual(out.strip(), "installed")
            self.assertEqual(d.stop(), 0)
        finally:
            d.cleanup()
        self.assertEqual(build_inputs(), before,
                         "the build wrote in the source tree")
        files = self.site_files()
        self.assertIn("forkpool/py.typed", files)
        self.assertIn("forkpool/aio.py", files)
        self.assertFalse([f for f in files if "tests" in f or "_build" in f])
        out = self.run_ok([self.pip, "uninstall", "-y", "forkpool"])
        self.assertIn("Successfully uninstalled forkpool-", out)
        self.assertEqual(self.site_files(), [])
        r = subprocess.run([self.py, "-c", "import forkpool"], cwd="/",
                           capture_output=True, env=pip_env())
        self.assertNotEqual(r.returncode, 0)

        # An index that does not answer is never asked.
        env = dict(PIP_INDEX_URL="http://127.0.0.1:9/simple",
                   PIP_RETRIES="0", PIP_TIMEOUT="2")
        r = subprocess.run([self.pip, "install", SRC], capture_output=True,
                           text=True, timeout=120, cwd="/",
                           env={**pip_env(), **env})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for word in ("Retrying", "NewConnectionError", "WARNING"):
            self.assertNotIn(word, r.stdout + r.stderr)
        self.installed_check()
        self.run_ok([self.pip, "uninstall", "-y", "forkpool"])
        self.assertEqual(self.site_files(), [])

    def test_wheel_and_sdist(self) -> None:
        wheels = os.path.join(self.tmp, "wheels")
        self.run_ok([self.pip, "wheel", "--no-index", "--no-deps", "-w",
                     wheels, SRC])
        name = f"forkpool-{forkpool.__version__}-py3-none-any.whl"
        self.assertEqual(os.listdir(wheels), [name])
        di = f"forkpool-{forkpool.__version__}.dist-info"
        with zipfile.ZipFile(os.path.join(wheels, name)) as z:
            names = z.namelist()
            record = list(csv.reader(io.StringIO(
                z.read(f"{di}/RECORD").decode())))
            self.assertEqual(sorted(r[0] for r in record), sorted(names))
            # Regular files (S_IFREG), rw-r--r--: unzip -Z showed "?".
            for i in z.infolist():
                self.assertEqual(oct(i.external_attr >> 16), "0o100644",
                                 i.filename)
            for path, digest, size in record:
                if path == f"{di}/RECORD":
                    self.assertEqual((digest, size), ("", ""))
                    continue
                data = z.read(path)
                want = base64.urlsafe_b64encode(
                    hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual((digest, int(size)),
                                 (f"sha256={want}", len(data)), path)
            meta = z.read(f"{di}/METADATA").decode()
            self.assertIn("\nRequires-Dist: msgpack>=1.0\n", meta)
            self.assertIn(f"\nVersion: {forkpool.__version__}\n", meta)
            self.assertIn("Root-Is-Purelib: true",
                          z.read(f"{di}/WHEEL").decode())
            self.assertEqual(z.read(f"{di}/top_level.txt"), b"forkpool\n")
            self.assertEqual(sorted(n for n in names
                                    if n.startswith("forkpool/")),
                             sorted(f"forkpool/{f}" for f in
                                    os.listdir(os.path.join(SRC, "forkpool"))
                                    if f.endswith(".py") or f == "py.typed"))
        # The sdist, from the backend itself.
        out = self.run_ok([sys.executable, "-c",
                           "import sys; sys.path.insert(0, sys.argv[1]); "
                           "import backend; "
                           "print(backend.build_sdist(sys.argv[2]))",
                           os.path.join(SRC, "_build"), self.tmp])
        with tarfile.open(os.path.join(self.tmp, out.strip())) as t:
            got = sorted(m.name.split("/", 1)[1] for m in t.getmembers())
        self.assertIn("pyproject.toml", got)
        self.assertIn("_build/backend.py", got)
        self.assertIn("PKG-INFO", got)
        self.assertIn("forkpool/__init__.py", got)

    def test_version_is_the_projects(self) -> None:
        header = os.path.join(TOP, "include", "forkpool.h")
        if not os.path.exists(header):
            self.skipTest(f"{header}: not in the source tree")
        with open(header) as f:
            m = re.search(r'#define FP_VERSION\s+"([^"]+)"', f.read())
        assert m is not None
        self.assertEqual(forkpool.__version__, m.group(1))


if __name__ == "__main__":
    unittest.main()
