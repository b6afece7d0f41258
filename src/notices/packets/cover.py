"""The cover sheet of a session packet: what it lists, and checking its templates.

The cover (``templates/sitzungsmappe.html``/``.css``/``.docx``, the city's to restyle)
names the committee, the date and the part, and lists each paper with its agenda item,
subject, kind, file number, office and the page where it starts; the subject links to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from notices.template_set import PACKET_TEMPLATE, TemplateSet
from notices.errors import NoticesError, Problem, Severity
from notices.packets.sessions import SessionKey
from notices.source.model import Notice

# Spelled as the papers spell it ("nicht öffentlich"), everywhere.
PUBLIC_PART, NON_PUBLIC_PART = "öffentlicher Teil", "nicht öffentlicher Teil"


@dataclass
class Item:
    """One line of a packet's cover: an agenda item, with its paper's pages if it has one.

    Without a session record every item is a paper; with one, the cover is the
    Tagesordnung of its part, and items without a paper ("Genehmigung der Niederschrift")
    are listed without pages.
    """

    notice: Notice | None
    anchor: str | None
    page: int = 0
    agenda_item: str | None = None  # "5.1", of the consultation or the agenda
    label: str | None = None  # "Ö 5.1", when the packet follows a session record
    title: str | None = None  # the agenda's title; else the paper's subject
    note: str | None = None

    @property
    def heading(self) -> str:
        """What the item is called on the cover and in the bookmarks."""
        return self.title or (self.notice.subject if self.notice else "")

    @property
    def number(self) -> str:
        return self.label or self.agenda_item or "–"

    def context(self) -> dict:
        notice = self.notice
        return {"anchor": self.anchor, "agenda_item": self.agenda_item, "label": self.number,
                "subject": self.heading, "title": self.heading, "note": self.note,
                "has_paper": notice is not None,
                "kind": notice.kind_label if notice else "",
                "file_number": notice.file_number if notice else "",
                "paper_number": (notice.paper_number or "") if notice else "",
                "reference": notice.reference if notice else "",
                "office": notice.office.name if notice else "",
                "page": self.page if notice else ""}


def cover_context(key: SessionKey, part: str, public: bool, city: str | None,
                  meeting=None) -> dict:
    """What the cover templates see besides the items (``meeting``: the session record)."""
    return {"session": key, "part": part, "public": public, "city": city, "meeting": meeting}


def check_packet_templates(templates: TemplateSet, formats=("docx", "pdf"), *,
                           city: str | None, variant: str, required: bool = False,
                           stylesheets: bool = False, meeting: bool = False) -> list[Problem]:
    """Fill the cover templates with a probe session, as ``check`` does for the notices'.

    A broken cover is then found by ``notices check`` and before ``notices session``
    renders anything, not after the session's notices have been built. ``stylesheets``
    also loads the cover's CSS with WeasyPrint: only for ``check``, because fonts loaded
    in a process that then forks the render workers would be shared with them. The
    Einladung's and Niederschrift's templates are checked too where they exist, and are
    required when the session has a record (``meeting``).
    """
    import dataclasses

    from notices.check.templates import fill_html_template
    from notices.render.templating import probe_notice

    kinds = sorted(templates.kinds)
    if not kinds:
        return []
    problems: list[Problem] = []
    context = cover_context(SessionKey("Ausschuss", dt.date(2024, 1, 3)), PUBLIC_PART, True, city)
    items = [Item(None, None, agenda_item="1", label="Ö 1", title="Eröffnung der Sitzung"),
             Item(dataclasses.replace(probe_notice(), kind=kinds[0]), "notice-1", page=2,
                  agenda_item="2", label="Ö 2")]
    for fmt in formats:
        name = f"{PACKET_TEMPLATE}.{'html' if fmt == 'pdf' else fmt}"
        if name not in templates.files:
            problems.append(Problem(f"templates/{name}", "missing: 'notices session' "
                                    "needs it for the cover sheet of a session packet",
                                    severity=Severity.ERROR if required else Severity.WARNING))
            continue
        try:
            if fmt == "pdf" and stylesheets:
                from notices.render.pdf import PdfRenderer

                cover = PdfRenderer(templates, PACKET_TEMPLATE, city=city, variant=variant)
                cover.fill({**context, "items": [item.context() for item in items]})
                problems.extend(cover.setup_problems)
            elif fmt == "pdf":
                fill_html_template(templates, name,
                                   {**context, "items": [item.context() for item in items]})
            else:
                from notices.packets.docx import render_cover

                render_cover(templates, context, items)
        except NoticesError as error:
            problems.extend(error.problems)
    problems += _check_meeting_templates(templates, formats, city=city, variant=variant,
                                         required=meeting, stylesheets=stylesheets)
    return problems


def _check_meeting_templates(templates: TemplateSet, formats, *, city, variant, required,
                             stylesheets) -> list[Problem]:
    from notices.packets.documents import (
        INVITATION, MINUTES, invitation_context, minutes_context, probe_agenda,
        render_document)

    agenda = probe_agenda()
    problems = []
    for template, make in ((INVITATION, lambda render: invitation_context(agenda, city)),
                           (MINUTES, lambda render: minutes_context(agenda, city, True,
                                                                    render()))):
        for fmt in formats:
            name = f"{template}.{'html' if fmt == 'pdf' else fmt}"
            if name not in templates.files:
                if required:
                    problems.append(Problem(f"templates/{name}", "missing: 'notices session' "
                                            "needs it for the meeting's documents"))
                continue
            try:
                if fmt == "pdf" and not stylesheets:
                    from notices.check.templates import fill_html_template

                    fill_html_template(templates, name, {**make(lambda: {}), "city": city})
                else:
                    render_document(templates, template, fmt, make, variant=variant,
                                    city=city, meeting=agenda.meeting)
            except NoticesError as error:
                problems.extend(p for p in error.problems if p not in problems)
    return problems
