"""The OParl tree in memory: JSON as the spec wants it, and paginated lists.

Every document is serialised here, one way: UTF-8 without BOM, non-ASCII unescaped,
``id`` and ``type`` first and the other keys sorted (so the bytes never depend on how
a dict was built), empty optional values left out (spec 2.4), a newline at the end.
Nothing here reads the clock: every ``modified`` comes from the data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

OPARL_NS = "https://schema.oparl.org/1.1/"
#: Vendor prefix for properties OParl has no place for (spec 3.0, "Herstellerspezifische
#: Erweiterungen": ``"BeispielHersteller:faxNumber"``). We write ``notices:contact`` and
#: ``notices:signatory`` on Paper.
VENDOR_PREFIX = "notices"
#: Marks a directory as written by us, so a re-export may replace it as a whole.
MARKER_NAME = ".notices-oparl-export"
DEFAULT_PAGE_SIZE = 100  # the spec recommends paginating lists longer than 100

# Body property -> (path segment, OParl type of the items)
BODY_LISTS = {
    "organization": ("organizations", "Organization"),
    "person": ("persons", "Person"),
    "meeting": ("meetings", "Meeting"),
    "paper": ("papers", "Paper"),
    "agendaItem": ("agenda-items", "AgendaItem"),
    "consultation": ("consultations", "Consultation"),
    "file": ("files", "File"),
    "locationList": ("locations", "Location"),
    "legislativeTermList": ("legislative-terms", "LegislativeTerm"),
}
# Where each kind of object lives (key, parent key) -> path; shared by objects and tombstones.
OBJECT_PATHS = {
    "Organization": lambda key, parent: f"organization/{key}.json",
    "Meeting": lambda key, parent: f"meeting/{key}.json",
    "AgendaItem": lambda key, parent: f"meeting/{parent}/agenda-item/{key}.json",
    "Paper": lambda key, parent: f"paper/{key}.json",
    "Consultation": lambda key, parent: f"paper/{parent}/consultation/{key}.json",
    "File": lambda key, parent: f"file/{key}.json",
    "Location": lambda key, parent: f"location/{key}.json",
    "LegislativeTerm": lambda key, parent: f"legislative-term/{key}.json",
}
# Properties whose value is the URL of an external (paginated) list, and the item type.
EXTERNAL_LISTS = {("System", "body"): "Body",
                  **{("Body", prop): typ for prop, (_, typ) in BODY_LISTS.items()},
                  ("Body", "membership"): "Membership",
                  ("Organization", "meeting"): "Meeting",
                  ("Organization", "consultation"): "Consultation"}



def oparl_type(name: str) -> str:
    return OPARL_NS + name


def timestamp(value: dt.datetime) -> str:
    # yyyy-mm-ddThh:mm:ss±hh:mm as the spec (2.4) demands; model guarantees an offset.
    return value.isoformat(timespec="seconds")


def compact(**props: Any) -> dict[str, Any]:
    """Drop None and empty lists: the spec (2.4) asks not to output null or [] for optional data."""
    return {k: v for k, v in props.items() if v is not None and v != [] and v != ()}


def with_embedded_modified(obj: dict[str, Any]) -> dict[str, Any]:
    """Raise ``modified`` to the newest ``modified`` of the objects embedded in ``obj``.

    A Meeting's JSON changes when its protocol is replaced, so its ``modified``
    must move as well (spec 3.1: clients sync on ``modified``), even if the
    caller only touched the file. Derived from data, never from the clock.
    """
    stamps = [obj["modified"]]
    for value in obj.values():
        for child in (value if isinstance(value, list) else [value]):
            if isinstance(child, dict) and "modified" in child:
                stamps.append(child["modified"])
    obj["modified"] = max(stamps, key=dt.datetime.fromisoformat)
    return obj


def ordered(value: Any) -> Any:
    """``id`` and ``type`` first (as in the spec's examples), then the other keys sorted.

    Sorting makes the byte output independent of how the dicts were built.
    """
    if isinstance(value, dict):
        head = [k for k in ("id", "type") if k in value]
        rest = sorted(k for k in value if k not in ("id", "type"))
        return {k: ordered(value[k]) for k in head + rest}
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


def dump(value: Any) -> bytes:
    # UTF-8 without BOM, no HTML escaping (spec 2.4), newline at end.
    return (json.dumps(ordered(value), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def normalize_base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base URL {base_url!r} must be an absolute http(s) URL without query")
    return base_url.rstrip("/")



class Tree:
    """Collects the export in memory (JSON documents and file copies) before writing."""

    def __init__(self, base: str, page_size: int) -> None:
        self.base = base
        self.page_size = page_size
        self.documents: dict[str, tuple[bytes, dt.datetime]] = {}
        self.blobs: dict[str, tuple[bytes, dt.datetime]] = {}
        self.objects: dict[str, int] = defaultdict(int)
        self.list_pages = 0
        self.lists: set[str] = set()  # the paths of the list pages

    def url(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def add_object(self, rel: str, obj: dict[str, Any], modified: dt.datetime) -> None:
        if rel in self.documents:
            raise ValueError(f"two objects map to {rel}")
        assert obj["id"] == self.url(rel)
        self.documents[rel] = (dump(obj), modified)
        self.objects[obj["type"][len(OPARL_NS):]] += 1

    def add_blob(self, rel: str, data: bytes, modified: dt.datetime) -> None:
        self.blobs[rel] = (data, modified)

    def add_list(self, prefix: str, items: list[dict[str, Any]],
                 fallback_modified: dt.datetime) -> str:
        """Write ``prefix/1.json``, ``prefix/2.json``, ...; return the first page's URL.

        Every page carries ``data``, ``pagination`` and ``links`` (spec 2.5);
        ``next`` is on every page but the last. An empty list is one empty page.
        """
        size = self.page_size
        pages = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
        total = len(pages)
        page_url = lambda n: self.url(f"{prefix}/{n}.json")  # noqa: E731
        for number, data in enumerate(pages, start=1):
            links = {"first": page_url(1), "self": page_url(number), "last": page_url(total)}
            if number > 1:
                links["prev"] = page_url(number - 1)
            if number < total:
                links["next"] = page_url(number + 1)
            page = {"data": data,
                    "pagination": {"totalElements": len(items), "elementsPerPage": size,
                                   "currentPage": number, "totalPages": total},
                    "links": links}
            modified = max((dt.datetime.fromisoformat(o["modified"]) for o in data),
                           default=fallback_modified)
            self.documents[f"{prefix}/{number}.json"] = (dump(page), modified)
            self.lists.add(f"{prefix}/{number}.json")
            self.list_pages += 1
        return page_url(1)


@dataclass
class OParlSummary:
    """What :func:`write_oparl` wrote and what it held back (counts only, no content)."""

    out_dir: Path
    system_url: str
    objects: dict[str, int] = field(default_factory=dict)
    list_pages: int = 0
    data_files: int = 0
    withheld: dict[str, int] = field(default_factory=dict)
