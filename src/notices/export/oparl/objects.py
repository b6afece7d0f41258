"""From the export model to OParl objects, with the publication rules applied.

Confidentiality is enforced here, not only by the caller (defence in depth): drafts
and non-public papers, non-public meetings and non-public files are never mapped; an
agenda item that is non-public, or that discusses a paper that is not published, is
reduced to ``number``, ``order`` and ``public: false`` (its name usually is the
paper's subject).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from notices.export.model import (
    ExportAgendaItem,
    ExportBody,
    ExportConsultation,
    ExportFile,
    ExportLocation,
    ExportMeeting,
    ExportOrganization,
    ExportPaper,
)
from notices.export.names import ascii_file_name
from notices.export.oparl.tree import (
    VENDOR_PREFIX,
    Tree,
    compact,
    oparl_type,
    timestamp,
    with_embedded_modified,
)


class ObjectMapper:
    """Maps the neutral model to OParl objects, applying the publication rules."""

    def __init__(self, body: ExportBody, tree: Tree) -> None:
        self.body = body
        self.tree = tree
        self.withheld: dict[str, int] = defaultdict(int)
        # --- what may be published at all (defence in depth: re-derived here)
        self.papers = {p.key: p for p in body.papers if p.public and not p.draft}
        self.withheld["paper"] = len(body.papers) - len(self.papers)
        self.meetings = {m.key: m for m in body.meetings if m.public}
        self.withheld["meeting"] = len(body.meetings) - len(self.meetings)
        self.committees = {o.key: o for o in body.committees}
        self.offices = {o.key: o for o in body.offices}
        # file key -> ExportFile, and who embeds it (File.paper and File.meeting back
        # references)
        self.files: dict[str, ExportFile] = {}
        self.file_papers: dict[str, set[str]] = defaultdict(set)
        self.file_meetings: dict[str, set[str]] = defaultdict(set)
        self.file_cache: dict[str, tuple[int, str, bytes]] = {}
        self.locations: dict[str, ExportLocation] = {}
        self.location_meetings: dict[str, set[str]] = defaultdict(set)

    # ---- URLs (relative paths; the tree turns them into URLs)
    @staticmethod
    def rel_file(key: str) -> str:
        return f"file/{key}.json"

    def u(self, rel: str) -> str:
        return self.tree.url(rel)

    # ---- visibility rules
    def file_visible(self, file: ExportFile | None) -> bool:
        if file is None:
            return False
        if not file.public:
            self.withheld["file"] += 1
            return False
        return True

    def item_visible(self, meeting: ExportMeeting, item: ExportAgendaItem) -> bool:
        """Public only if the item, its meeting and the paper it discusses are all published.

        An item on a withheld paper usually carries the paper's subject as its
        name, so it is reduced to a stub even if the caller marked it public.
        """
        return (
            item.public
            and meeting.key in self.meetings
            and (item.paper is None or item.paper in self.papers)
        )

    # ---- File
    def _file_bytes(self, file: ExportFile) -> tuple[int, str, bytes]:
        if file.key not in self.file_cache:
            data = file.read_bytes()
            self.file_cache[file.key] = (len(data), hashlib.sha512(data).hexdigest(), data)
        return self.file_cache[file.key]

    def file_core(self, file: ExportFile) -> dict[str, Any]:
        size, sha512, _ = self._file_bytes(file)
        segment = ascii_file_name(file.file_name)
        return compact(
            id=self.u(self.rel_file(file.key)),
            type=oparl_type("File"),
            name=file.name,
            fileName=file.file_name,
            mimeType=file.mime_type,
            date=file.date.isoformat(),
            size=size,
            sha512Checksum=sha512,
            text=file.text,
            fileLicense=file.license,
            accessUrl=self.u(f"file/{file.key}/{segment}"),
            downloadUrl=self.u(f"download/{file.key}/{segment}"),
            created=timestamp(file.created),
            modified=timestamp(file.modified),
        )

    def embed_file(
        self, file: ExportFile | None, *, paper: str | None = None, meeting: str | None = None
    ) -> dict[str, Any] | None:
        if not self.file_visible(file):
            return None
        self.files[file.key] = file
        if paper:
            self.file_papers[file.key].add(paper)
        if meeting:
            self.file_meetings[file.key].add(meeting)
        return self.file_core(file)

    def embed_files(self, files: Iterable[ExportFile], **parent: str) -> list[dict[str, Any]]:
        return [obj for obj in (self.embed_file(f, **parent) for f in files) if obj]

    # ---- Location
    def location_core(self, location: ExportLocation) -> dict[str, Any]:
        return compact(
            id=self.u(f"location/{location.key}.json"),
            type=oparl_type("Location"),
            description=location.description,
            streetAddress=location.street_address,
            room=location.room,
            postalCode=location.postal_code,
            locality=location.locality,
            created=timestamp(location.created),
            modified=timestamp(location.modified),
        )

    def embed_location(self, location: ExportLocation | None, meeting: str | None = None):
        if location is None:
            return None
        self.locations[location.key] = location
        if meeting:
            self.location_meetings[location.key].add(meeting)
        return self.location_core(location)

    # ---- Organization
    def organization(self, org: ExportOrganization, committee: bool) -> dict[str, Any]:
        return compact(
            id=self.u(f"organization/{org.key}.json"),
            type=oparl_type("Organization"),
            body=self.u(f"body/{self.body.key}.json"),
            name=org.name,
            shortName=org.short_name,
            organizationType="Gremium" if committee else "Verwaltungsbereich",
            classification=org.classification,
            startDate=org.start_date.isoformat() if org.start_date else None,
            endDate=org.end_date.isoformat() if org.end_date else None,
            website=org.website,
            meeting=self.u(f"organization/{org.key}/meetings/1.json") if committee else None,
            created=timestamp(org.created),
            modified=timestamp(org.modified),
        )

    # ---- AgendaItem
    def agenda_item(
        self, meeting: ExportMeeting, item: ExportAgendaItem, *, standalone: bool
    ) -> dict[str, Any]:
        created = timestamp(item.created or meeting.created)
        modified = timestamp(item.modified or meeting.modified)
        obj: dict[str, Any] = {
            "id": self.u(f"meeting/{meeting.key}/agenda-item/{item.key}.json"),
            "type": oparl_type("AgendaItem"),
            "order": item.order,
            "created": created,
            "modified": modified,
        }
        if item.number:
            obj["number"] = item.number
        if standalone:  # spec 3.0: embedded objects omit the back reference to their parent
            obj["meeting"] = self.u(f"meeting/{meeting.key}.json")
        if not self.item_visible(meeting, item):
            obj["public"] = False
            return obj
        obj["public"] = True
        obj["name"] = item.name
        if item.result:
            obj["result"] = item.result
        consultation = self.consultation_for(meeting, item)
        if consultation is not None:
            obj["consultation"] = self.u(f"paper/{item.paper}/consultation/{consultation.key}.json")
        return obj

    def consultation_for(
        self, meeting: ExportMeeting, item: ExportAgendaItem
    ) -> ExportConsultation | None:
        paper = self.papers.get(item.paper) if item.paper else None
        for consultation in paper.consultations if paper else ():
            if consultation.meeting == meeting.key and consultation.agenda_item == item.key:
                return consultation
        return None

    # ---- Meeting
    def meeting(self, meeting: ExportMeeting) -> dict[str, Any]:
        items = sorted(meeting.agenda_items, key=lambda i: (i.order, i.key))
        return with_embedded_modified(
            compact(
                id=self.u(f"meeting/{meeting.key}.json"),
                type=oparl_type("Meeting"),
                name=meeting.name,
                meetingState=meeting.meeting_state,
                cancelled=True if meeting.cancelled else None,
                start=timestamp(meeting.start),
                end=timestamp(meeting.end) if meeting.end else None,
                location=self.embed_location(meeting.location, meeting.key),
                organization=[self.u(f"organization/{meeting.committee}.json")],
                invitation=self.embed_file(meeting.invitation, meeting=meeting.key),
                resultsProtocol=self.embed_file(meeting.results_protocol, meeting=meeting.key),
                auxiliaryFile=self.embed_files(meeting.auxiliary_files, meeting=meeting.key),
                agendaItem=[self.agenda_item(meeting, i, standalone=False) for i in items],
                created=timestamp(meeting.created),
                modified=timestamp(meeting.modified),
            )
        )

    # ---- Consultation
    def consultation(
        self, paper: ExportPaper, consultation: ExportConsultation, *, standalone: bool
    ) -> dict[str, Any]:
        meeting = self.meetings.get(consultation.meeting) if consultation.meeting else None
        item = None
        if meeting is not None and consultation.agenda_item is not None:
            item = next(i for i in meeting.agenda_items if i.key == consultation.agenda_item)
            if not self.item_visible(meeting, item):
                item = None  # do not point a public paper at a non-public item
        return compact(
            id=self.u(f"paper/{paper.key}/consultation/{consultation.key}.json"),
            type=oparl_type("Consultation"),
            paper=self.u(f"paper/{paper.key}.json") if standalone else None,
            meeting=self.u(f"meeting/{meeting.key}.json") if meeting else None,
            agendaItem=self.u(f"meeting/{meeting.key}/agenda-item/{item.key}.json")
            if item
            else None,
            organization=[self.u(f"organization/{consultation.committee}.json")],
            authoritative=consultation.authoritative,
            role=consultation.role,
            created=timestamp(consultation.created or paper.created),
            modified=timestamp(consultation.modified or paper.modified),
        )

    # ---- Paper
    def paper(self, paper: ExportPaper) -> dict[str, Any]:
        contact = None
        if paper.contact is not None:
            contact = compact(
                name=paper.contact.name, phone=paper.contact.phone, email=paper.contact.email
            )
        obj = compact(
            id=self.u(f"paper/{paper.key}.json"),
            type=oparl_type("Paper"),
            body=self.u(f"body/{self.body.key}.json"),
            name=paper.name,
            reference=paper.reference,
            date=paper.date.isoformat(),
            paperType=paper.paper_type,
            mainFile=self.embed_file(paper.main_file, paper=paper.key),
            auxiliaryFile=self.embed_files(paper.auxiliary_files, paper=paper.key),
            underDirectionOf=[self.u(f"organization/{paper.office}.json")],
            consultation=[
                self.consultation(paper, c, standalone=False)
                for c in sorted(paper.consultations, key=lambda c: c.key)
            ],
            created=timestamp(paper.created),
            modified=timestamp(paper.modified),
        )
        obj.update(
            compact(
                **{
                    f"{VENDOR_PREFIX}:contact": contact,
                    f"{VENDOR_PREFIX}:signatory": paper.signatory,
                }
            )
        )
        return with_embedded_modified(obj)
