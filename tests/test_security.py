"""Hostile input: nothing is read from outside the workspace, nothing is fetched."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pikepdf
import pytest
from weasyprint.urls import URLFetcher

from conftest import SEED, docx_text, pdf_text
from notices.build import BuildOptions, build
from notices.workspace import open_workspace
from notices.render.pdf import PdfRenderer
from notices.template_set import TemplateSet
from test_content import png_bytes


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        _Recorder.hits.append(self.path)
        data = png_bytes(8, 8)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A local HTTP server that records every request (loopback only)."""
    _Recorder.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _images_and_attachments(data: bytes) -> tuple[int, int]:
    """Images drawn, and files embedded (document attachments plus file annotations)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        images = sum(len(page.get_images()) for page in pdf.pages)
        annotations = sum(1 for page in pdf.pages for annot in page.get("/Annots", [])
                          if annot.get("/Subtype") == "/FileAttachment")
        return images, len(pdf.attachments) + annotations


def _hostile_html(secret, outside_png, url) -> str:
    return (f'<html><head><link rel="attachment" href="{secret.as_uri()}"></head><body>'
            f'<p>Text</p><img src="{outside_png.as_uri()}"><img src="{url}/x.png">'
            f'<a rel="attachment" href="{secret.as_uri()}">a</a></body></html>')


def test_renderer_fetcher_blocks_what_the_default_fetcher_reads(workspace, tmp_path,
                                                               http_server):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET-BYTES")
    outside = tmp_path / "outside.png"
    outside.write_bytes(png_bytes(8, 8))
    html = _hostile_html(secret, outside, http_server)
    renderer = PdfRenderer(TemplateSet.read(workspace.templates_dir), "mitteilung", variant="none", city=None)

    unsafe = renderer.write_pdf(html, url_fetcher=URLFetcher())
    assert _images_and_attachments(unsafe) == (2, 2)  # default: reads file and network
    assert _Recorder.hits == ["/x.png"]

    _Recorder.hits = []
    safe = renderer.write_pdf(html)
    assert _images_and_attachments(safe) == (0, 0)
    assert _Recorder.hits == []
    assert b"TOP-SECRET-BYTES" not in safe


def test_hostile_record_reads_nothing_and_fetches_nothing(workspace_dir, write_record,
                                                         tmp_path, http_server):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET-BYTES")
    outside = tmp_path / "outside.png"
    outside.write_bytes(png_bytes(8, 8))
    facts = (f'  <link rel="attachment" href="file:///etc/passwd">\n'
             f'  <img src="file:///etc/hostname">\n\n'
             f'  ![lokal]({outside.as_uri()}) ![fern]({http_server}/y.png)\n'
             f'  ![daten](data:image/png;base64,iVBORw0KGgo=) ![pfad](../../../../outside.png)\n'
             f'  <style>@import url("{http_server}/z.css");</style>\n')
    write_record("2023/feind.yaml", SEED.replace(
        "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n", facts))
    report = build(open_workspace(workspace_dir), options=BuildOptions(jobs=1))
    record = next(r for r in report.records if r.path == "records/2023/feind.yaml")
    assert record.status == "built", [str(p) for p in record.problems]
    warnings = [p.message for p in record.problems]
    assert sum("shown as its alt text" in w for w in warnings) == 4
    assert _Recorder.hits == []
    pdf = (workspace_dir / "output/2023/feind.pdf").read_bytes()
    assert _images_and_attachments(pdf) == (0, 0)
    assert b"TOP-SECRET-BYTES" not in pdf and b"root:x:0" not in pdf
    text = pdf_text(workspace_dir / "output/2023/feind.pdf")
    assert '<img src="file:///etc/hostname">' in text  # shown as text, never interpreted
    docx = workspace_dir / "output/2023/feind.docx"
    import zipfile

    with zipfile.ZipFile(docx) as archive:
        assert not [n for n in archive.namelist() if n.startswith("word/media/")]
        blob = b"".join(archive.read(n) for n in archive.namelist())
    assert b"TOP-SECRET-BYTES" not in blob and b"root:x:0" not in blob
    assert '<link rel="attachment"' in docx_text(docx)


def test_no_socket_is_opened_while_rendering(workspace_dir, write_record, monkeypatch):
    write_record("2023/netz.yaml", SEED.replace(
        "Nutzer*innen.", "Nutzer*innen. ![x](https://example.org/x.png)"))
    opened = []
    real = socket.socket.connect

    def spy(self, address):
        opened.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    from notices.source.records import load_record

    workspace = open_workspace(workspace_dir)
    notice = load_record(workspace, workspace_dir / "records/2023/netz.yaml",
                         known_kinds={"mitteilung"}).notice
    PdfRenderer(TemplateSet.read(workspace.templates_dir), "mitteilung", variant="none", city=None).render(notice)
    assert opened == []


def test_a_prepared_shared_temp_folder_cannot_redirect_writes(workspace_dir, tmp_path):
    """Another local user pre-creates the old fixed folder $TMPDIR/notices-fontconfig-UID
    with links named after the next process ids: nothing is written through them, and
    notices leaves no folder of its own behind."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir(mode=0o1777)
    target = tmp_path / "victim.conf"
    target.write_text("SECRET\n")
    target.chmod(0o600)
    trap = shared / f"notices-fontconfig-{os.getuid()}"
    trap.mkdir()
    first = os.getpid()
    for pid in range(first, first + 3000):
        (trap / f"fonts.{pid}.tmp").symlink_to(target)
    (trap / "fonts.conf").symlink_to(target)
    if os.geteuid() == 0:  # as root: make it look like another user's, as in the report
        os.chown(trap, 65534, 65534)
    environment = {**os.environ, "TMPDIR": str(shared)}
    result = subprocess.run([sys.executable, "-m", "notices", "-C", str(workspace_dir),
                             "build"], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "SECRET\n"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in shared.iterdir()) == [trap.name]
    assert (workspace_dir / "output/2023/baumheide.pdf").is_file()
