"""Check an xdomea 0503 message the way the archive would: the container, the vendored
xdomea 3.0.0 XSD (tests/schemas/xdomea-3.0.0, offline, with xmlschema and with lxml),
and the rules the XSD leaves open (message type, format codes from the code list,
unique record IDs, every primary file present and every file referenced, PDFs that
are PDFs). Returns one message per problem; an empty list means the message is valid.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from functools import lru_cache
from pathlib import Path

from notices.export.xdomea.elements import MESSAGE_SUFFIX, XDOMEA_NS

UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
MESSAGE_XSD = "xdomea-Nachrichten-AussonderungDurchfuehren.xsd"


@lru_cache(maxsize=4)
def _schemas(xsd_dir: str):
    """Compile the 0503 schema offline: xmlschema refuses remote URLs, lxml gets no network."""
    import xmlschema

    validators = {"xmlschema": xmlschema.XMLSchema(str(Path(xsd_dir) / MESSAGE_XSD), allow="local")}
    try:
        from lxml import etree
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        validators["lxml"] = etree.XMLSchema(etree.parse(str(Path(xsd_dir) / MESSAGE_XSD), parser))
    except ImportError:  # lxml is optional: xmlschema alone is a full validator
        pass
    return validators


@lru_cache(maxsize=4)
def _dateiformat_codes(xsd_dir: str) -> frozenset[str]:
    root = ET.parse(Path(xsd_dir) / "code_lists" / "Dateiformat_1.0.xml").getroot()
    return frozenset(row.findtext("./Value[@ColumnRef='code']/SimpleValue")
                     or row.findtext("./Value[@ColumnRef='Code']/SimpleValue")
                     for row in root.iter("Row"))


def _xsd_errors(data: bytes, xsd_dir: Path) -> list[str]:
    import io

    problems = []
    for name, schema in _schemas(str(xsd_dir)).items():
        if name == "xmlschema":
            import xmlschema
            resource = xmlschema.XMLResource(io.BytesIO(data), allow="local")
            problems += [f"xmlschema: {e.path}: {e.reason}"
                         for e in schema.iter_errors(resource, use_location_hints=False)]
        else:
            from lxml import etree
            document = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
            if not schema.validate(document):
                problems += [f"lxml: line {e.line}: {e.message}" for e in schema.error_log]
    return problems


def validate_xdomea(zip_path: Path | str, xsd_dir: Path | str) -> list[str]:
    """Check a 0503 transport container; return problems as lines (empty = valid).

    * container: name ``<ProzessID>_Aussonderung.Aussonderung.0503.zip``, exactly one
      ``<ProzessID>_Aussonderung.Aussonderung.0503.xml`` with the same ProzessID in
      ``Kopf/ProzessID``, no directories;
    * XSD validation against the vendored xdomea 3.0.0 schema, offline (xmlschema, and
      lxml when installed);
    * rules the XSD leaves open: ``Nachrichtentyp`` is 0503; ``Format/Name`` codes are
      in code list Dateiformat 1.0; Schriftgutobjekt IDs are unique;
    * every ``Primaerdokument/Dateiname`` is in the zip and every other zip entry is
      referenced; a PDF primary file starts with ``%PDF-``.
    """
    zip_path, xsd_dir = Path(zip_path), Path(xsd_dir)
    problems: list[str] = []
    match = re.fullmatch(f"({UUID_RE}){re.escape(MESSAGE_SUFFIX)}\\.zip", zip_path.name)
    if not match:
        problems.append(f"zip name {zip_path.name!r} is not <ProzessID>{MESSAGE_SUFFIX}.zip")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as error:
        return problems + [f"not a readable zip: {error}"]
    with archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    if len(set(names)) != len(names):
        problems.append("duplicate entries in the zip")
    problems += [f"zip entry {n!r} is in a directory" for n in names if "/" in n or "\\" in n]
    xml_names = [n for n in names if n.endswith(f"{MESSAGE_SUFFIX}.xml")]
    if len(xml_names) != 1:
        return problems + [f"expected one *{MESSAGE_SUFFIX}.xml in the zip, found {xml_names}"]
    xml_name = xml_names[0]
    if match and xml_name != f"{match.group(1)}{MESSAGE_SUFFIX}.xml":
        problems.append(f"message {xml_name!r} does not carry the zip's ProzessID")
    data = contents[xml_name]
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        return problems + [f"{xml_name}: not well-formed: {error}"]

    problems += _xsd_errors(data, xsd_dir)

    ns = {"x": XDOMEA_NS}
    process_id = root.findtext("x:Kopf/x:ProzessID", namespaces=ns)
    if match and process_id != match.group(1):
        problems.append(f"Kopf/ProzessID {process_id!r} differs from the zip name")
    message_type = root.findtext("x:Kopf/x:Nachrichtentyp/code", namespaces=ns)
    if message_type != "0503":
        problems.append(f"Kopf/Nachrichtentyp/code is {message_type!r}, expected 0503")
    codes = _dateiformat_codes(str(xsd_dir))
    for element in root.iterfind(".//x:Format/x:Name/code", ns):
        if element.text not in codes:
            problems.append(f"Format/Name code {element.text!r} is not in Dateiformat 1.0")
    ids = [e.text for tag in ("Akte", "Vorgang", "Dokument", "Anlage")
           for e in root.iterfind(f".//x:{tag}/x:Identifikation/x:ID", ns)]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"Schriftgutobjekt ID {duplicate} is used more than once")

    referenced = set()
    for fmt in root.iterfind(".//x:Format", ns):
        name = fmt.findtext("x:Primaerdokument/x:Dateiname", namespaces=ns)
        referenced.add(name)
        if name not in contents:
            problems.append(f"Primaerdokument {name!r} is not in the zip")
        elif fmt.findtext("x:Name/code", namespaces=ns) in ("018", "044") \
                and not contents[name].startswith(b"%PDF-"):
            problems.append(f"Primaerdokument {name!r} is coded as PDF but is no PDF")
    for name in sorted(set(names) - referenced - {xml_name}):
        problems.append(f"zip entry {name!r} is referenced by no Primaerdokument")
    return problems
