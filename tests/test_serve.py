"""The desk's routes with Starlette's test client: what a clerk sees and what is refused.

The app is the real one over a real workspace (``notices init`` plus the sample
records); only the file watcher is off, so each test says itself what changed.
"""

from __future__ import annotations

import os
import re
import warnings
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("starlette")
with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx does the job
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from starlette.testclient import TestClient

from desk_browser import SEED, sample_workspace  # noqa: E402

from notices.serve.app import create_app  # noqa: E402

BASE = "http://127.0.0.1:8000"


class _Form(HTMLParser):
    """The fields of the first form with method=post (what a browser would submit)."""

    def __init__(self, action: str | None = None):
        super().__init__()
        self.want, self.fields, self.inside, self.done = action, {}, False, False
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and a.get("method") == "post" and \
                (self.want is None or a.get("action") == self.want):
            self.inside = True
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type") != "submit":
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.fields[self._textarea]
            self.fields[self._textarea] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_of(html: str, action: str | None = None) -> dict[str, str]:
    parser = _Form(action)
    parser.feed(html)
    return parser.fields


def text(html: str) -> str:
    """The page's words as a reader sees them (tags removed, entities decoded)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def built_root(tmp_path_factory) -> Path:
    """A sample workspace whose seed paper the desk has built (read, not changed)."""
    return sample_workspace(tmp_path_factory.mktemp("serve") / "ws")


@pytest.fixture(scope="module")
def reader(built_root):
    with TestClient(create_app(built_root, port=8000, watch_files=False), base_url=BASE) as c:
        yield c


@pytest.fixture
def root(tmp_path) -> Path:
    return sample_workspace(tmp_path / "ws")


@pytest.fixture
def client(root):
    with TestClient(create_app(root, port=8000, watch_files=False), base_url=BASE,
                    follow_redirects=False) as c:
        yield c


def test_the_overview_lists_every_paper_with_its_status(reader):
    page = reader.get("/")
    assert page.status_code == 200
    words = text(page.text)
    assert "INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide" in words
    assert "Radwegeverbindung zwischen Heepen und Baumheide" in words
    assert len(re.findall(r'<tr data-path="records/', page.text)) == 11
    assert "Entwurf" in words and "Warnungen" in words and "20.04.2023 Bezirksvertretung Heepen" in words
    assert 'action="/sitzung"' in page.text  # a button per session builds its documents


@pytest.mark.parametrize("query, expected", [
    ("art=beschlussvorlage", 3), ("art=beantwortung", 2), ("status=entwurf", 1),
    ("datum=2023-04-25", 3), ("gremium=Stadtentwicklungsausschuss&art=mitteilung", 1),
    ("status=fehler", 0)])
def test_filters(reader, query, expected):
    page = reader.get(f"/?{query}")
    assert len(re.findall(r'<tr data-path="records/', page.text)) == expected
    assert (f"({expected} von 11)" in page.text) and (expected or "Keine Vorlage passt" in page.text)


def test_the_preview_shows_what_notices_build_writes(reader, built_root, runner):
    from notices.cli import main

    page = reader.get(f"/vorschau/{SEED}")
    assert page.status_code == 200
    assert re.search(r'<iframe id="pdf"[^>]+src="/ausgabe/2023/baumheide.pdf\?v=\d+"', page.text)
    assert "aktuell, so wie notices build sie schreibt" in page.text
    pdf = reader.get("/ausgabe/2023/baumheide.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert pdf.content == (built_root / "output/2023/baumheide.pdf").read_bytes()
    docx = reader.get("/ausgabe/2023/baumheide.docx")
    assert docx.headers["content-disposition"].startswith("attachment")
    assert docx.headers["content-type"].startswith("application/vnd.openxmlformats")
    # The same outputs and the same state: the command finds nothing to do.
    # (It exits 1 here for the session records, whose other papers were never built.)
    result = runner.invoke(main, ["-C", str(built_root), "build", SEED])
    assert "built 0, up to date 1, failed 0" in result.output


def test_every_response_carries_the_security_headers(reader):
    for url in ("/", f"/bearbeiten/{SEED}", "/static/desk.js", "/gibt-es-nicht"):
        headers = reader.get(url).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'self'" in csp and "default-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "SAMEORIGIN"
    assert "<script>" not in reader.get("/").text  # the one script is a file


@pytest.mark.parametrize("host", ["evil.example:8000", "127.0.0.1:9999", "attacker.test"])
def test_a_foreign_host_header_is_refused(reader, host):
    page = reader.get("/", headers={"host": host})
    assert page.status_code == 400
    assert "gehört nicht zu diesem Schreibtisch" in page.text
    # A page re-bound to this machine must not learn the token that lets it post.
    token = form_of(reader.get("/neu?art=mitteilung&amt=Bauamt").text)["_csrf"]
    assert token and token not in page.text
    assert reader.get("/", headers={"host": "localhost:8000"}).status_code == 200


@pytest.mark.parametrize("url", [
    "/vorschau/records/../notices.toml", "/vorschau/..%2F..%2Fetc%2Fpasswd",
    "/vorschau/%2Fetc%2Fpasswd", "/bearbeiten/records/%2E%2E/notices.toml",
    "/bearbeiten/notices.toml", "/ausgabe/../notices.toml", "/ausgabe/%2e%2e/notices.toml",
    "/ausgabe/.notices-state.sqlite", "/ausgabe/..%2Fnotices.toml", "/static/../app.py",
    "/static/%2e%2e/app.py", "/bearbeiten/records/2023/lageplan.svg",
    "/vorschau/records%2F..%2F..%2F..%2Fetc%2Fhostname",
    # encoded slashes are refused even where they would name a file that exists
    "/vorschau/records/2023%2Fbaumheide.yaml", "/bearbeiten/records%2F2023%2Fbaumheide.yaml",
    "/ausgabe/2023%2Fbaumheide.pdf", "/vorschau/records%5C2023%5Cbaumheide.yaml"])
def test_no_path_outside_the_workspace_can_be_read(reader, url):
    page = reader.get(url)
    assert page.status_code == 404
    assert "offices" not in page.text and "import" not in page.text and "root:" not in page.text


def test_links_that_lead_outside_are_neither_read_nor_written(client, root, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("subject: geheim\n")
    os.symlink(secret, root / "records" / "link.yaml")
    os.symlink(secret, root / "output" / "leak.pdf")
    assert client.get("/bearbeiten/records/link.yaml").status_code == 404
    assert client.get("/ausgabe/leak.pdf").status_code == 404
    token = form_of(client.get("/neu?art=mitteilung&amt=Bauamt").text)["_csrf"]
    page = client.post("/bearbeiten/records/link.yaml", data={"_csrf": token, "subject": "x"})
    assert page.status_code == 404 and secret.read_text() == "subject: geheim\n"


def test_a_hostile_subject_is_shown_as_text(client, root):
    path = root / SEED
    path.write_text(path.read_text().replace(
        "subject: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
        "subject: '<script>alert(1)</script><img src=x onerror=alert(2)>'"))
    for url in ("/", f"/bearbeiten/{SEED}"):
        page = client.get(url).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_text_direction_controls_do_not_turn_the_page_around(client, root):
    path = root / SEED
    path.write_text(path.read_text().replace(
        "subject: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
        "subject: \"Bericht \\u202eLTR\\u202c Ende\""))
    for url in ("/", f"/bearbeiten/{SEED}", f"/vorschau/{SEED}"):
        page = client.get(url).text
        assert "\u202e" not in page and "Bericht LTR Ende" in page, url


def edit(client, path: str = SEED, **changes) -> tuple[dict, object]:
    form = form_of(client.get(f"/bearbeiten/{path}").text)
    form.update(changes)
    return form, client.post(f"/bearbeiten/{path}", data=form)


def test_saving_changes_the_subject_line_only(client, root):
    before = (root / SEED).read_text()
    _, response = edit(client, subject="Quartiersmanagement Baumheide, Fortführung bis 2027")
    assert response.status_code == 303
    assert response.headers["location"] == f"/bearbeiten/{SEED}?gespeichert=1"
    after = (root / SEED).read_text()
    assert after == before.replace(
        "subject: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
        "subject: Quartiersmanagement Baumheide, Fortführung bis 2027")
    page = client.get(response.headers["location"]).text
    assert "Gespeichert." in page
    assert 'value="Quartiersmanagement Baumheide, Fortführung bis 2027"' in page


def test_two_tabs_cannot_lose_each_others_work(client, root):
    first = form_of(client.get(f"/bearbeiten/{SEED}").text)
    second = dict(first)
    first["subject"], second["signatory"] = "Betreff aus Tab 1", "Unterschrift aus Tab 2"
    assert client.post(f"/bearbeiten/{SEED}", data=first).status_code == 303
    conflict = client.post(f"/bearbeiten/{SEED}", data=second)
    assert conflict.status_code == 409
    words = text(conflict.text)
    assert "Nicht gespeichert: die Datei wurde inzwischen geändert" in words
    assert "subject: Betreff aus Tab 1" in words  # theirs
    assert "signatory: Unterschrift aus Tab 2" in words  # yours
    saved = (root / SEED).read_text()
    assert "Betreff aus Tab 1" in saved and "Unterschrift aus Tab 2" not in saved
    # Both changes meet in one form, which then saves over the new version.
    merged = form_of(client.post(f"/bearbeiten/{SEED}", data={
        **form_of(conflict.text), "_aktion": "merge"}).text)
    assert merged["subject"] == "Betreff aus Tab 1"
    assert merged["signatory"] == "Unterschrift aus Tab 2"
    assert client.post(f"/bearbeiten/{SEED}", data=merged).status_code == 303
    saved = (root / SEED).read_text()
    assert "Betreff aus Tab 1" in saved and "Unterschrift aus Tab 2" in saved


def test_a_field_both_versions_changed_is_named_at_the_field_after_merging(client, root):
    form = form_of(client.get(f"/bearbeiten/{SEED}").text)
    path = root / SEED
    path.write_text(path.read_text().replace("name: Frau Bültmann", "name: Frau Editor"))
    form["contact.name"] = "Frau Browser"
    conflict = client.post(f"/bearbeiten/{SEED}", data=form)
    assert conflict.status_code == 409
    page = client.post(f"/bearbeiten/{SEED}", data={**form_of(conflict.text),
                                                    "_aktion": "merge"}).text
    assert form_of(page)["contact.name"] == "Frau Browser"
    assert "1 Feld(er) wurden in beiden Fassungen geändert" in text(page)
    assert re.search(r'id="problem-contact\.name-1">in der anderen Fassung geändert zu '
                     r'„Frau Editor“; hier steht Ihr Wert „Frau Browser“</p>', page), page


def test_a_tab_cannot_overwrite_an_editors_save(client, root):
    form = form_of(client.get(f"/bearbeiten/{SEED}").text)
    path = root / SEED
    editors = path.read_text().replace("signatory: Dodenhoff", "signatory: Aus dem Editor")
    path.write_text(editors)
    form["subject"] = "Aus dem Browser"
    conflict = client.post(f"/bearbeiten/{SEED}", data=form)
    assert conflict.status_code == 409
    assert path.read_text() == editors
    assert "signatory: Aus dem Editor" in text(conflict.text)
    assert "subject: Aus dem Browser" in text(conflict.text)


@pytest.mark.parametrize("token, origin, status", [
    (None, None, 403), ("falsch", None, 403), ("ok", "http://evil.example", 403),
    ("ok", "http://127.0.0.1:8000", 303)])
def test_state_changing_requests_need_the_token_and_our_origin(client, root, token, origin,
                                                               status):
    before = (root / SEED).read_text()
    form = form_of(client.get(f"/bearbeiten/{SEED}").text)
    form["subject"] = "Geändert"
    if token is None:
        del form["_csrf"]
    elif token != "ok":
        form["_csrf"] = token
    headers = {"origin": origin} if origin else {}
    response = client.post(f"/bearbeiten/{SEED}", data=form, headers=headers)
    assert response.status_code == status
    assert ((root / SEED).read_text() == before) is (status != 303)
    if status == 403:
        assert "abgelehnt" in response.text or "Sicherheitsmerkmal" in response.text


def test_check_shows_the_message_of_notices_check_at_the_field(client, root, runner):
    from notices.cli import main

    before = (root / SEED).read_text()
    form, response = edit(client, **{"date": "31.02.2023", "_aktion": "check"})
    assert response.status_code == 200 and (root / SEED).read_text() == before
    message = "'31.02.2023' is not a valid date (expected DD.MM.YYYY or YYYY-MM-DD)"
    assert '<div class="field has-problem" data-field="date">' in response.text
    shown = message.replace("'", "&#39;")
    assert f'id="problem-date-1">Zeile 4: {shown}</p>' in response.text
    (root / SEED).write_text(before.replace("date: 18.04.2023", "date: 31.02.2023"))
    check = runner.invoke(main, ["-C", str(root), "check", SEED])
    assert f"{SEED}:4: date: {message}" in check.output


def test_a_new_beschlussvorlage_from_the_form(client, root):
    page = client.get("/neu?art=beschlussvorlage&amt=Bauamt")
    assert page.status_code == 200 and "Neue Beschlussvorlage" in page.text
    form = form_of(page.text)
    form.update({"subject": "Neue Bänke am Quartiersplatz", "file_number": "600.40",
                 "contact.name": "Frau Bültmann", "contact.phone": "0521 513224",
                 "consultations[0].committee": "Bezirksvertretung Heepen",
                 "consultations[0].date": "2023-05-11", "reasons": "Weil.",
                 "finances": "keine", "signatory": "Dodenhoff"})
    response = client.post("/neu", data=form)
    assert response.status_code == 303
    path = response.headers["location"].split("/bearbeiten/")[1].split("?")[0]
    assert re.fullmatch(r"records/\d{4}/4406-2020-2025\.yaml", path)
    saved = (root / path).read_text()
    assert "# Beschlussvorlage, angelegt mit 'notices new'" in saved
    assert "subject: Neue Bänke am Quartiersplatz  # Betreff" in saved or \
        "subject: Neue Bänke am Quartiersplatz" in saved
    page = client.get(response.headers["location"]).text
    assert re.search(r'id="problem-proposal-1">Zeile \d+: missing \(Beschlussvorschlag\)</p>',
                     page)


def test_two_new_forms_opened_together_never_give_one_number_twice(client, root):
    """Both forms show the next number; the one saved second gets the next free one."""
    forms = [form_of(client.get("/neu?art=mitteilung&amt=Bauamt").text) for _ in range(2)]
    assert forms[0]["paper_number"] == forms[1]["paper_number"] == "4406/2020-2025"
    saved = []
    for number, form in enumerate(forms, start=1):
        form.update({"subject": f"Mitteilung {number}", "file_number": f"600.4{number}"})
        response = client.post("/neu", data=form)
        assert response.status_code == 303
        saved.append(response.headers["location"])
    texts = [(root / url.split("/bearbeiten/")[1].split("?")[0]).read_text() for url in saved]
    assert "4406/2020-2025" in texts[0] and "4407/2020-2025" in texts[1]
    assert "4406/2020-2025" not in texts[1]
    page = client.get(saved[1]).text
    assert "Die Drucksachen-Nr. 4406/2020-2025 war inzwischen vergeben" in page


def test_markdown_preview_is_rendered_and_escaped(client):
    token = form_of(client.get("/neu?art=mitteilung&amt=Bauamt").text)["_csrf"]
    page = client.post("/markdown", content="**fett** <script>x</script>".encode(),
                       headers={"content-type": "text/plain", "x-csrf-token": token})
    assert "<strong>fett</strong>" in page.text and "&lt;script&gt;" in page.text
    assert client.post("/markdown", content=b"x",
                       headers={"content-type": "text/plain"}).status_code == 403


def test_errors_are_german_pages_without_tracebacks(client, root, monkeypatch):
    missing = client.get("/gibt-es-nicht")
    assert missing.status_code == 404 and "Diese Seite gibt es nicht." in missing.text
    assert client.get("/vorschau/records/2023/nichtda.yaml").status_code == 404
    assert client.post("/neu", content=b"{}", headers={"content-type": "application/json"}
                       ).status_code == 415
    unknown = client.get("/neu?art=antrag&amt=Bauamt")
    assert unknown.status_code == 400 and "unknown kind 'antrag'" in text(unknown.text)

    def broken(*args, **kwargs):
        raise RuntimeError("die Platte ist voll")

    monkeypatch.setattr("notices.serve.catalog.make_catalog", broken)
    monkeypatch.setattr("notices.serve.desk.make_catalog", broken)
    client.app.app.state.desk._generation += 1
    page = client.get("/")
    assert page.status_code == 500
    assert "Etwas ist schiefgegangen: RuntimeError: die Platte ist voll" in page.text
    assert "Traceback" not in page.text


@pytest.mark.slow
def test_the_session_button_builds_its_documents(client):
    token = form_of(client.get("/").text, "/sitzung")["_csrf"]
    page = client.post("/sitzung", data={"_csrf": token, "committee": "Stadtentwicklungsausschuss",
                                         "date": "2023-04-25"})
    assert page.status_code == 200, text(page.text)
    for name in ("2023-04-25_stadtentwicklungsausschuss.pdf",
                 "2023-04-25_stadtentwicklungsausschuss_einladung.docx"):
        assert f'href="/ausgabe/sessions/{name}"' in page.text
    overview = client.get("/").text
    assert 'href="/ausgabe/sessions/2023-04-25_stadtentwicklungsausschuss.pdf"' in overview


def test_a_build_in_a_terminal_holds_the_preview_until_it_is_done(client, root):
    from notices.build.lock import OutputLock

    lock = OutputLock(root / "output")  # as `notices build` holds it while it runs
    try:
        page = client.get(f"/vorschau/{SEED}")
        assert page.status_code == 200
        assert "gerade ein anderer Build in output/" in page.text
        assert "another build is running on this output folder" in page.text
    finally:
        lock.release()
    page = client.get(f"/vorschau/{SEED}")
    assert "so wie notices build sie schreibt" in page.text
