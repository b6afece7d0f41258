"""What makes an output stale: one key, over exactly what each format reads.

Builds run in-process through the library (the CLI is tested elsewhere); every test
builds twice or more and looks at what the second build did.
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED, record_text
from notices.build import BUILT, UP_TO_DATE, BuildOptions, build
from notices.workspace import open_workspace


def statuses(workspace_dir, formats=("docx", "pdf"), **options) -> dict[str, str]:
    report = build(open_workspace(workspace_dir), options=BuildOptions(formats=formats,
                                                                        **options))
    assert not report.interrupted
    return {r.path: r.status for r in report.records}


def outputs_written(workspace_dir, **options) -> dict[str, list[str]]:
    report = build(open_workspace(workspace_dir), options=BuildOptions(**options))
    return {r.path: sorted(r.outputs) for r in report.records if r.status == BUILT}


SEED_PATH = "records/2023/baumheide.yaml"


def test_a_record_saved_with_a_byte_order_mark_is_built_once(workspace_dir):
    """Windows Notepad writes a BOM; the record must not be rebuilt on every build."""
    path = workspace_dir / SEED_PATH
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    assert statuses(workspace_dir)[SEED_PATH] == UP_TO_DATE


_subject = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(subject=_subject, bom=st.booleans(), crlf=st.booleans(), trailing=st.booleans())
def test_whatever_bytes_a_record_has_the_second_build_never_rebuilds(
        workspace_dir, subject, bom, crlf, trailing):
    text = record_text(subject='"' + subject.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8") + (b"\n\n" if trailing else b"")
    (workspace_dir / SEED_PATH).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    first = statuses(workspace_dir, formats=("docx",))[SEED_PATH]
    if first == BUILT:
        assert statuses(workspace_dir, formats=("docx",))[SEED_PATH] == UP_TO_DATE


def test_each_format_is_rebuilt_only_when_what_it_reads_changes(workspace_dir):
    """Restyling the Word template rebuilds no PDF; a CSS change rebuilds no Word file."""
    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    templates = workspace_dir / "templates"
    docx = templates / "mitteilung.docx"
    docx.write_bytes(docx.read_bytes() + b"\0")  # trailing bytes: still a valid zip
    assert outputs_written(workspace_dir) == {SEED_PATH: ["2023/baumheide.docx"]}
    css = templates / "mitteilung.css"
    css.write_text(css.read_text() + "\n/* restyled */\n")
    assert outputs_written(workspace_dir) == {SEED_PATH: ["2023/baumheide.pdf"]}
    fonts = templates / "fonts.css"
    fonts.write_text(fonts.read_text() + "\n")
    assert outputs_written(workspace_dir) == {SEED_PATH: ["2023/baumheide.pdf"]}
    assert outputs_written(workspace_dir) == {}
    # The meeting documents' shared stylesheet is none of a paper's business.
    meeting = templates / "meeting.css"
    meeting.write_text(meeting.read_text() + "\n/* restyled */\n")
    assert outputs_written(workspace_dir) == {}


def test_another_kinds_templates_rebuild_nothing(workspace_dir):
    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    templates = workspace_dir / "templates"
    for suffix in ("html", "css", "docx"):
        shutil.copy(templates / f"mitteilung.{suffix}", templates / f"anfrage.{suffix}")
    assert statuses(workspace_dir)[SEED_PATH] == UP_TO_DATE


def test_settings_and_variant_are_part_of_the_key(workspace_dir):
    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    assert outputs_written(workspace_dir, pdf_variant="pdf/ua-1") == {
        SEED_PATH: ["2023/baumheide.pdf"]}
    config = workspace_dir / "notices.toml"
    config.write_text(config.read_text() + "\n# a comment\n")
    assert statuses(workspace_dir, pdf_variant="pdf/ua-1")[SEED_PATH] == BUILT


# --- pictures: part of the key whatever their state (issue: missing, refused, fixed) -------

def png(width=40, height=30) -> bytes:
    from test_content import png_bytes

    return png_bytes(width, height)


CLEAN_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
             '<rect width="200" height="100" fill="#3a6"/></svg>')
REFUSED_SVG = ('<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" '
               'width="200" height="100"><rect width="10" height="10"/></svg>')


def with_picture(workspace_dir, name: str) -> None:
    text = SEED.replace("Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.",
                        f"Text.\n\n  ![Lageplan]({name})")
    (workspace_dir / SEED_PATH).write_text(text, encoding="utf-8")


def test_a_missing_picture_that_is_added_rebuilds_the_record(workspace_dir):
    with_picture(workspace_dir, "lageplan.png")
    assert statuses(workspace_dir)[SEED_PATH] == BUILT  # with the alt text and a warning
    (workspace_dir / "records/2023/lageplan.png").write_bytes(png())
    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    assert statuses(workspace_dir)[SEED_PATH] == UP_TO_DATE


@pytest.mark.parametrize("before, after", [(REFUSED_SVG, CLEAN_SVG), (CLEAN_SVG, REFUSED_SVG)],
                         ids=["refused then clean", "clean then refused"])
def test_a_picture_that_is_fixed_or_refused_rebuilds_the_record(workspace_dir, before, after):
    picture = workspace_dir / "records/2023/lageplan.svg"
    picture.write_text(before)
    with_picture(workspace_dir, "lageplan.svg")
    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    picture.write_text(after)
    report = build(open_workspace(workspace_dir), options=BuildOptions())
    assert report.records[0].status == BUILT
    refused = any("DOCTYPE" in p.message for p in report.records[0].problems)
    assert refused == (after == REFUSED_SVG)
    assert statuses(workspace_dir)[SEED_PATH] == UP_TO_DATE


def test_removing_a_picture_rebuilds_only_its_record(workspace_dir, write_record):
    (workspace_dir / "records/2023/lageplan.png").write_bytes(png())
    with_picture(workspace_dir, "lageplan.png")
    write_record("2023/other.yaml", record_text(file_number="600.23"))
    assert set(statuses(workspace_dir).values()) == {BUILT}
    (workspace_dir / "records/2023/lageplan.png").unlink()
    assert statuses(workspace_dir) == {SEED_PATH: BUILT, "records/2023/other.yaml": UP_TO_DATE}


def test_a_picture_the_pdf_and_word_file_show_is_the_one_in_the_key(workspace_dir):
    """After the fix, the outputs show the picture, not the alt text."""
    from conftest import docx_text

    with_picture(workspace_dir, "lageplan.png")
    statuses(workspace_dir)
    (workspace_dir / "records/2023/lageplan.png").write_bytes(png())
    statuses(workspace_dir)
    import zipfile

    with zipfile.ZipFile(workspace_dir / "output/2023/baumheide.docx") as archive:
        assert any(name.startswith("word/media/") for name in archive.namelist())
    assert "Lageplan" not in docx_text(workspace_dir / "output/2023/baumheide.docx")


@pytest.mark.parametrize("damage", ["random", "folder", "link"])
def test_damaged_outputs_are_never_up_to_date(workspace_dir, damage, tmp_path):
    """An output replaced by other bytes, a folder or a link is kept and reported, not
    called up to date; --force writes it again (a folder is an error)."""
    import os

    assert statuses(workspace_dir)[SEED_PATH] == BUILT
    target = workspace_dir / "output/2023/baumheide.pdf"
    target.unlink()
    if damage == "random":
        target.write_bytes(os.urandom(5000))
    elif damage == "folder":
        target.mkdir()
    else:
        elsewhere = tmp_path / "elsewhere.pdf"
        elsewhere.write_bytes(b"%PDF-1.7 not ours")
        target.symlink_to(elsewhere)
    report = build(open_workspace(workspace_dir), options=BuildOptions())
    record = report.records[0]
    messages = [p.format() for p in record.problems]
    if damage == "folder":
        assert record.status == "failed"
        assert "output/2023/baumheide.pdf: is a folder where notices writes a file; move it " \
               "away" in messages
        return
    assert record.status == "kept"
    reason = "was changed after notices wrote it" if damage == "random" else \
        "is a link where notices wrote a file"
    assert (f"output/2023/baumheide.pdf: warning: {reason}; kept it (use --force to "
            "overwrite it)") in messages
    forced = build(open_workspace(workspace_dir), options=BuildOptions(force=True))
    assert forced.records[0].status == BUILT
    assert target.is_file() and not target.is_symlink()
    assert target.read_bytes().startswith(b"%PDF-")
    if damage == "link":
        assert elsewhere.read_bytes() == b"%PDF-1.7 not ours"  # replaced, not followed
