"""Loading and validating records: exact text kept, every problem on one clear line."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import SEED, record_text
from notices.source.model import parse_date
from notices.source.records import load_record, load_workspace_records


def load(workspace, write_record, text, name="2023/x.yaml"):
    path = write_record(name, text)
    return load_record(workspace, path, known_kinds={"mitteilung"})


def messages(result) -> list[str]:
    return [p.format() for p in result.problems]


def test_seed_record_loads_with_exact_text(workspace, write_record):
    result = load(workspace, write_record, SEED)
    assert result.ok, messages(result)
    notice = result.notice
    assert notice.file_number == "600.22"
    assert notice.contact.phone == "0521 513224"
    assert notice.date == dt.date(2023, 4, 18)
    assert notice.session.public is True
    assert notice.session.agenda_item == "5.1"
    assert notice.office.genitive == "des Bauamtes"
    assert notice.output_stem == "2023/x"


@pytest.mark.parametrize("written, kept", [
    ("600.20", "600.20"), ("600.2", "600.2"), ("'600.10'", "600.10"), ("600", "600"),
    ("1e3", "1e3"), ("0x10", "0x10"), ("600.22-1", "600.22-1"),
])
def test_file_number_keeps_its_text(workspace, write_record, written, kept):
    result = load(workspace, write_record, record_text(file_number=written))
    assert result.notice.file_number == kept


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "ja", "nein", "null", "~"])
def test_words_that_yaml_11_would_convert_stay_text(workspace, write_record, word):
    result = load(workspace, write_record, record_text(signatory=word))
    if word in ("null", "~"):
        assert "records/2023/x.yaml:16: signatory: missing (the name after 'gez.')" in \
            messages(result)
    else:
        assert result.notice.signatory == word


@pytest.mark.parametrize("written, public", [
    ("true", True), ("True", True), ("ja", True), ("JA", True), ("öffentlich", True),
    ("Öffentlich", True), ("false", False), ("nein", False), ("nicht öffentlich", False),
    ("Nicht Öffentlich", False), ("nichtöffentlich", False), ("nicht  öffentlich", False),
])
def test_public_words(workspace, write_record, written, public):
    text = SEED.replace("  public: true", f"  public: {written}")
    assert load(workspace, write_record, text).notice.session.public is public


@pytest.mark.parametrize("text, expected", [
    ("18.04.2023", dt.date(2023, 4, 18)), ("2023-04-18", dt.date(2023, 4, 18)),
    ("8.4.2023", dt.date(2023, 4, 8)), ("31.02.2023", None), ("2023-02-30", None),
    ("18/04/2023", None), ("April 2023", None), ("29.02.2024", dt.date(2024, 2, 29)),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


ERRORS = [
    (SEED.replace("date: 18.04.2023", "date: 31.02.2023"),
     "records/2023/x.yaml:4: date: '31.02.2023' is not a valid date "
     "(expected DD.MM.YYYY or YYYY-MM-DD)"),
    (SEED.replace("  date: 20.04.2023", "  date: 20.13.2023"),
     "records/2023/x.yaml:10: session.date: '20.13.2023' is not a valid date "
     "(expected DD.MM.YYYY or YYYY-MM-DD)"),
    (SEED.replace("  public: true", "  public: vielleicht"),
     "records/2023/x.yaml:11: session.public: 'vielleicht' is not understood (expected "
     "true/false, ja/nein, yes/no, öffentlich/nicht öffentlich/nichtöffentlich)"),
    (SEED.replace("signatory:", "signatroy:"),
     "records/2023/x.yaml:16: signatroy: unknown field (did you mean 'signatory'?)"),
    (SEED.replace("signatory: Dodenhoff\n", ""),
     "records/2023/x.yaml: signatory: missing (the name after 'gez.')"),
    (SEED.replace("office: Bauamt", "office: Baumat"),
     "records/2023/x.yaml:2: office: unknown office 'Baumat' (did you mean 'Bauamt'? "
     "known: Bauamt); add it to notices.toml as [offices.Baumat] with number and genitive"),
    (SEED.replace("  phone: 0521 513224\n", ""),
     "records/2023/x.yaml:5: contact.phone: missing (the contact's phone number)"),
    (SEED + "subject: doppelt\n",
     "records/2023/x.yaml:17: subject: duplicate key (first given on line 13)"),
    (SEED.replace("contact:\n  name: Frau Bültmann\n  phone: 0521 513224",
                  "contact: Frau Bültmann"),
     "records/2023/x.yaml:5: contact: expected a mapping with fields, found the text "
     "'Frau Bültmann'"),
    (SEED.replace("subject: INSEK", "subject: [INSEK]\nx: INSEK"),
     "records/2023/x.yaml:13: subject: expected text, found a list"),
    (SEED.replace("kind: mitteilung", "kind: beschlussvorlage"),
     "records/2023/x.yaml:1: kind: unknown kind 'beschlussvorlage' (templates exist for: "
     "mitteilung)"),
    ("- a\n- b\n",
     "records/2023/x.yaml:1: expected a mapping of fields (office: …, date: …), found a list"),
    ("office: [Bauamt\n",
     "records/2023/x.yaml:2:1: invalid YAML: while parsing a flow sequence, expected ',' or "
     "']', but got '<stream end>'"),
    (SEED + "evil: !!python/object/apply:os.system ['true']\n",
     "records/2023/x.yaml:17: evil: the YAML tag "
     "'tag:yaml.org,2002:python/object/apply:os.system' is not allowed; remove it"),
    (SEED.replace("subject: INSEK", "subject: &s INSEK").replace("signatory: Dodenhoff",
                                                                    "signatory: *s"),
     "records/2023/x.yaml:16: signatory: YAML aliases (*name) are not supported; write the "
     "value out"),
    ("office:\tBauamt\n",
     "records/2023/x.yaml:1:8: invalid YAML: while scanning for the next token, found "
     "character '\\t' that cannot start any token (YAML needs spaces, not tabs: replace the "
     "tab with spaces)"),
    (SEED.replace("subject: INSEK Baumheide", "subject: Anlass: INSEK Baumheide"),
     "records/2023/x.yaml:13:16: invalid YAML: mapping values are not allowed here (a value "
     "that contains ': ' must be in quotes, e.g. subject: \"Anlass: Bericht\")"),
    ("", "records/2023/x.yaml: is empty (expected a record with the fields office, "
     "file_number, date, contact, session, subject, facts, signatory)"),
]


@pytest.mark.parametrize("text, expected", ERRORS)
def test_error_messages(workspace, write_record, text, expected):
    result = load(workspace, write_record, text)
    assert not result.ok
    assert expected in messages(result)


def test_all_problems_of_a_record_at_once(workspace, write_record):
    text = SEED.replace("date: 18.04.2023", "date: 31.02.2023").replace(
        "  public: true", "  public: kaum").replace("signatory:", "signatroy:")
    found = messages(load(workspace, write_record, text))
    assert any("date: '31.02.2023'" in m for m in found)
    assert any("session.public" in m for m in found)
    assert any("signatroy: unknown field" in m for m in found)
    assert any("signatory: missing" in m for m in found)


def test_warnings_do_not_stop_a_record(workspace, write_record):
    text = record_text(file_number="700.1", date="21.04.2023")
    result = load(workspace, write_record, text)
    assert result.ok
    assert messages(result) == [
        "records/2023/x.yaml:3: warning: file_number: '700.1' does not start with the "
        "office's number '600' (offices.Bauamt.number in notices.toml)",
        "records/2023/x.yaml:4: warning: date: the notice is dated 21.04.2023, after its "
        "session on 20.04.2023",
    ]


def test_file_number_prefix_must_end_at_a_separator(workspace, write_record):
    result = load(workspace, write_record, record_text(file_number="6001.2"))
    assert any("does not start with the office's number" in m for m in messages(result))


def test_markdown_record_with_front_matter(workspace, write_record):
    head, facts = SEED.split("facts: |\n")
    signatory = facts.split("\n", 1)[1]
    text = "---\n" + head + signatory + "---\nErster Absatz.\n\n- eins\n- zwei\n"
    result = load(workspace, write_record, text, name="2023/y.md")
    assert result.ok, messages(result)
    assert len(result.notice.facts.blocks) == 2


def test_markdown_record_without_front_matter(workspace, write_record):
    result = load(workspace, write_record, "# Nur Text\n", name="z.md")
    assert messages(result) == ["records/z.md:1: a Markdown record must begin with YAML "
                                "front matter between two '---' lines"]


def test_not_utf8_is_refused(workspace, write_record):
    result = load(workspace, write_record, SEED.encode("cp1252"))
    assert messages(result) == ["records/2023/x.yaml: is not UTF-8 text (byte 0xfc at line "
                                "6; perhaps Windows-1252): save it as UTF-8"]


def test_byte_order_mark_is_accepted(workspace, write_record):
    assert load(workspace, write_record, b"\xef\xbb\xbf" + SEED.encode()).ok


def test_control_characters_are_cleaned_with_a_warning(workspace, write_record):
    text = record_text(subject='"IN\\x00SEK Baumheide"')
    text = text.replace("Das Quartiersmanagement", "Das\x0bQuartiers\x07management")
    result = load(workspace, write_record, text)
    assert result.ok, messages(result)
    assert result.notice.subject.startswith("INSEK")
    found = messages(result)
    assert any("subject: removed or replaced characters that documents cannot hold (U+0000)"
               in m for m in found)
    assert any("facts: removed or replaced characters" in m and "U+0007" in m
               and "U+000B" in m for m in found)


def test_size_limit(workspace, write_record):
    big = SEED.replace("facts: |\n", "facts: |\n" + "  x\n" * 600_000)
    result = load(workspace, write_record, big)
    assert messages(result)[0].startswith("records/2023/x.yaml: is 2,")
    assert "more than the limit of 1,048,576 (raise limits.max_record_bytes in notices.toml)" \
        in messages(result)[0]


def test_billion_laughs_is_refused_quickly(workspace, write_record):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    result = load(workspace, write_record, "\n".join(lines) + "\n")
    assert not result.ok
    assert any("YAML aliases (*name) are not supported" in m for m in messages(result))


def test_two_records_with_one_output_are_both_refused(workspace, write_record):
    write_record("2023/x.yaml", SEED)
    write_record("2023/x.md", "---\noffice: Bauamt\n---\nText\n")
    results, _ = load_workspace_records(workspace)
    by_path = {r.path: messages(r) for r in results}
    assert ("records/2023/x.yaml: writes the same outputs (output/2023/x.*) as "
            "records/2023/x.md; rename or remove one") in by_path["records/2023/x.yaml"]
    assert any("as records/2023/x.yaml;" in m for m in by_path["records/2023/x.md"])


def test_records_whose_outputs_differ_only_in_case_are_refused(workspace, write_record):
    write_record("2023/Bericht.yaml", SEED)
    write_record("2023/bericht.yaml", SEED)
    results, _ = load_workspace_records(workspace)
    by_path = {r.path: messages(r) for r in results}
    assert ("records/2023/Bericht.yaml: writes outputs (output/2023/Bericht.*) whose names "
            "differ only in letter case from those of records/2023/bericht.yaml, which Windows "
            "and macOS take for the same files; rename or remove one"
            ) in by_path["records/2023/Bericht.yaml"]


def test_record_outside_records_is_refused(workspace, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(SEED)
    results, problems = load_workspace_records(workspace, [outside])
    assert results == []
    assert problems[0].message.startswith("is not inside records/")


def test_symlink_escaping_records_is_refused(workspace, workspace_dir, tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text(SEED)
    (workspace_dir / "records" / "link.yaml").symlink_to(outside)
    results, _ = load_workspace_records(workspace)
    link = [r for r in results if r.path == "records/link.yaml"][0]
    assert not link.ok
    assert "is not inside records/" in messages(link)[0]


def test_sessions_folder_is_reserved(workspace, write_record):
    write_record("sessions/2023.yaml", "committee: x\n")
    results, _ = load_workspace_records(workspace)
    assert all(not r.path.startswith("records/sessions/") for r in results)


def test_names_with_spaces_umlauts_and_dots(workspace, write_record):
    path = write_record("Gemeinde Süd/x v2.1.yaml", SEED)
    result = load_record(workspace, path, known_kinds={"mitteilung"})
    assert result.ok
    assert result.notice.output_stem == "Gemeinde Süd/x v2.1"


def test_direction_overrides_are_removed_with_a_warning(workspace, write_record):
    text = record_text(subject='"Rechnung \u202egnunhceR\u202c Ende"').replace(
        "Das Quartiersmanagement", "Das \u2066Quartiers\u2069management")
    result = load(workspace, write_record, text)
    assert result.ok, messages(result)
    assert result.notice.subject == "Rechnung gnunhceR Ende"
    found = messages(result)
    assert any(m.endswith("subject: removed text-direction controls (U+202C, U+202E) that "
                          "would show the text in another order than it was typed")
               for m in found), found
    assert any("facts: removed text-direction controls (U+2066, U+2069)" in m for m in found)


def test_kind_in_the_wrong_case_gets_a_hint(workspace, write_record):
    result = load(workspace, write_record, SEED.replace("kind: mitteilung", "kind: Mitteilung"))
    assert any(m.endswith("kind: unknown kind 'Mitteilung' (templates exist for: mitteilung); "
                          "did you mean 'mitteilung'? kinds are lower case")
               for m in messages(result)), messages(result)


def test_public_yes_and_no(workspace, write_record):
    for word, public in (("yes", True), ("no", False)):
        result = load(workspace, write_record, SEED.replace("public: true", f"public: {word}"))
        assert result.ok and result.notice.session.public is public, messages(result)
