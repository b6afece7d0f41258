"""The two page numbers of a Word packet's footers, as fields Word computes and results
LibreOffice shows.

In the packet, a paper's footer keeps its own "Seite X von Y" and gets a line "Mappe
Seite N von T". N and T are ``PAGE`` and ``NUMPAGES`` (numbering runs on through the
packet, so both programs compute them, and the cover's PAGEREF column, from their own
layout). X is ``{ QUOTE { = { PAGE } - { PAGEREF paper_k } + 1 } }`` and Y is
``{ SECTIONPAGES }``: Word computes both; LibreOffice (7.4 at least) has no page
arithmetic and no SECTIONPAGES and shows the stored results, which are set per footer
variant (first page, even, odd) from the PDF packet's layout. Measured with LibreOffice
7.4: a restart per section would give X to LibreOffice but break N, T and PAGEREF in
both programs.
"""

from __future__ import annotations

import copy

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"


def packet_footer(xml: bytes, variant: str, section, label: str,
                   total: int, *, running: bool = True) -> bytes:
    """The notice's footer with its own numbers kept right in the packet, plus N of T.

    ``PAGE`` becomes the notice's own page X, ``NUMPAGES`` its own page count Y; with
    ``running``, a paragraph "Mappe Seite N von T" follows the last paragraph (headers
    get the first change only, for a clerk who put the page number at the top).
    """
    root = etree.fromstring(xml)
    own_page, own_total = _static_results(variant, section)
    paragraphs = root.findall(f".//{W}p")
    for paragraph in paragraphs:
        for runs, instruction in _fields(paragraph):
            keyword = instruction.split()[0].upper() if instruction.split() else ""
            if keyword == "PAGE":
                replacement = (field("PAGE", own_page) if section.anchor is None
                               else _own_page_field(section.anchor, own_page))
            elif keyword in ("NUMPAGES", "SECTIONPAGES"):
                replacement = field("SECTIONPAGES", own_total)
            else:
                continue
            properties = runs[0].find(f"{W}rPr")
            first = runs[0]
            for element in _runs(replacement, properties):
                first.addprevious(element)
            for run in runs:
                run.getparent().remove(run)
    if paragraphs and running:
        last = paragraphs[-1]
        line = etree.Element(f"{W}p")
        properties = last.find(f"{W}pPr")
        if properties is not None:
            line.append(copy.deepcopy(properties))
        text = (_text(f"{label} ") + field("PAGE", str(section.layout.first_page))
                + _text(" von ") + field("NUMPAGES", str(total)))
        for element in _runs(text, None):
            line.append(element)
        last.addnext(line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _static_results(variant: str, section) -> tuple[str, str]:
    """What LibreOffice shows for X and Y in this footer variant (from the PDF layout).

    The first page is page 1. With even/odd footers the remaining two variants cover
    pages 2 and 3; which is which depends on the parity of the running number of the
    notice's page 2. Pages 4 and later repeat them (LibreOffice only).
    """
    pages = section.layout.pages
    if variant == "first" or pages == 1:
        return "1", str(pages)
    if pages == 2:
        return "2", str(pages)
    second_is_even = (section.layout.first_page + 1) % 2 == 0
    if variant == "even":
        return ("2" if second_is_even else "3"), str(pages)
    return ("3" if second_is_even else "2"), str(pages)


def _fields(paragraph):
    """Each top-level complex field of a paragraph: (its runs, its instruction text)."""
    depth, runs, instruction, found = 0, [], [], []
    for run in paragraph.iter(f"{W}r"):
        char = run.find(f"{W}fldChar")
        kind = char.get(f"{W}fldCharType") if char is not None else None
        if kind == "begin":
            depth += 1
            if depth == 1:
                runs, instruction = [], []
        if depth >= 1:
            runs.append(run)
            if depth == 1:
                instruction.extend(t.text or "" for t in run.findall(f"{W}instrText"))
        if kind == "end":
            depth -= 1
            if depth == 0:
                found.append((runs, "".join(instruction)))
    return found


def _text(value: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{value}</w:t></w:r>'


def field(instruction: str, result: str) -> str:
    """A simple Word field: ``instruction`` with ``result`` shown until Word updates it."""
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f"<w:r><w:t>{result}</w:t></w:r>"
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _own_page_field(anchor: str, result: str) -> str:
    """{ QUOTE { = { PAGE } - { PAGEREF anchor } + 1 } }, its result set to ``result``.

    Word evaluates the nested formula. LibreOffice does not evaluate QUOTE and shows the
    result part; a bare { = … } would make it print the nested fields' values in a row.
    """
    def instr(text: str) -> str:
        return f'<w:r><w:instrText xml:space="preserve"> {text} </w:instrText></w:r>'

    formula = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>' + instr("=")
               + field("PAGE", "1") + instr("-") + field(f"PAGEREF {anchor}", "1")
               + instr("+ 1") + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
               + f"<w:r><w:t>{result}</w:t></w:r>"
               + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>' + instr("QUOTE") + formula
            + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            + f"<w:r><w:t>{result}</w:t></w:r>"
            + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _runs(xml: str, properties) -> list:
    """Parse runs; give each the run properties of the field it replaces."""
    wrapper = etree.fromstring(f'<w:p xmlns:w="{W_NS}">{xml}</w:p>')
    runs = list(wrapper)
    if properties is not None:
        for run in runs:
            run.insert(0, copy.deepcopy(properties))
    return runs
