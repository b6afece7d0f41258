"""Markdown facts to the document structure that both renderers walk."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from notices.source import blocks as c
from notices.source.markdown import parse_markdown
from notices.source.reading import DiskFiles


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real, minimal RGB PNG (no Pillow needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def parse(text: str, base: Path | None = None, root: Path | None = None):
    """Parse facts of a record in folder ``base`` of the workspace whose records/ is ``root``."""
    if base is None or root is None:
        return parse_markdown(text)
    workspace = root.parent
    record = (base / "x.md").relative_to(workspace).as_posix()
    return parse_markdown(text, record_path=record, files=DiskFiles(workspace))


def test_gender_star_is_literal():
    document, issues = parse("Bewohner*innen und Nutzer*innen")
    assert document.blocks == (c.Paragraph((c.Text("Bewohner*innen und Nutzer*innen"),)),)
    assert issues == []


def test_emphasis_still_works_beside_gender_star():
    document, _ = parse("*kursiv* und **fett** für Bürger*innen")
    children = document.blocks[0].children
    assert children[0] == c.Italic((c.Text("kursiv"),))
    assert children[2] == c.Bold((c.Text("fett"),))
    assert children[-1] == c.Text(" für Bürger*innen")


def test_raw_html_is_text():
    document, _ = parse('Text <b>fett</b> <img src="file:///etc/hostname">')
    assert c.plain_text(document.blocks[0].children) == \
        'Text <b>fett</b> <img src="file:///etc/hostname">'


def test_template_syntax_is_text():
    document, _ = parse("{{ notice.subject }} {% if x %}")
    assert c.plain_text(document.blocks[0].children) == "{{ notice.subject }} {% if x %}"


def test_soft_hyphens_are_kept():
    document, _ = parse("Quartiers\u00admanagement")
    assert document.blocks[0].children == (c.Text("Quartiers\u00admanagement"),)


def test_lists_tables_links():
    document, issues = parse(
        "- eins\n- zwei\n\n3. drei\n4. vier\n\n| A | B |\n|:--|--:|\n| 1 | *2* |\n\n"
        "[Stadt](https://www.bielefeld.de) und [Mail](mailto:a@b.de)")
    bullet, ordered, table, paragraph = document.blocks
    assert isinstance(bullet, c.BulletList) and len(bullet.items) == 2
    assert isinstance(ordered, c.OrderedList) and ordered.start == 3
    assert table.header[0].align == "left" and table.header[1].align == "right"
    assert table.rows[0][1].children == (c.Italic((c.Text("2"),)),)
    assert paragraph.children[0] == c.Link("https://www.bielefeld.de", (c.Text("Stadt"),))
    assert paragraph.children[2] == c.Link("mailto:a@b.de", (c.Text("Mail"),))
    assert issues == []


@pytest.mark.parametrize("href", ["file:///etc/passwd", "javascript:alert(1)",
                                  "data:text/html,x", "../secret"])
def test_other_links_show_text_with_a_warning(href):
    document, issues = parse(f"[Text]({href})")
    assert document.blocks[0].children == (c.Text("Text"),)
    assert issues[0].message.endswith("is not a web or mail address; shown as text only")


def _heading_levels(blocks) -> list[tuple[int, str]]:
    found = []
    for block in blocks:
        if isinstance(block, c.Heading):
            found.append((block.level, block.children[0].text))
        elif isinstance(block, c.Quote):
            found += _heading_levels(block.blocks)
        elif isinstance(block, (c.BulletList, c.OrderedList)):
            for item in block.items:
                found += _heading_levels(item.blocks)
    return found


@pytest.mark.parametrize("markdown, levels", [
    ("### A", [1]),  # a lone sub-heading is the first level below "Sachverhalt:"
    ("# A\n\n### B\n\n## C", [1, 2, 2]),  # never more than one level deeper
    ("## A\n\n#### B\n\n###### C", [1, 2, 3]),  # the shallowest level used is 1
    ("#### A\n\n## B\n\n### C", [1, 1, 2]),  # deeper first: still no skip
    ("# A\n\n## B\n\n### C\n\n#### D", [1, 2, 3, 3]),  # three levels at most
    ("### A\n\n> ##### B\n\n- ###### C", [1, 2, 3]),  # in quotes and lists too
])
def test_headings_form_an_outline_that_never_skips_a_level(markdown, levels):
    document, issues = parse(markdown)
    assert [level for level, _ in _heading_levels(document.blocks)] == levels
    assert [text for _, text in _heading_levels(document.blocks)] == \
        ["A", "B", "C", "D"][:len(levels)]
    assert issues == []


def test_image_beside_the_record(tmp_path):
    records = tmp_path / "records"
    (records / "2023").mkdir(parents=True)
    (records / "2023" / "plan.png").write_bytes(png_bytes(40, 30))
    document, issues = parse("![Lageplan](plan.png)", records / "2023", records)
    image = document.blocks[0].children[0]
    assert isinstance(image, c.Image)
    assert (image.alt, image.media_type, image.width_px, image.height_px) == \
        ("Lageplan", "image/png", 40, 30)
    assert document.images == (image,)
    assert issues == []


@pytest.mark.parametrize("src, reason", [
    ("file:///etc/hostname", "is not a file beside the record"),
    ("http://example.org/x.png", "is not a file beside the record"),
    ("data:image/png;base64,iVBORw0KGgo=", "is not a file beside the record"),
    ("/etc/hostname", "is not a file beside the record"),
    ("../../outside.png", "lies outside records/"),
    ("missing.png", "does not exist"),
    ("fake.png", "is not a valid PNG file"),
    ("notes.txt", "is not a PNG, JPEG or SVG file"),
    ("link.png", "lies outside records/"),
    ("evil.svg", "is an SVG that refers to other files, which is not allowed"),
    ("script.svg", "is an SVG with a <script> element, which is not allowed"),
])
def test_refused_images_show_alt_text(tmp_path, src, reason):
    records = tmp_path / "ws" / "records"
    records.mkdir(parents=True)
    (tmp_path / "ws" / "outside.png").write_bytes(png_bytes())
    (records / "fake.png").write_bytes(b"not a png")
    (records / "notes.txt").write_text("x")
    (records / "link.png").symlink_to(tmp_path / "ws" / "outside.png")
    (records / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10"><image xlink:href="file:///etc/passwd"/></svg>')
    (records / "script.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<script>alert(1)</script></svg>')
    document, issues = parse(f"![Alt]({src})", records, records)
    assert document.blocks[0].children == (c.Text("Alt"),)
    assert issues[0].message == f"image {src!r} {reason}; shown as its alt text"


def test_svg_size_from_attributes(tmp_path):
    records = tmp_path / "records"
    records.mkdir()
    (records / "plan.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
        '<rect width="10" height="10"/></svg>')
    document, issues = parse("![Plan](plan.svg)", records, records)
    image = document.blocks[0].children[0]
    assert (image.media_type, image.width_px, image.height_px) == ("image/svg+xml", 200, 100)


def test_document_text_covers_every_block():
    document, _ = parse("A\n\n- B\n\n> C\n\n| D |\n|---|\n| E |\n\n```\nF\n```\n")
    assert c.document_text(document).split() == ["A", "B", "C", "D", "E", "F"]


def test_decompression_bomb_is_refused(tmp_path):
    records = tmp_path / "records"
    records.mkdir()
    header = png_bytes(1, 1)
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    body = b"IHDR" + ihdr
    bomb = header[:8] + struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body)) \
        + header[33:]
    (records / "bomb.png").write_bytes(bomb)
    document, issues = parse("![Plan](bomb.png)", records, records)
    assert document.blocks[0].children == (c.Text("Plan"),)
    assert issues[0].message == ("image 'bomb.png' is too large (20000x20000 pixels; at most "
                                 "40 megapixels); shown as its alt text")
