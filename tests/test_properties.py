"""Property-based: whatever a record holds, it renders faithfully or fails cleanly."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED, docx_text, pdf_text, words
from notices.build.task import RenderSetup, RenderTask, Renderers
from notices.template_set import TemplateSet
from notices.errors import Problem

# Mostly ordinary German text, sometimes anything Unicode has (controls, surrogates,
# emoji, right-to-left, combining marks), and Markdown syntax.
GERMAN = string.ascii_letters + "äöüÄÖÜß0123456789 .,;:-–„“()§€*_"
MARKDOWN_BITS = ["**", "*", "_", "`", "# ", "- ", "1. ", "> ", "| a | b |\n|---|---|\n| 1 | 2 |",
                 "[x](https://example.org)", "![x](bild.png)", "<b>", "{{ x }}", "{% if %}",
                 "\u00ad", "\u200b", "\u00a0", "\n\n", "\\", "&amp;", "Bewohner*innen"]
text = st.one_of(
    st.text(alphabet=GERMAN, min_size=1, max_size=60),
    st.text(min_size=1, max_size=40),
    st.lists(st.one_of(st.sampled_from(MARKDOWN_BITS), st.text(alphabet=GERMAN, max_size=15)),
             min_size=1, max_size=8).map("".join),
)


def yaml_quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    out = []
    for char in escaped:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or \
                code in (0xFFFE, 0xFFFF):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    from notices.workspace import open_workspace
    from notices.scaffold import init_workspace

    root = tmp_path_factory.mktemp("prop") / "ws"
    init_workspace(root)
    workspace = open_workspace(root)
    templates = TemplateSet.read(workspace.templates_dir)
    return Renderers(RenderSetup(templates, workspace.settings, "pdf/a-2a", ("docx", "pdf"),
                                 workspace.root))


@pytest.mark.slow
@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(subject=text, facts=text, signatory=text, committee=text)
def test_any_record_renders_or_fails_cleanly(session, tmp_path_factory, subject, facts,
                                             signatory, committee):
    record = SEED.replace(
        "subject: INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide",
        f"subject: {yaml_quote(subject)}").replace(
        "signatory: Dodenhoff", f"signatory: {yaml_quote(signatory)}").replace(
        "  committee: Bezirksvertretung Heepen", f"  committee: {yaml_quote(committee)}").replace(
        "facts: |\n  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n",
        f"facts: {yaml_quote(facts)}\n")
    data = record.encode("utf-8", errors="surrogatepass")
    outcome = session.run(RenderTask("records/prop.yaml", "prop", data, ("docx", "pdf")))
    problems = outcome.problems
    assert all(isinstance(p, Problem) and "\n" not in p.format() for p in problems)
    if any(p.is_error for p in problems):
        assert outcome.outputs == {}
        assert all(p.path == "records/prop.yaml" or p.path.startswith("templates/")
                   for p in problems)
        return
    out = tmp_path_factory.mktemp("out")
    (out / "x.pdf").write_bytes(outcome.outputs["pdf"])
    (out / "x.docx").write_bytes(outcome.outputs["docx"])
    pdf_words = set(words(unicodedata.normalize("NFC", pdf_text(out / "x.pdf"))))
    docx_words = set(words(unicodedata.normalize("NFC", docx_text(out / "x.docx"))))
    # Every plain word of the single-line fields reaches both documents.
    for value in (subject, signatory):
        for word in words(unicodedata.normalize("NFC", value)):
            if word.isalnum() and word.isascii():
                assert any(word in w for w in pdf_words), (word, "pdf")
                assert any(word in w for w in docx_words), (word, "docx")
