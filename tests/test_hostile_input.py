"""Hostile and broken input, second round: references, the registry, special files,
hangs, misnamed limits, skipped and doubled records, and what escapes messages.

(The shared-/tmp case is in test_security.py; damaged outputs in test_keys.py.)
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import unicodedata

import pytest

from conftest import SEED, docx_text, pdf_text, record_text
from notices.build import BuildOptions, build
from notices.workspace import open_workspace


def facts(text: str) -> str:
    return SEED.replace("  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n",
                        "".join(f"  {line}\n" for line in text.split("\n")))


def cli(root, *args, timeout=60, **env):
    """``notices`` as a user runs it, in a process of its own (hangs become failures)."""
    return subprocess.run([sys.executable, "-m", "notices", "-C", str(root), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env})


# --- 2: character references are cleaned like characters ---------------------------------

def test_direction_and_control_references_are_removed_with_a_warning(workspace_dir,
                                                                      write_record):
    write_record("2023/baumheide.yaml", facts(
        "Erst &#x202E;rückwärts&#x202C; und &#8238;auch das.\n\nTabulator&#x0B;Ende &#0; x"))
    report = build(open_workspace(workspace_dir), options=BuildOptions())
    record = report.records[0]
    assert record.status == "built"
    lines = [p.format() for p in record.problems]
    assert ("records/2023/baumheide.yaml:15: warning: facts: removed text-direction controls "
            "(U+202C, U+202E) that would show the text in another order than it was typed, "
            "written as character references") in lines
    assert ("records/2023/baumheide.yaml:15: warning: facts: removed character references to "
            "characters that documents cannot hold (U+0000, U+000B)") in lines
    assert not any("font" in line for line in lines)  # no U+FFFD "no font has it" warning
    for text in (pdf_text(workspace_dir / "output/2023/baumheide.pdf"),
                 docx_text(workspace_dir / "output/2023/baumheide.docx")):
        assert "\u202e" not in text and "\u202c" not in text and "\ufffd" not in text
        assert "rückwärts" in text


# --- 3: the registry is cleaned like a record --------------------------------------------

@pytest.mark.parametrize("setting, field", [
    ('genitive = "des Bau\\u0000amtes"', "offices.Bauamt.genitive"),
    ('genitive = "des Bau\\u000Bamtes"', "offices.Bauamt.genitive"),
])
def test_control_characters_in_the_registry_are_refused_with_their_position(
        workspace_dir, setting, field):
    config = workspace_dir / "notices.toml"
    text = config.read_text().replace('genitive = "des Bauamtes"', setting)
    config.write_text(text)
    line = text.splitlines().index(setting) + 1
    for command in ("check", "build"):
        result = cli(workspace_dir, command)
        assert result.returncode == 1, result.stderr
        assert f"notices.toml:{line}: {field}: holds the control character" in result.stderr
        assert "template" not in result.stderr
    assert not (workspace_dir / "output/2023/baumheide.docx").exists()


def test_a_control_character_in_the_city_is_refused(workspace_dir):
    config = workspace_dir / "notices.toml"
    config.write_text(config.read_text().replace('city = "Stadt Bielefeld"',
                                                 'city = "Stadt\\u0007 Bielefeld"'))
    result = cli(workspace_dir, "build")
    assert result.returncode == 1
    assert "notices.toml:4: city: holds the control character U+0007" in result.stderr


def test_direction_controls_in_the_registry_are_removed_with_a_warning(workspace_dir):
    config = workspace_dir / "notices.toml"
    config.write_text(config.read_text().replace('genitive = "des Bauamtes"',
                                                 'genitive = "des \\u202ESETMAUAB\\u202C"'))
    result = cli(workspace_dir, "build")
    assert result.returncode == 0, result.stderr
    assert ("notices.toml: warning: offices.Bauamt.genitive: removed text-direction controls "
            "(U+202C, U+202E)") in result.stderr
    assert result.stderr.count("removed text-direction controls") == 1  # once per command
    import pikepdf

    with pikepdf.open(workspace_dir / "output/2023/baumheide.pdf") as pdf:
        assert "\u202e" not in str(pdf.open_metadata())
    assert "\u202e" not in pdf_text(workspace_dir / "output/2023/baumheide.pdf")


def test_verify_finds_a_word_file_that_would_not_open(workspace_dir, runner):
    """Intact bytes are not enough: verify also checks that each output parses."""
    import hashlib
    import sqlite3
    import zipfile

    assert cli(workspace_dir, "build").returncode == 0
    path = workspace_dir / "output/2023/baumheide.docx"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"Mitteilung", b"Mit\0")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    # As if a damaged file had been written and recorded (the state agrees with the bytes).
    with sqlite3.connect(workspace_dir / "output/.notices-state.sqlite") as db:
        db.execute("UPDATE outputs SET sha256 = ? WHERE path = ?",
                   (hashlib.sha256(buffer.getvalue()).hexdigest(), "2023/baumheide.docx"))
    result = cli(workspace_dir, "verify")
    assert result.returncode == 1
    assert "damaged\toutput/2023/baumheide.docx" in result.stdout
    assert "1 damaged" in result.stderr


# --- 4: special files never block ----------------------------------------------------------

@pytest.mark.slow
def test_a_fifo_named_like_a_record_is_refused_without_hanging(workspace_dir):
    os.mkfifo(workspace_dir / "records/2023/x.yaml")
    for command in ("build", "check", "sessions"):
        started = time.monotonic()
        result = cli(workspace_dir, command, timeout=30)
        assert time.monotonic() - started < 25
        assert result.returncode == 1, result.stderr
        assert ("records/2023/x.yaml: is a named pipe (FIFO), not a file" in result.stderr), \
            result.stderr


def test_a_link_to_a_device_is_refused_without_reading_it(workspace_dir):
    (workspace_dir / "records/2023/zero.yaml").symlink_to("/dev/zero")
    result = cli(workspace_dir, "build", timeout=30)
    assert result.returncode == 1
    assert "records/2023/zero.yaml: is not inside records/" in result.stderr


# --- 5: notices.toml is parsed within bounds ----------------------------------------------

@pytest.mark.parametrize("bomb, expected", [
    ("".join(f"a{i}" + ".a" * 40 + " = 1\n" for i in range(1000)),
     "notices.toml:1: a key with more than 16 dotted parts"),
    ("x = " + "[" * 100_000 + "]" * 100_000 + "\n",
     "notices.toml:1: values or tables nested more than 32 levels deep"),
    ("# " + "x" * 300_000 + "\n", "notices.toml: is larger than 256 KB"),
])
def test_a_hostile_registry_is_refused_quickly(workspace_dir, bomb, expected):
    (workspace_dir / "notices.toml").write_text(bomb)
    started = time.monotonic()
    result = cli(workspace_dir, "check", timeout=30)
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert expected in result.stderr
    assert "internal error" not in result.stderr


# --- 7: failures named as what they are ------------------------------------------------------

def test_a_very_long_committee_name_gets_a_bounded_packet_name(workspace_dir, write_record):
    name = "Ausschuss für " + "sehr lange Namen " * 30
    (workspace_dir / "records/2023/baumheide.yaml").write_text(
        SEED.replace("Bezirksvertretung Heepen", name.strip()))
    result = cli(workspace_dir, "session", "--committee", name, "--date", "20.04.2023")
    assert result.returncode == 0, result.stderr
    [packet] = (workspace_dir / "output/sessions").glob("*.pdf")
    assert len(packet.name) < 100


def test_file_names_with_newlines_are_escaped_in_messages_and_the_log(workspace_dir):
    (workspace_dir / "records/2023/x\nrecords:1: forged.yaml").write_text("office: [\n")
    result = cli(workspace_dir, "build")
    assert result.returncode == 1
    assert "records/2023/x\\nrecords:1: forged.yaml:" in result.stderr
    assert not any(line.startswith("records:1") for line in result.stderr.splitlines())
    log = (workspace_dir / "output/build-errors.log").read_text()
    assert all(line.startswith("records/2023/x\\n") for line in log.splitlines())


def test_a_svg_that_draws_itself_is_one_warning_and_no_raw_log(workspace_dir, write_record):
    (workspace_dir / "records/2023/loop.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<g id="x"><use href="#x"/></g></svg>')
    write_record("2023/baumheide.yaml", facts("![Plan](loop.svg)"))
    result = cli(workspace_dir, "build")
    assert result.returncode == 0, result.stderr
    assert ("records/2023/baumheide.yaml:15: warning: facts: image 'loop.svg' is an SVG whose "
            "<use> elements draw themselves (a loop), which cannot be drawn; shown as its alt "
            "text") in result.stderr
    assert "ERROR" not in result.stderr and "file://" not in result.stderr


# --- 8: pictures the PDF can show are accepted; the limit hit is named ----------------------

def jpeg(mode: str, *, strip_app0: bool = False) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (60, 40), "red" if mode == "RGB" else (0, 255, 255, 0)).save(
        buffer, "JPEG")
    data = buffer.getvalue()
    if strip_app0 and data[2:4] == b"\xff\xe0":  # drop JFIF: starts with a DQT marker
        length = int.from_bytes(data[4:6], "big")
        data = data[:2] + data[4 + length:]
    return data


@pytest.mark.parametrize("name, data", [
    ("cmyk.jpg", jpeg("CMYK")),
    ("bare.jpg", jpeg("RGB", strip_app0=True)),
])
def test_jpegs_without_a_jfif_header_are_accepted(workspace_dir, write_record, name, data):
    assert not data[2:4] == b"\xff\xe0"
    (workspace_dir / "records/2023" / name).write_bytes(data)
    write_record("2023/baumheide.yaml", facts(f"![Foto]({name})"))
    report = build(open_workspace(workspace_dir), options=BuildOptions())
    assert report.records[0].status == "built"
    assert not [p for p in report.records[0].problems if "Foto" in p.message
                or name in p.message]


def test_a_picture_too_long_on_one_side_names_that_limit(workspace_dir, write_record):
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 39_000_000, 8, 0, 0,
                                                                0, 0))
           + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    (workspace_dir / "records/2023/strip.png").write_bytes(png)
    write_record("2023/baumheide.yaml", facts("![Streifen](strip.png)"))
    report = build(open_workspace(workspace_dir), options=BuildOptions())
    messages = [p.message for p in report.records[0].problems]
    assert ("image 'strip.png' is too large (1x39000000 pixels; a side may have at most 30,000 "
            "pixels); shown as its alt text") in messages


# --- 9: nothing skipped or doubled without a word -------------------------------------------

@pytest.mark.parametrize("name", [".yaml", "...yaml", ".hidden.yaml", "_entwurf.yaml"])
def test_hidden_and_dot_names_are_reported_as_skipped(workspace_dir, name):
    (workspace_dir / "records/2023" / name).write_text(SEED)
    result = cli(workspace_dir, "build")
    assert result.returncode == 0, result.stderr
    assert (f"records/2023/{name}: warning: skipped: a file whose name starts with '.' or '_' "
            "is not a record; rename it to build it") in result.stderr


def test_nfc_and_nfd_spellings_of_one_name_are_refused_like_a_case_clash(workspace_dir):
    nfc = unicodedata.normalize("NFC", "Bültmann.yaml")
    nfd = unicodedata.normalize("NFD", "Bültmann.yaml")
    assert nfc != nfd
    (workspace_dir / "records" / nfc).write_text(record_text(file_number="600.1"))
    (workspace_dir / "records" / nfd).write_text(record_text(file_number="600.2"))
    result = cli(workspace_dir, "build")
    assert result.returncode == 1
    assert "how their accented letters are encoded (Unicode NFC/NFD)" in result.stderr
    assert not list((workspace_dir / "output").glob("B*"))


def test_packets_lay_out_each_paper_under_the_time_limit(workspace):
    """Packets render under the same per-record limit as builds: a paper that takes
    longer fails the packet with its name, instead of holding the process."""
    from notices.errors import RenderError
    from notices.packets.cover import Item, cover_context
    from notices.packets.pdf import render_pdf_packet
    from notices.packets.sessions import SessionKey
    from notices.source.records import load_record
    from notices.template_set import TemplateSet

    templates = TemplateSet.read(workspace.templates_dir)
    notice = load_record(workspace, workspace.records_dir / "2023/baumheide.yaml",
                         known_kinds=templates.kinds).notice
    context = cover_context(SessionKey("Bezirksvertretung Heepen", notice.session.date),
                            "öffentlicher Teil", True, None)
    with pytest.raises(RenderError) as error:
        render_pdf_packet(templates, "pdf/a-2a", context, [Item(notice, "notice-1")],
                          paper_timeout=0.001)
    assert error.value.problems[0].format() == (
        "records/2023/baumheide.yaml: took longer than 0.001 s to lay out for the packet "
        "(limits.render_timeout_seconds in notices.toml)")


@pytest.mark.slow
def test_running_out_of_memory_is_named_and_prints_no_traceback(workspace_dir, write_record):
    toml = workspace_dir / "notices.toml"
    toml.write_text(toml.read_text() + "\n[limits]\nrender_memory_mb = 40\n")
    header = "| " + " | ".join(f"S{i}" for i in range(1000)) + " |"
    rule = "|" + "---|" * 1000
    rows = "\n".join("| " + " | ".join(f"w{i}x{r}" for i in range(1000)) + " |"
                     for r in range(5))
    write_record("2023/breit.yaml", facts(f"{header}\n{rule}\n{rows}"))
    result = cli(workspace_dir, "build", "--jobs", "1", timeout=300)
    assert result.returncode == 1
    assert ("records/2023/breit.yaml: rendering failed: ran out of the 40 MB render memory "
            "limit (limits.render_memory_mb in notices.toml)") in result.stderr
    assert "Traceback" not in result.stderr and "Process" not in result.stderr
