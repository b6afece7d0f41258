"""Check an exported OParl tree the way a client would: what the JSON schemas say, and
the rules of OParl 1.1 that the schema files do not encode.

- every object and list item against the vendored OParl 1.1 JSON schemas
  (tests/schemas/oparl-1.1, offline: a ``referencing.Registry`` that refuses the
  network), with OParl's ``url``, ``date`` and ``date-time`` (with offset) formats;
- ``created`` and ``modified`` on every object, embedded ones included;
- every ``id`` is the URL of its own file, and every embedded or listed object's id
  resolves to a file with the same id, type and modified;
- lists: ``data``, ``pagination`` and ``links`` on every page, ``next`` on every page but
  the last, consistent counts, no loops;
- file sizes and SHA-512 checksums match the bytes behind accessUrl and downloadUrl;
- every file is reachable from system.json (a stray file could be a leak).

Returns one message per problem; an empty list means the tree is valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from notices.export.oparl.tree import EXTERNAL_LISTS, MARKER_NAME, OPARL_NS, normalize_base

def _load_schemas(schema_dir: Path):
    """All OParl schemas in one offline ``referencing.Registry``.

    The schemas say ``"$ref": "File.json"``, which resolves against their ``$id``
    (``https://schema.oparl.org/1.1/Paper``) to ``.../1.1/File.json``; so each
    schema is registered under ``<base><Type>`` and ``<base><Type>.json``.
    Nothing is fetched: an unknown reference is an error.
    """
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT7

    def no_network(uri: str):
        raise NoSuchResource(ref=uri)

    schemas, resources = {}, []
    for path in sorted(Path(schema_dir).glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        name = contents.get("title") or path.stem
        schemas[name] = contents
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        for uri in sorted({f"{OPARL_NS}{name}", f"{OPARL_NS}{path.name}", contents.get("$id", "")} - {""}):
            resources.append((uri, resource))
    if not schemas:
        raise FileNotFoundError(f"no OParl schemas in {schema_dir}")
    return schemas, Registry(retrieve=no_network).with_resources(resources)


def _format_checker():
    """Formats OParl uses: its own ``url``, and ``date``/``date-time`` as spec 2.4 defines them."""
    import re

    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("url")
    def is_url(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    @checker.checks("date")
    def is_date(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) \
            and _parses(dt.date.fromisoformat, value)

    @checker.checks("date-time")
    def is_date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(
            re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", value)) \
            and _parses(dt.datetime.fromisoformat, value.replace("Z", "+00:00"))

    return checker


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _walk(value: Any, path: str = "$"):
    """Yield (json path, dict) for every OParl object (anything with an OParl ``type``)."""
    if isinstance(value, dict):
        if isinstance(value.get("type"), str) and value["type"].startswith("https://schema.oparl.org/"):
            yield path, value
        for key, child in value.items():
            if key != "geojson":
                yield from _walk(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{path}[{index}]")


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from _strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child)


def _is_list_page(doc: Any) -> bool:
    return isinstance(doc, dict) and "type" not in doc and bool({"data", "pagination", "links"} & set(doc))


def _tombstone_may_omit(error) -> bool:
    """A soft-deleted object may drop everything but id, type, created (spec 2.8).

    The schemas know nothing of tombstones (File requires ``accessUrl``), so a
    missing required property of a deleted object is no error at its top level.
    """
    return (error.validator == "required" and not error.absolute_path
            and not any(f"'{key}' is a required" in error.message for key in ("id", "type")))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _items(page: dict) -> list:
    data = page.get("data")
    return data if isinstance(data, list) else []


class _TreeCheck:
    """One validation run over a written tree; each ``check_*`` method adds problem lines."""

    def __init__(self, out_dir: Path, base: str, schema_dir: Path) -> None:
        import jsonschema
        from jsonschema.validators import validator_for

        self.out_dir, self.base = out_dir, base
        schemas, registry = _load_schemas(schema_dir)
        checker = _format_checker()
        self.validators = {
            name: validator_for(schema, default=jsonschema.Draft7Validator)(
                schema, registry=registry, format_checker=checker)
            for name, schema in schemas.items()}
        self.problems: list[str] = []
        self.docs: dict[str, Any] = {}
        self.blobs: set[str] = set()
        self._digests: dict[str, tuple[int, str]] = {}

    def report(self, message: str) -> None:
        self.problems.append(message)

    def rel(self, url: Any) -> str | None:
        """Path under the tree for a URL under the base URL, else None."""
        if not isinstance(url, str) or not url.startswith(self.base + "/"):
            return None
        rel = unquote(urlsplit(url[len(self.base) + 1:]).path)
        if not rel or rel.startswith("/") or ".." in Path(rel).parts:
            return None
        return rel

    def url(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def load(self) -> None:
        for path in sorted(p for p in self.out_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(self.out_dir).as_posix()
            if rel == MARKER_NAME:
                continue
            if path.suffix != ".json":
                self.blobs.add(rel)
                continue
            raw = path.read_bytes()
            if raw.startswith(b"\xef\xbb\xbf"):
                self.report(f"{rel}: UTF-8 byte order mark (spec 2.4 forbids it)")
                raw = raw[3:]
            try:
                self.docs[rel] = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                self.report(f"{rel}: not UTF-8 JSON: {error}")

    def schema(self, rel: str, where: str, obj: Any) -> None:
        if not isinstance(obj, dict):
            self.report(f"{rel}: {where}: not a JSON object")
            return
        oparl_type = obj.get("type")
        name = (oparl_type[len(OPARL_NS):]
                if isinstance(oparl_type, str) and oparl_type.startswith(OPARL_NS) else None)
        if name not in self.validators:
            self.report(f"{rel}: {where}: unknown or missing OParl 1.1 type {oparl_type!r}")
            return
        for error in sorted(self.validators[name].iter_errors(obj), key=lambda e: list(e.absolute_path)):
            if obj.get("deleted") is True and _tombstone_may_omit(error):
                continue
            self.report(f"{rel}: {where}{error.json_path[1:]}: {error.message}")

    def top_object(self, rel: str | None) -> dict | None:
        doc = self.docs.get(rel) if rel else None
        return doc if isinstance(doc, dict) and not _is_list_page(doc) else None

    def check_documents(self) -> None:
        """Schema, id == URL, created/modified everywhere, embedded ids resolve, URLs resolve."""
        for rel, doc in self.docs.items():
            if _is_list_page(doc):
                for key in ("data", "pagination", "links"):
                    if key not in doc:
                        self.report(f"{rel}: list page without {key!r}")
                if not isinstance(doc.get("data"), list):
                    self.report(f"{rel}: 'data' is not an array")
                for index, item in enumerate(_items(doc)):
                    self.schema(rel, f"$.data[{index}]", item)
            else:
                self.schema(rel, "$", doc)
                if isinstance(doc, dict) and doc.get("id") != self.url(rel):
                    self.report(f"{rel}: id {doc.get('id')!r} is not this file's URL {self.url(rel)}")
            for where, obj in _walk(doc):
                missing = [k for k in ("created", "modified") if k not in obj]
                if missing:
                    self.report(f"{rel}: {where}: missing {', '.join(missing)} "
                                "(required on every object in OParl 1.1, embedded ones too)")
                if where == "$":
                    continue
                target_rel = self.rel(obj.get("id"))
                target = self.top_object(target_rel)
                if target is None:
                    self.report(f"{rel}: {where}: id {obj.get('id')!r} does not resolve to an object file")
                elif any(target.get(k) != obj.get(k) for k in ("id", "type", "modified")):
                    self.report(f"{rel}: {where}: differs from {target_rel} in id, type or modified")
            for value in _strings(doc):
                if value == self.base or value.startswith(self.base + "/"):
                    target_rel = self.rel(value)
                    if target_rel is None or not (self.out_dir / target_rel).is_file():
                        self.report(f"{rel}: URL {value} does not resolve to a file")

    def check_external_lists(self) -> None:
        """A property holding an external list points at a first page of items of its type."""
        for rel, doc in self.docs.items():
            for where, obj in _walk(doc):
                name = obj["type"][len(OPARL_NS):]
                for (owner, prop), item_type in EXTERNAL_LISTS.items():
                    if owner != name or prop not in obj:
                        continue
                    list_rel = self.rel(obj[prop])
                    page = self.docs.get(list_rel) if list_rel else None
                    if not _is_list_page(page):
                        self.report(f"{rel}: {where}.{prop}: does not point to a list page")
                        continue
                    if "prev" in _dict(page.get("links")):
                        self.report(f"{rel}: {where}.{prop}: points to a page that is not the first")
                    wrong = {str(o.get("type")) for o in _items(page) if isinstance(o, dict)}
                    wrong.discard(OPARL_NS + item_type)
                    if wrong:
                        self.report(f"{list_rel}: items of type {sorted(wrong)}, expected {item_type}")

    def check_pagination(self) -> None:
        """Spec 2.5: ``next`` on every page but the last; links, counts and totals agree."""
        pages = {rel: doc for rel, doc in self.docs.items() if _is_list_page(doc)}
        for rel, page in pages.items():
            links, pagination = _dict(page.get("links")), _dict(page.get("pagination"))
            if links.get("self", self.url(rel)) != self.url(rel):
                self.report(f"{rel}: links.self {links.get('self')!r} is not this page's URL")
            current, total = pagination.get("currentPage"), pagination.get("totalPages")
            if "next" not in links:
                if isinstance(current, int) and isinstance(total, int) and current < total:
                    self.report(f"{rel}: page {current} of {total} has no links.next "
                                "(required on every page but the last)")
                if links.get("last", self.url(rel)) != self.url(rel):
                    self.report(f"{rel}: no links.next, but links.last names another page")
            if "prev" not in links:
                self._walk_chain(rel, pages)

    def _walk_chain(self, first: str, pages: dict[str, Any]) -> None:
        first_pagination = _dict(pages[first].get("pagination"))
        per_page = first_pagination.get("elementsPerPage")
        seen, count, rel, number = set(), 0, first, 1
        while True:
            seen.add(rel)
            links, pagination = _dict(pages[rel].get("links")), _dict(pages[rel].get("pagination"))
            size = len(_items(pages[rel]))
            count += size
            if pagination.get("currentPage", number) != number:
                self.report(f"{rel}: currentPage {pagination.get('currentPage')}, but it is page {number}")
            if pagination.get("elementsPerPage", per_page) != per_page:
                self.report(f"{rel}: elementsPerPage differs from the first page's")
            if links.get("first", self.url(first)) != self.url(first):
                self.report(f"{rel}: links.first is not {self.url(first)}")
            if "last" in links and self.rel(links["last"]) not in pages:
                self.report(f"{rel}: links.last {links['last']} is not a list page")
            next_rel = self.rel(links.get("next"))
            if "next" not in links:
                if pagination.get("totalPages", number) != number:
                    self.report(f"{rel}: last page is {number}, totalPages says "
                                f"{pagination.get('totalPages')}")
                if isinstance(per_page, int) and size > per_page:
                    self.report(f"{rel}: more items than elementsPerPage")
                break
            if isinstance(per_page, int) and size != per_page:
                self.report(f"{rel}: {size} items on a non-last page, elementsPerPage is {per_page}")
            if next_rel not in pages:
                self.report(f"{rel}: links.next {links['next']} is not a list page")
                break
            if next_rel in seen:
                self.report(f"{rel}: links.next loops back to {next_rel}")
                break
            if _dict(pages[next_rel].get("links")).get("prev", self.url(rel)) != self.url(rel):
                self.report(f"{next_rel}: links.prev does not point back to {rel}")
            rel, number = next_rel, number + 1
        total = first_pagination.get("totalElements")
        if isinstance(total, int) and total != count:
            self.report(f"{first}: totalElements {total}, but the pages hold {count}")

    def _digest(self, rel: str) -> tuple[int, str]:
        if rel not in self._digests:
            data = (self.out_dir / rel).read_bytes()
            self._digests[rel] = (len(data), hashlib.sha512(data).hexdigest())
        return self._digests[rel]

    def check_file_bytes(self) -> None:
        """File ``size`` and ``sha512Checksum`` match the bytes behind its URLs."""
        for rel, doc in self.docs.items():
            for where, obj in _walk(doc):
                if obj.get("type") != OPARL_NS + "File":
                    continue
                for prop in ("accessUrl", "downloadUrl"):
                    target = self.rel(obj.get(prop))
                    if target is None or not (self.out_dir / target).is_file():
                        continue  # external, or already reported as unresolved
                    size, sha512 = self._digest(target)
                    if "size" in obj and obj["size"] != size:
                        self.report(f"{rel}: {where}.size {obj['size']} != {size} bytes of {target}")
                    if "sha512Checksum" in obj and obj["sha512Checksum"] != sha512:
                        self.report(f"{rel}: {where}.sha512Checksum does not match {target}")

    def check_reachability(self) -> None:
        """Every file is reachable from the endpoint: a stray file may be a leak."""
        if "system.json" not in self.docs:
            self.report("system.json: missing (the OParl endpoint)")
        reached, todo = set(), ["system.json"]
        while todo:
            rel = todo.pop()
            if rel in reached:
                continue
            reached.add(rel)
            for value in _strings(self.docs.get(rel, {})):
                target = self.rel(value)
                if target and target not in reached and (target in self.docs or target in self.blobs):
                    todo.append(target)
        deleted = {rel for rel, doc in self.docs.items() if _dict(doc).get("deleted") is True}
        for rel in sorted((set(self.docs) | self.blobs) - reached - deleted):
            self.report(f"{rel}: not reachable from system.json (stray file?)")
        for rel in sorted(reached & deleted):
            self.report(f"{rel}: deleted object is still referenced by a live object or list")


def validate_oparl_tree(out_dir: Path | str, base_url: str, schema_dir: Path | str) -> list[str]:
    """Check a written tree; return problems as ``"<file>: <message>"`` lines (empty = valid).

    ``schema_dir`` is the folder with the OParl 1.1 ``*.json`` schemas. Checks, offline:

    * every JSON file parses as UTF-8 (no BOM) and is either an OParl object or a list page;
    * JSON Schema (the vendored OParl 1.1 schemas) for every top-level object and every
      list item; embedded objects are checked through the schemas' ``$ref``;
    * rules the schema files do not encode: ``created`` and ``modified`` on every object,
      embedded ones included (spec 3.1, new in 1.1); a top-level object's ``id`` is the URL
      of its file; every embedded or listed object's ``id`` resolves to a file holding an
      object of the same ``id``, ``type`` and ``modified``; list pages carry ``data``,
      ``pagination`` and ``links``, ``next`` on every page but the last, consistent
      ``self``/``prev``/``first``/``last``, page counts and totals; properties holding an
      external list point to a first list page whose items have the right type;
    * every URL under ``base_url`` anywhere in the tree resolves to a file; File
      ``size``/``sha512Checksum`` match the bytes behind ``accessUrl``/``downloadUrl``;
    * every file in the tree is reachable from ``system.json`` (a stray file, e.g. a
      leftover of a withdrawn paper, is reported), except soft-deleted objects
      (``deleted: true``, spec 2.8), which no live object may refer to.
    """
    check = _TreeCheck(Path(out_dir), normalize_base(base_url), Path(schema_dir))
    check.load()
    check.check_documents()
    check.check_external_lists()
    check.check_pagination()
    check.check_file_bytes()
    check.check_reachability()
    return check.problems
