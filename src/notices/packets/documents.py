"""The meeting's own documents: the Einladung with its Tagesordnung, and the Niederschrift.

Both come from the session record (:mod:`notices.source.meeting`) and the papers on its
agenda, through templates the city owns (``templates/einladung.*``,
``templates/niederschrift.*``). The Einladung lists both parts of the agenda ("Ö 5.1",
"N 10.1": non-public titles are in it, as is customary; it goes to the members). The
Niederschrift is written once the record has ``minutes``: one for the public part, and
one for the non-public part where there is one.
"""

from __future__ import annotations

import datetime as dt

from notices.build.keys import output_key
from notices.build.options import variant_label
from notices.packets.cover import NON_PUBLIC_PART, PUBLIC_PART
from notices.source.model import format_date

INVITATION, MINUTES = "einladung", "niederschrift"
# The Einladung's headings for the two parts of the Tagesordnung; "nicht öffentlich" is
# spelled as on the papers (the reference notice's "☐ nicht öffentlich") everywhere.
PART_TITLES = {True: "Öffentlicher Teil", False: "Nicht öffentlicher Teil"}


def _item(entry, result=None, text=None) -> dict:
    paper = entry.paper
    return {"label": entry.label, "item": entry.item.item, "title": entry.title,
            "reference": entry.reference or "", "kind": paper.kind_label if paper else "",
            "note": entry.item.note, "public": entry.public,
            "result": result.line_text if result else "", "text": text}


def _entries(entries) -> list[dict]:
    """A part's items; ``has_sub_items`` where the next is one of its own ("11", "11.1"),
    so that the templates keep the two on one page."""
    items = [_item(e) for e in entries]
    for item, following in zip(items, items[1:]):
        item["has_sub_items"] = following["item"].startswith(item["item"] + ".")
    if items:
        items[-1]["has_sub_items"] = False
    return items


def invitation_context(agenda, city: str | None, *, public_only: bool = False) -> dict:
    """What the Einladung's templates see: the meeting, and the agenda in its two parts.

    ``public_only`` leaves the non-public part out (the public edition for the web).
    """
    parts = [{"title": PART_TITLES[True], "public": True,
              "entries": _entries(agenda.public)}]
    if agenda.non_public and not public_only:
        parts.append({"title": PART_TITLES[False], "public": False,
                      "entries": _entries(agenda.non_public)})
    return {"meeting": agenda.meeting, "city": city, "parts": parts,
            "public_only": public_only}


def minutes_context(agenda, city: str | None, public: bool, rendered: dict) -> dict:
    """What the Niederschrift's templates see: header, attendance, and each item's result.

    ``rendered`` maps each resolution text (a Markdown document) to its rendering.
    """
    minutes = agenda.meeting.minutes
    entries = agenda.public if public else agenda.non_public
    items = []
    for entry in entries:
        result = minutes.results.get(entry.item.item)
        text = rendered.get(id(result.text)) if result and result.text is not None else None
        items.append(_item(entry, result, text))
    return {"meeting": agenda.meeting, "minutes": minutes, "city": city, "public": public,
            "part": PUBLIC_PART if public else NON_PUBLIC_PART, "items": items}


class MeetingDocuments:
    """Writes the Einladung and the Niederschrift of one session through a SessionWriter."""

    def __init__(self, writer):
        self.writer = writer
        self.run = writer.run
        self.agenda = writer.agenda
        self.city = self.run.settings.city

    def write(self) -> None:
        self._document(INVITATION, f"{self.writer.stem}_einladung",
                       lambda render: invitation_context(self.agenda, self.city))
        # The public edition, for the web (OParl's Meeting.invitation): the public part
        # only. A PDF alone: it is published, not edited.
        self._document(INVITATION, f"{self.writer.stem}_einladung_oeffentlich",
                       lambda render: invitation_context(self.agenda, self.city,
                                                         public_only=True), formats=("pdf",))
        if self.agenda.meeting.minutes is None:
            return
        self._document(MINUTES, f"{self.writer.stem}_niederschrift",
                       lambda render: minutes_context(self.agenda, self.city, True, render()))
        if self.agenda.non_public:
            self._document(MINUTES, f"{self.writer.stem}_niederschrift_nichtoeffentlich",
                           lambda render: minutes_context(self.agenda, self.city, False,
                                                          render()))

    def _key(self, template: str, fmt: str, stem: str) -> str:
        sources = {"meeting": self.agenda.meeting.source_sha256, "document": stem}
        for number, entry in enumerate(self.agenda.entries, start=1):
            paper = entry.paper
            sources[f"item:{number:04d}"] = "" if paper is None else \
                f"{paper.path}\0{paper.subject}\0{entry.reference}\0{paper.kind}"
        return output_key(fmt=fmt, options=variant_label(fmt, self.run.variant),
                          templates=self.run.templates.digest_for(template, fmt),
                          settings=self.run.settings.source_hash, sources=sources)

    def _document(self, template: str, stem: str, make_context,
                  formats: tuple[str, ...] = ("docx", "pdf")) -> None:
        from notices.errors import NoticesError

        keys = {fmt: self._key(template, fmt, stem) for fmt in self.run.options.formats
                if fmt in formats}
        if not keys:
            return
        wanted = self.writer.wanted(stem, keys)
        if not wanted:
            return
        try:
            outputs = {fmt: render_document(self.run.templates, template, fmt,
                                            make_context, variant=self.run.variant,
                                            city=self.city, meeting=self.agenda.meeting)
                       for fmt in wanted}
        except NoticesError as error:
            self.writer.report.failed = True
            self.writer.report.problems.extend(error.problems)
            return
        self.writer.store(stem, outputs, keys, template)


def render_document(templates, template: str, fmt: str, make_context, *, variant: str,
                    city: str | None, meeting) -> bytes:
    """One meeting document in one format; ``make_context(render)`` builds its context,
    where ``render()`` gives the resolution texts rendered for this format."""
    documents = meeting.documents
    if fmt == "pdf":
        from notices.render.html import documents_to_html
        from notices.render.pdf import PdfRenderer

        renderer = PdfRenderer(templates, template, variant=variant, city=city)
        context = make_context(lambda: {id(d): html for d, html in
                                        zip(documents, documents_to_html(documents))})
        return renderer.write(renderer.layout(renderer.fill(context)))
    from notices.render.docx import DocxRenderer, RawXml
    from notices.render.docx.properties import core_properties

    renderer = DocxRenderer(templates.files[f"{template}.docx"],
                            display_name=f"templates/{template}.docx", city=city)
    writer = renderer.facts_writer()
    context = make_context(lambda: {id(d): RawXml(writer.blocks(d.blocks)) for d in documents})
    # Paper numbers never break at their hyphen in Word either (the PDF keeps them on
    # one line by its stylesheet).
    for item in [e for part in context.get("parts", ()) for e in part["entries"]] \
            + list(context.get("items", ())):
        item["reference"] = item["reference"].replace("-", "\u2011")
    name = "Einladung" if template == INVITATION else "Niederschrift"
    title = f"{name}: {meeting.committee}, {format_date(meeting.date)}"
    if context.get("part"):  # as the PDF's title says it: which part of the Niederschrift
        title += f" – {context['part']}"
    core = core_properties(title=title, subject=title, author=city or "Sitzungsdienst",
                           keywords=f"{meeting.committee}, {format_date(meeting.date)}",
                           # The Einladung is written on its day; the Niederschrift
                           # after the meeting (the PDF's date, too).
                           date=(meeting.invitation_date or meeting.date)
                           if template == INVITATION else meeting.date)
    return renderer.render_context({**context, "city": city}, writer=writer, core=core)


def probe_agenda():
    """A meeting with every kind of item and minutes, for checking the templates."""
    from notices.packets.agenda import Agenda, AgendaEntry
    from notices.source.markdown import parse_markdown
    from notices.source.meeting import AgendaItem, Attendance, Meeting, Minutes, Result
    from notices.source.model import Consultation, PaperSummary

    paper = PaperSummary("records/probe.yaml", "beschlussvorlage", "1/2020-2025", "100.1",
                         "Probebetreff", True, False,
                         (Consultation("Ausschuss", dt.date(2024, 1, 3), True, "2",
                                       "Entscheidung"),), "Beschlussvorlage")
    items = (AgendaItem("1", "Eröffnung"), AgendaItem("2", None, True, "1/2020-2025"),
             AgendaItem("3", "Vertrauliches", False, note="Probehinweis"))
    text, _ = parse_markdown("Probebeschluss mit **Text**.")
    minutes = Minutes("19:00", Attendance((("SPD", ("Frau A",)), ("", ("Herr B",)))),
                      Attendance((("", ("Herr C",)),)), ("Frau D (Amt)",),
                      {"1": Result("Kenntnisnahme"),
                       "2": Result("mit Mehrheit beschlossen", 5, 2, 1, text),
                       "3": Result("vertagt")})
    meeting = Meeting("sessions/probe.yaml", "Ausschuss", dt.date(2024, 1, 3), "17:00",
                      "Rathaus, Saal 1", items, "Frau Vorsitz", "A/001/2024",
                      dt.date(2023, 12, 20), minutes, "0" * 64)
    entries = (AgendaEntry(items[0]), AgendaEntry(items[1], paper, paper.consultations[0]),
               AgendaEntry(items[2]))
    return Agenda(meeting, entries)
