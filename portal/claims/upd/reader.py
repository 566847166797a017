"""Reading a UPD (the tax service's e-invoice, files ON_NSCHFDOPPR, format versions 5.01 and 5.03) into plain data.

Pure parsing, no database. The file comes from outside, so it is read defensively: its size is capped before
parsing, a DTD (the door to entity bombs and external entities) is refused before the parser sees the file,
and the parser itself resolves no entities, loads nothing from the network and keeps libxml2's size limits.
A ZIP of UPDs is opened by its directory: the number of files and their sizes are checked before anything is
read, and every read is capped (a ZIP's own numbers may lie).
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from lxml import etree

from portal.core.errors import DomainError
from portal.core.inn import is_valid_inn, normalize_inn

MAX_UPD_BYTES = 5 * 1024 * 1024  # a UPD of a thousand lines is well under 1 MB
MAX_ZIP_FILES = 200
MAX_ZIP_TOTAL_BYTES = 50 * 1024 * 1024  # uncompressed, all files together
MAX_LINES = 1000
VERSIONS = ("5.01", "5.03")
ENCODINGS = {"windows-1251": "cp1251", "cp1251": "cp1251", "utf-8": "utf-8", "utf8": "utf-8"}
CORRECTION_FUNCTIONS = ("КСЧФ", "ДИС", "КСЧФДИС")
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class UpdError(DomainError):
    """A file that is not a UPD the portal can read, with the reason in words."""

    def __init__(self, message):
        super().__init__(message, field="file")


@dataclass(frozen=True)
class UpdLine:
    number: int
    name: str
    article: str  # the seller's own code of the goods ("" when the file has none)
    quantity: Decimal
    price_kopecks: int | None  # one unit without VAT (ЦенаТов)
    net_kopecks: int | None  # the line without VAT (СтТовБезНДС)
    gross_kopecks: int | None  # the line with VAT (СтТовУчНал)

    @property
    def unit_gross_kopecks(self) -> int | None:
        """One unit with VAT, as claims record prices; the price without VAT when the file has no total."""
        if self.gross_kopecks is not None and self.quantity:
            return int((Decimal(self.gross_kopecks) / self.quantity).to_integral_value(ROUND_HALF_UP))
        return self.price_kopecks


@dataclass(frozen=True)
class UpdDocument:
    version: str
    function: str
    number: str
    date: date
    seller_inn: str
    seller_name: str
    customer_inn: str
    customer_name: str
    lines: tuple[UpdLine, ...]
    total_net_kopecks: int | None = None
    total_gross_kopecks: int | None = None
    file_id: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def total_kopecks(self) -> int:
        if self.total_gross_kopecks is not None:
            return self.total_gross_kopecks
        return sum(line.gross_kopecks or 0 for line in self.lines)


# --- one file --------------------------------------------------------------------------------------


def _decoded_check(content: bytes) -> None:
    """Refuse what the parser should never see: oversize files, DTDs, encodings other than the two UPDs use."""
    if len(content) > MAX_UPD_BYTES:
        raise UpdError(_l("The UPD file is larger than %(n)s MB.", n=MAX_UPD_BYTES // (1024 * 1024)))
    if not content.strip():
        raise UpdError(_l("The file is empty."))
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:200]:
        raise UpdError(_l("The UPD must be in windows-1251 or UTF-8."))
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        # A UPD never has a DTD; one is how entity bombs and external entities get in.
        raise UpdError(_l("The file declares a DTD or entities: a UPD never does, so it is not read."))
    match = _DECLARATION.match(content.removeprefix(b"\xef\xbb\xbf"))
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    codec = ENCODINGS.get(declared)
    if codec is None:
        raise UpdError(_l("The UPD must be in windows-1251 or UTF-8, not %(encoding)s.", encoding=declared))
    try:
        content.decode(codec)
    except UnicodeDecodeError as exc:
        raise UpdError(_l("The file is not in the encoding it declares (%(encoding)s).", encoding=declared)) from exc


def _parse(content: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise UpdError(_l("The file is not well-formed XML: %(error)s", error=str(exc)[:200])) from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise UpdError(_l("The file declares a DTD or entities: a UPD never does, so it is not read."))
    return root


def _money(value: str | None, what) -> int | None:
    if value is None or value.strip() in ("", "-"):
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation as exc:
        raise UpdError(_l("%(what)s is not a number: %(value)s.", what=what, value=value[:40])) from exc
    if not amount.is_finite() or abs(amount) > Decimal(10) ** 12:
        raise UpdError(_l("%(what)s is not a number: %(value)s.", what=what, value=value[:40]))
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def _party(element) -> tuple[str, str]:
    """(INN, name) of a seller or customer: a company (СвЮЛУч) or a sole trader (СвИП)."""
    if element is None:
        return "", ""
    company = element.find("ИдСв/СвЮЛУч")
    if company is not None:
        return normalize_inn(company.get("ИННЮЛ")), (company.get("НаимОрг") or "").strip()
    trader = element.find("ИдСв/СвИП")
    if trader is not None:
        fio = trader.find("ФИО")
        name = " ".join(filter(None, (fio.get(k) for k in ("Фамилия", "Имя", "Отчество")))) if fio is not None else ""
        return normalize_inn(trader.get("ИННФЛ")), (str(_l("Sole trader %(name)s", name=name)) if name else "")
    return "", ""


def _line(item, index: int) -> UpdLine:
    number = int(item.get("НомСтр")) if (item.get("НомСтр") or "").isdigit() else index
    name = " ".join((item.get("НаимТов") or "").split())[:300]
    extra = item.find("ДопСведТов")
    article = ((extra.get("КодТов") or extra.get("АртикулТов")) if extra is not None else None) or item.get("КодТов")
    raw_quantity = (item.get("КолТов") or "").strip()
    try:
        quantity = Decimal(raw_quantity)
    except InvalidOperation:
        quantity = None
    if quantity is None or not quantity.is_finite():
        raise UpdError(_l("Line %(n)s of the UPD has no quantity.", n=number))
    if quantity <= 0:
        raise UpdError(_l("Line %(n)s of the UPD has a quantity of %(q)s: only positive quantities are claimed "
                          "(a return is a correction document).", n=number, q=raw_quantity))
    line = UpdLine(number=number, name=name, article=" ".join((article or "").split())[:100], quantity=quantity,
                   price_kopecks=_money(item.get("ЦенаТов"), _l("The price on line %(n)s", n=number)),
                   net_kopecks=_money(item.get("СтТовБезНДС"), _l("The sum on line %(n)s", n=number)),
                   gross_kopecks=_money(item.get("СтТовУчНал"), _l("The sum on line %(n)s", n=number)))
    if any(v is not None and v < 0 for v in (line.price_kopecks, line.net_kopecks, line.gross_kopecks)):
        raise UpdError(_l("Line %(n)s of the UPD has a negative price or sum.", n=number))
    return line


def _date(text: str | None) -> date:
    try:
        return datetime.strptime((text or "").strip(), "%d.%m.%Y").date()
    except ValueError as exc:
        raise UpdError(_l("The UPD's date is missing or not a date: %(value)s.", value=(text or "")[:20])) from exc


def read_upd(content: bytes) -> UpdDocument:
    """The UPD in `content` as data; UpdError (translated) when it is not one the portal reads."""
    _decoded_check(content)
    root = _parse(content)
    file_id = root.get("ИдФайл") or ""
    document = root.find("Документ")
    function = (document.get("Функция") or "").strip() if document is not None else ""
    if (file_id.startswith("ON_NKORSCHFDOPPR") or function in CORRECTION_FUNCTIONS
            or (document is not None and document.find("СвКСчФ") is not None)):
        raise UpdError(_l("This is a correction document (UKD): claim the corrected sale by its UPD, and tell the "
                          "program team about the correction."))
    if root.tag != "Файл" or document is None or document.find("СвСчФакт") is None:
        raise UpdError(_l("This XML is not a UPD (an ON_NSCHFDOPPR file of the tax service's format)."))
    version = (root.get("ВерсФорм") or "").strip()
    if version not in VERSIONS:
        raise UpdError(_l("UPD format version %(version)s is not supported: the portal reads 5.01 and 5.03.",
                          version=version[:10] or "?"))
    head = document.find("СвСчФакт")
    revision = head.find("ИспрСчФ")
    revision_5_03 = head.find("ИспрДок")
    if (revision is not None and revision.get("НомИспрСчФ")) or (revision_5_03 is not None
                                                                and revision_5_03.get("НомИспр")):
        raise UpdError(_l("This is a revised UPD (ИспрСчФ): the portal takes the original UPD only; tell the "
                          "program team about the revision."))
    number = " ".join((head.get("НомерДок") or head.get("НомерСчФ") or "").split())
    if not number:
        raise UpdError(_l("The UPD has no document number."))
    doc_date = _date(head.get("ДатаДок") or head.get("ДатаСчФ"))
    seller_inn, seller_name = _party(head.find("СвПрод"))
    if not is_valid_inn(seller_inn):
        raise UpdError(_l("The UPD's seller has no valid INN."))
    customer_inn, customer_name = _party(head.find("СвПокуп"))
    if customer_inn and not is_valid_inn(customer_inn):
        raise UpdError(_l("The UPD's customer INN is not valid: %(inn)s.", inn=customer_inn[:20]))
    table = document.find("ТаблСчФакт")
    items = table.findall("СведТов") if table is not None else []
    if not items:
        raise UpdError(_l("The UPD has no lines of goods."))
    if len(items) > MAX_LINES:
        raise UpdError(_l("The UPD has more than %(n)s lines.", n=MAX_LINES))
    lines = tuple(_line(item, index) for index, item in enumerate(items, start=1))
    totals = table.find("ВсегоОпл")
    return UpdDocument(
        version=version, function=function, number=number[:64], date=doc_date, seller_inn=seller_inn,
        seller_name=seller_name[:200], customer_inn=customer_inn, customer_name=customer_name[:200], lines=lines,
        total_net_kopecks=_money(totals.get("СтТовБезНДСВсего"), _l("The total")) if totals is not None else None,
        total_gross_kopecks=_money(totals.get("СтТовУчНалВсего"), _l("The total")) if totals is not None else None,
        file_id=file_id[:200],
    )


def looks_like_xml(content: bytes) -> bool:
    return content.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


# --- a file or a ZIP of them -----------------------------------------------------------------------


@dataclass
class Entry:
    """One document of an upload: its name, its bytes and what it says, or why it cannot be read."""

    name: str
    content: bytes = b""
    document: UpdDocument | None = None
    error: DomainError | None = None


def read_upload(filename: str, content: bytes) -> list[Entry]:
    """The UPDs of one upload: an XML file, or a ZIP of them. A broken ZIP as a whole raises UpdError;
    each document that cannot be read comes back with its error."""
    if not content:
        raise UpdError(_l("The file is empty."))
    if content.startswith(b"PK"):
        return _read_zip(content)
    if not looks_like_xml(content):
        raise UpdError(_l("Upload the UPD as an XML file (or a ZIP of them)."))
    return [_entry(filename or "upd.xml", content)]


def _entry(name: str, content: bytes) -> Entry:
    try:
        return Entry(name, content, read_upd(content))
    except UpdError as exc:
        return Entry(name, content, error=exc)


def _read_zip(content: bytes) -> list[Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UpdError(_l("The ZIP file cannot be opened.")) from exc
    if not infos:
        raise UpdError(_l("The ZIP file holds no UPD."))
    if len(infos) > MAX_ZIP_FILES:
        raise UpdError(_l("The ZIP file holds %(count)s files: at most %(n)s UPDs at a time.",
                          count=len(infos), n=MAX_ZIP_FILES))
    if sum(info.file_size for info in infos) > MAX_ZIP_TOTAL_BYTES:
        raise UpdError(_l("The ZIP file unpacks to more than %(n)s MB.", n=MAX_ZIP_TOTAL_BYTES // (1024 * 1024)))
    entries, total = [], 0
    for info in infos:
        name = info.filename.rsplit("/", 1)[-1][:200]
        if not name.lower().endswith(".xml"):
            entries.append(Entry(name, error=UpdError(_l("Not an XML file: a ZIP may hold UPD files only."))))
            continue
        if info.flag_bits & 0x1:
            entries.append(Entry(name, error=UpdError(_l("The file is encrypted."))))
            continue
        if info.file_size > MAX_UPD_BYTES:
            entries.append(Entry(name, error=UpdError(_l("The UPD file is larger than %(n)s MB.",
                                                         n=MAX_UPD_BYTES // (1024 * 1024)))))
            continue
        try:
            with archive.open(info) as member:
                data = member.read(MAX_UPD_BYTES + 1)  # the directory's size may lie: never read past the cap
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            entries.append(Entry(name, error=UpdError(_l("The file cannot be unpacked."))))
            continue
        total += len(data)
        if len(data) > MAX_UPD_BYTES or total > MAX_ZIP_TOTAL_BYTES:
            entries.append(Entry(name, error=UpdError(_l("The UPD file is larger than %(n)s MB.",
                                                         n=MAX_UPD_BYTES // (1024 * 1024)))))
            continue
        entries.append(_entry(name, data))
    return entries
