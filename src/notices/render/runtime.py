"""Process-wide set-up that rendering needs, done in one explicit place: :func:`prepare`.

- **Fontconfig sees only the bundled fonts.** Output must not depend on the fonts a
  machine happens to have, or the same record would give different PDFs on a clerk's
  laptop and on the archive server. WeasyPrint reads Fontconfig's configuration when it
  is first imported, so this must happen before that import. The configuration lives in
  a private folder made fresh for this process (``mkdtemp``, mode 0700) and removed at
  exit: never a predictable shared path that another local user could prepare with
  symbolic links or fonts of their own.
- **Temporary files stay in that folder too**: WeasyPrint writes the fonts of each
  ``@font-face`` into a temporary folder and cannot remove it when a worker process
  ends; inside our private folder they go when the command ends.
- **python-docx's ``cp`` namespace prefix** is restored after docxcompose rebinds it
  (python-docx would otherwise write core properties that Word calls damaged).
- **WeasyPrint is imported through** :func:`import_weasyprint`, which finds its system
  libraries with one ``ldconfig -p`` instead of the dozens of processes ctypes starts.

Every entry point that renders (a build, ``check``, packets, a Dask worker, the preview
server) calls :func:`prepare`; :mod:`notices.render.pdf` refuses to load without it.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE_FONTS = Path(__file__).resolve().parent.parent / "skeleton" / "templates" / "fonts"
_prepared_in: int | None = None  # the process id that ran prepare()


def prepare() -> None:
    """Make this process ready to render; cheap and safe to call more than once."""
    global _prepared_in
    restore_core_namespace()
    if _prepared_in == os.getpid():
        return
    if os.environ.get("NOTICES_SYSTEM_FONTS") != "1":
        _isolate_fontconfig()
    _prepared_in = os.getpid()


def is_prepared() -> bool:
    # A forked worker inherits its parent's preparation (and its environment).
    return _prepared_in is not None


def _isolate_fontconfig() -> None:
    folder = Path(tempfile.mkdtemp(prefix="notices-fontconfig-"))
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not from a forked child that happens to run atexit
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{_xml_escape(str(PACKAGE_FONTS))}</dir>\n"
        f"  <cachedir>{_xml_escape(str(folder / 'cache'))}</cachedir>\n"
        "</fontconfig>\n")
    config = folder / "fonts.conf"
    # O_EXCL|O_NOFOLLOW: the folder is new and ours; refuse anything already there.
    descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.environ["FONTCONFIG_FILE"] = str(config)
    scratch = folder / "tmp"
    scratch.mkdir(mode=0o700)
    tempfile.tempdir = str(scratch)  # this process's and its forked workers' temporary files


def import_weasyprint() -> None:
    """Import WeasyPrint, answering its library look-ups from one run of ``ldconfig -p``.

    WeasyPrint tries each system library under several names (the Windows, macOS and
    Linux spellings, the soname last). For every name that is not a file, cffi asks
    ``ctypes.util.find_library``, which on Linux starts ``ldconfig -p``, then ``gcc``
    and ``ld`` each time: about 15 failing names and 0.4-0.5 s of every process that
    renders (profiled). Here they are answered from one listing, and a name that it
    lacks is simply not found: WeasyPrint then tries its next spelling, and the soname
    at the end is opened by the dynamic loader directly, from wherever ld would find it.
    """
    if "weasyprint" in sys.modules:
        return
    listing = _ldconfig_listing() if sys.platform == "linux" else None
    if listing is None:
        import weasyprint  # noqa: F401
        return
    import ctypes.util

    original = ctypes.util.find_library
    abi = "libc6,x86-64" if os.uname().machine == "x86_64" and sys.maxsize > 2**32 else "libc6"

    def find_library(name: str) -> str | None:
        found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}".encode(),
                          listing)
        return os.fsdecode(found.group(1)) if found else None

    ctypes.util.find_library = find_library
    try:
        import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library = original


def _ldconfig_listing() -> bytes | None:
    for command in ("/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            return subprocess.run([command, "-p"], stdin=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, capture_output=False,
                                  stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"},
                                  timeout=10, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
    return None


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def restore_core_namespace() -> None:
    """Undo docxcompose's rebinding of python-docx's "cp" prefix.

    docxtpl imports docxcompose, which points "cp" at the custom-properties namespace;
    python-docx then reads and writes core properties (title, keywords) under the wrong
    namespace. Called by :func:`prepare` (which imports docxcompose first, so that it
    cannot rebind it later) and after docxcompose's Composer saved a document.
    """
    import docxcompose.utils  # noqa: F401 - its import rebinds "cp"; after this, never again
    from docx.oxml.ns import nsmap

    nsmap["cp"] = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
