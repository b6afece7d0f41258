"""An output's key: the one definition of "changed" for every output the build writes.

An output is up to date when its key equals the key recorded when it was written. The
key is a SHA-256 over the tool's version, the format and its options, the digests of
the templates that format reads, the settings file, and every source the output was
made from (the record's bytes as stored, byte-order mark included; each file it names,
in whatever state; for a packet, its members). Modification times play no part.

The build computes every key here, in the coordinating process, from the digests the
worker reports for exactly the bytes it used; nothing else computes one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from notices import __version__

KEY_FORMAT = "notices-key-2"  # bump when what goes into a key changes


def output_key(*, fmt: str, options: str, templates: str, settings: str,
               sources: Mapping[str, str]) -> str:
    """SHA-256 over everything an output depends on.

    ``sources`` maps a name (``record``, ``file:records/2023/plan.png``, ``member:1``) to
    its digest; the order of the mapping does not matter.
    """
    digest = hashlib.sha256()
    for part in (KEY_FORMAT, __version__, fmt, options, templates, settings):
        digest.update(part.encode("utf-8") + b"\n")
    for name in sorted(sources):
        digest.update(f"{name}={sources[name]}\n".encode("utf-8"))
    return digest.hexdigest()


def record_sources(record_sha256: str, named_files: Mapping[str, str]) -> dict[str, str]:
    """The sources of a paper's outputs: its bytes and the files it names."""
    sources = {"record": record_sha256}
    sources.update({f"file:{path}": digest for path, digest in named_files.items()})
    return sources


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
