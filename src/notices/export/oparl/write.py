"""Write a static OParl 1.1 tree: every object, list and file, into a folder.

Layout (``B`` = base URL, ``DIR`` = the folder; URL ``B/x`` is file ``DIR/x``)::

    B/system.json                               System (the OParl endpoint)
    B/bodies/1.json                             list of bodies (System.body)
    B/body/{body}.json                          Body
    B/body/{body}/{list}/{n}.json               paginated external lists of the body
    B/organization/{key}.json                   Organization (committee or office)
    B/organization/{key}/meetings/{n}.json      a committee's meetings
    B/meeting/{key}.json                        Meeting, agenda items embedded
    B/meeting/{meeting}/agenda-item/{key}.json  AgendaItem
    B/paper/{key}.json                          Paper, files and consultations embedded
    B/paper/{paper}/consultation/{key}.json     Consultation
    B/file/{key}.json                           File (metadata)
    B/file/{key}/{name}                         File.accessUrl (the bytes)
    B/download/{key}/{name}                     File.downloadUrl (the same bytes)
    B/location/{key}.json                       Location

Every ``id`` ends in ``.json`` so that any static server sends ``application/json``
without configuration, and no object URL is a prefix of another. The folder is
brought to exactly this tree: files whose bytes are unchanged are not touched, so a
second export of an unchanged workspace writes nothing (and rsync sends nothing).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from notices.export.checks import check_body
from notices.export.model import ExportBody, ExportDeleted
from notices.export.names import ascii_file_name
from notices.export.oparl.objects import ObjectMapper
from notices.export.oparl.tree import (
    BODY_LISTS,
    DEFAULT_PAGE_SIZE,
    MARKER_NAME,
    OBJECT_PATHS,
    OPARL_NS,
    OParlSummary,
    Tree,
    compact,
    normalize_base,
    oparl_type,
    timestamp,
    with_embedded_modified,
)
from notices.export.sync import SyncResult, prepare_folder, sync_folder


class TreeBuilder(ObjectMapper):
    """Lays out every published object, list and file of the body in a :class:`Tree`."""

    def build(self) -> str:
        body, tree = self.body, self.tree
        body_rel = f"body/{body.key}.json"
        mtime = lambda obj: dt.datetime.fromisoformat(obj["modified"])  # noqa: E731

        meetings = sorted(self.meetings.values(), key=lambda m: (m.start, m.key))
        papers = sorted(self.papers.values(), key=lambda p: (p.date, p.key))

        # Organizations and each committee's meeting list.
        organizations = [
            self.organization(o, True) for o in sorted(body.committees, key=lambda o: o.key)
        ] + [self.organization(o, False) for o in sorted(body.offices, key=lambda o: o.key)]
        meeting_objs = {m.key: self.meeting(m) for m in meetings}
        paper_objs = [self.paper(p) for p in papers]
        for org in organizations:
            tree.add_object(org["id"][len(tree.base) + 1 :], org, mtime(org))
        for committee in sorted(body.committees, key=lambda o: o.key):
            tree.add_list(
                f"organization/{committee.key}/meetings",
                [meeting_objs[m.key] for m in meetings if m.committee == committee.key],
                committee.modified,
            )

        # Meetings and their agenda items.
        agenda_items, consultations = [], []
        for meeting in meetings:
            obj = meeting_objs[meeting.key]
            tree.add_object(f"meeting/{meeting.key}.json", obj, mtime(obj))
            for item in sorted(meeting.agenda_items, key=lambda i: (i.order, i.key)):
                item_obj = self.agenda_item(meeting, item, standalone=True)
                if not item_obj["public"]:
                    self.withheld["agendaItem (reduced)"] += 1
                tree.add_object(item_obj["id"][len(tree.base) + 1 :], item_obj, mtime(item_obj))
                agenda_items.append(item_obj)

        # Papers and their consultations.
        for paper, obj in zip(papers, paper_objs, strict=True):
            tree.add_object(f"paper/{paper.key}.json", obj, mtime(obj))
            for consultation in sorted(paper.consultations, key=lambda c: c.key):
                c_obj = self.consultation(paper, consultation, standalone=True)
                tree.add_object(c_obj["id"][len(tree.base) + 1 :], c_obj, mtime(c_obj))
                consultations.append(c_obj)

        # Body location, then files and locations (their back references are complete now).
        body_location = self.embed_location(body.location)
        file_objs = []
        for key in sorted(self.files):
            file = self.files[key]
            obj = self.file_core(file)
            obj.update(
                compact(
                    paper=[self.u(f"paper/{p}.json") for p in sorted(self.file_papers[key])],
                    meeting=[self.u(f"meeting/{m}.json") for m in sorted(self.file_meetings[key])],
                )
            )
            tree.add_object(self.rel_file(key), obj, mtime(obj))
            data = self._file_bytes(file)[2]
            segment = ascii_file_name(file.file_name)
            tree.add_blob(f"file/{key}/{segment}", data, file.modified)
            tree.add_blob(f"download/{key}/{segment}", data, file.modified)
            file_objs.append(obj)
        location_objs = []
        for key in sorted(self.locations):
            location = self.locations[key]
            obj = self.location_core(location)
            obj.update(
                compact(
                    meetings=[
                        self.u(f"meeting/{m}.json") for m in sorted(self.location_meetings[key])
                    ],
                    bodies=[self.u(body_rel)]
                    if body.location and body.location.key == key
                    else None,
                )
            )
            tree.add_object(f"location/{key}.json", obj, mtime(obj))
            location_objs.append(obj)
        terms = []
        for term in sorted(body.legislative_terms, key=lambda t: (t.start_date, t.key)):
            terms.append(
                compact(
                    id=self.u(f"legislative-term/{term.key}.json"),
                    type=oparl_type("LegislativeTerm"),
                    body=self.u(body_rel),
                    name=term.name,
                    startDate=term.start_date.isoformat(),
                    endDate=term.end_date.isoformat() if term.end_date else None,
                    created=timestamp(term.created),
                    modified=timestamp(term.modified),
                )
            )
        for obj in terms:
            tree.add_object(obj["id"][len(tree.base) + 1 :], obj, mtime(obj))

        # The body's external lists.
        list_items = {
            "organization": organizations,
            "person": [],
            "meeting": [meeting_objs[m.key] for m in meetings],
            "paper": paper_objs,
            "agendaItem": agenda_items,
            "consultation": consultations,
            "file": file_objs,
            "locationList": location_objs,
            "legislativeTermList": terms,
        }
        lists = {
            prop: tree.add_list(
                f"body/{body.key}/{BODY_LISTS[prop][0]}", list_items[prop], body.modified
            )
            for prop in BODY_LISTS
        }
        # Embedded legislative terms must not carry the back reference to the body.
        embedded_terms = [{k: v for k, v in t.items() if k != "body"} for t in terms]
        body_obj = compact(
            id=self.u(body_rel),
            type=oparl_type("Body"),
            system=self.u("system.json"),
            name=body.name,
            shortName=body.short_name,
            website=body.website,
            license=body.license,
            ags=body.ags,
            rgs=body.rgs,
            classification=body.classification,
            contactEmail=body.contact_email,
            contactName=body.contact_name,
            location=body_location,
            created=timestamp(body.created),
            modified=timestamp(body.modified),
            **lists,
        )
        body_obj["legislativeTerm"] = embedded_terms  # required, so [] when empty (spec 2.4)
        with_embedded_modified(body_obj)
        tree.add_object(body_rel, body_obj, mtime(body_obj))
        bodies_url = tree.add_list("bodies", [body_obj], body.modified)

        system = body.system
        system_obj = compact(
            id=self.u("system.json"),
            type=oparl_type("System"),
            oparlVersion=OPARL_NS,
            body=bodies_url,
            name=system.name,
            contactEmail=system.contact_email,
            contactName=system.contact_name,
            website=system.website,
            vendor=system.vendor,
            product=system.product,
            license=system.license,
            created=timestamp(system.created),
            modified=timestamp(system.modified),
        )
        tree.add_object("system.json", system_obj, mtime(system_obj))
        for deleted in sorted(body.deleted, key=lambda d: (d.type, d.parent or "", d.key)):
            self.tombstone(deleted)
        return system_obj["id"]

    def tombstone(self, deleted: ExportDeleted) -> None:
        """Soft-deleted object (spec 2.8): only id, type, created, modified and deleted.

        It stays at its URL but is in no list (spec 2.5: lists show deleted
        objects only to ``modified_since`` queries, which a static tree cannot
        answer). Its file bytes are not written.
        """
        rel = OBJECT_PATHS[deleted.type](deleted.key, deleted.parent)
        if rel in self.tree.documents:
            raise ValueError(
                f"{deleted.type} {deleted.key!r} is marked deleted but is still published"
            )
        self.tree.add_object(
            rel,
            {
                "id": self.u(rel),
                "type": oparl_type(deleted.type),
                "deleted": True,
                "created": timestamp(deleted.created),
                "modified": timestamp(deleted.deleted),
            },
            deleted.deleted,
        )
        self.withheld["deleted (tombstone)"] += 1


MARKER_TEXT = (
    "Written by `notices export oparl`. Every file here is replaced or removed "
    "by the next export.\n"
)


def write_oparl(
    body: ExportBody, out_dir: Path, base_url: str, *, page_size: int = DEFAULT_PAGE_SIZE
) -> tuple[OParlSummary, SyncResult]:
    """Bring ``out_dir`` to the static OParl 1.1 tree of ``body``, served at ``base_url``.

    The folder must be empty, missing, or an earlier export (its marker file). Only
    files whose bytes changed are written; files of objects no longer published (a
    paper withdrawn, made non-public) are removed. The lists and ``system.json`` come
    after the objects they name.
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    check_body(body)
    base = normalize_base(base_url)
    prepare_folder(out_dir, MARKER_NAME, str(out_dir))
    tree = Tree(base, page_size)
    builder = TreeBuilder(body, tree)
    system_url = builder.build()

    def order(item):  # bytes first, then objects, then the lists that name them
        relative = item[0]
        listing = relative in tree.lists or relative == "system.json"
        return (0 if relative in tree.blobs else 2 if listing else 1, relative)

    files = sorted({**tree.documents, **tree.blobs}.items(), key=order)
    result = sync_folder(
        out_dir,
        ((rel, data, modified) for rel, (data, modified) in files),
        marker=MARKER_NAME,
        marker_text=MARKER_TEXT,
    )
    summary = OParlSummary(
        out_dir=out_dir,
        system_url=system_url,
        objects=dict(tree.objects),
        list_pages=tree.list_pages,
        data_files=len(tree.blobs),
        withheld={k: v for k, v in builder.withheld.items() if v},
    )
    return summary, result
