"""A PEP 517 build backend for the forkpool Python package, in the tree.

`pip install ./tools/python` must work on a machine that reaches no package
index: the usual backends (setuptools, flit, hatchling) would have to be
downloaded into pip's isolated build environment.  The package is pure
Python, so its wheel is a zip of the forkpool/ directory and a .dist-info
directory (METADATA, WHEEL, top_level.txt, RECORD with sha256 hashes),
which the standard library writes well enough; pyproject.toml names this
module with `requires = []` and `backend-path = ["_build"]`.

The package's metadata is here; its version is `__version__` of
forkpool/__init__.py.  Files are stored sorted, with the time of
SOURCE_DATE_EPOCH (default 1980-01-01), so that the same tree gives the
same wheel.
"""

from __future__ import annotations

import base64
import calendar
import gzip
import hashlib
import io
import os
import re
import stat
import tarfile
import time
import zipfile
from typing import IO, Any, Dict, List, Optional, Tuple, cast

NAME = "forkpool"
SUMMARY = "asyncio and blocking clients of the forkpool task server"
REQUIRES_PYTHON = ">=3.9"
REQUIRES_DIST = ["msgpack>=1.0"]
TAG = "py3-none-any"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, NAME)

__all__ = ["build_wheel", "build_sdist", "get_requires_for_build_wheel",
           "get_requires_for_build_sdist", "prepare_metadata_for_build_wheel"]


def _version() -> str:
    with open(os.path.join(PACKAGE, "__init__.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__ = "([^"]+)"$', f.read(), re.M)
    if m is None:
        raise RuntimeError(f"{PACKAGE}/__init__.py: no __version__")
    return m.group(1)


def _date() -> Tuple[int, int, int, int, int, int]:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    return time.gmtime(max(epoch, 315532800))[:6]


def _package_files() -> List[str]:
    """The package's files, relative to ROOT: *.py and py.typed."""
    out = []
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py") or name == "py.typed":
            out.append(f"{NAME}/{name}")
    return out


def _metadata(version: str) -> bytes:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {version}",
        f"Summary: {SUMMARY}",
        f"Requires-Python: {REQUIRES_PYTHON}",
    ]
    lines += [f"Requires-Dist: {r}" for r in REQUIRES_DIST]
    readme = os.path.join(ROOT, "README.md")
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


def _dist_info(version: str) -> Dict[str, bytes]:
    di = f"{NAME}-{version}.dist-info"
    return {
        f"{di}/METADATA": _metadata(version),
        f"{di}/WHEEL": (
            "Wheel-Version: 1.0\n"
            "Generator: forkpool _build/backend.py\n"
            "Root-Is-Purelib: true\n"
            f"Tag: {TAG}\n").encode("ascii"),
        f"{di}/top_level.txt": f"{NAME}\n".encode("ascii"),
    }


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{name},sha256={digest.rstrip(b'=').decode('ascii')},{len(data)}"


def _zip_add(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_date())
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def get_requires_for_build_wheel(
        config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(
        config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(
        metadata_directory: str,
        config_settings: Optional[Dict[str, Any]] = None) -> str:
    version = _version()
    files = _dist_info(version)
    di = f"{NAME}-{version}.dist-info"
    os.makedirs(os.path.join(metadata_directory, di), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(metadata_directory, name), "wb") as f:
            f.write(data)
    return di


def build_wheel(wheel_directory: str,
                config_settings: Optional[Dict[str, Any]] = None,
                metadata_directory: Optional[str] = None) -> str:
    version = _version()
    wheel = f"{NAME}-{version}-{TAG}.whl"
    records = []
    os.makedirs(wheel_directory, exist_ok=True)
    tmp = os.path.join(wheel_directory, wheel + ".tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for name in _package_files():
            with open(os.path.join(ROOT, name), "rb") as f:
                data = f.read()
            _zip_add(z, name, data)
            records.append(_record_line(name, data))
        for name, data in _dist_info(version).items():
            _zip_add(z, name, data)
            records.append(_record_line(name, data))
        record = f"{NAME}-{version}.dist-info/RECORD"
        records.append(f"{record},,")
        _zip_add(z, record, ("\n".join(records) + "\n").encode("utf-8"))
    os.replace(tmp, os.path.join(wheel_directory, wheel))
    return wheel


def build_sdist(sdist_directory: str,
                config_settings: Optional[Dict[str, Any]] = None) -> str:
    version = _version()
    base = f"{NAME}-{version}"
    names = ["pyproject.toml", "README.md", "_build/backend.py"]
    names += _package_files()
    mtime = calendar.timegm(_date() + (0, 0, 0))
    os.makedirs(sdist_directory, exist_ok=True)
    path = os.path.join(sdist_directory, f"{base}.tar.gz")

    def add(t: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(f"{base}/{name}")
        info.size = len(data)
        info.mode = 0o644
        info.mtime = int(mtime)
        t.addfile(info, io.BytesIO(data))

    with open(path, "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=mtime) as gz, \
            tarfile.open(fileobj=cast(IO[bytes], gz), mode="w",
                         format=tarfile.PAX_FORMAT) as t:
        for name in names:
            with open(os.path.join(ROOT, name), "rb") as f:
                add(t, name, f.read())
        add(t, "PKG-INFO", _metadata(version))
    return os.path.basename(path)
