"""The UPD reader: both format versions, both encodings, and every kind of bad file refused in words."""

import zipfile
from datetime import date
from decimal import Decimal

import pytest

from portal.claims.upd import reader
from portal.claims.upd.reader import UpdError, read_upd, read_upload
from tests.claims.upd_files import BILLION_LAUGHS, EXTERNAL_ENTITY, Item, Upd, zipped

SELLER = "7701234560"


@pytest.mark.parametrize("version", ["5.01", "5.03"])
@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_reads_number_date_parties_lines_and_totals(db, version, encoding):
    upd = Upd(SELLER, number="УПД-7", day=date(2026, 11, 30), version=version, encoding=encoding,
              items=[Item("Сплит-система «Север» 09", "SPL-09", "2", "40833.33", "81666.67", "98000.00"),
                     Item("Труба медная", "", "3", "833.33", "2500.00", "3000.00")])
    document = read_upd(upd.bytes())
    assert (document.version, document.number, document.date) == (version, "УПД-7", date(2026, 11, 30))
    assert (document.seller_inn, document.seller_name) == (SELLER, "ООО «Продавец»")
    assert (document.customer_inn, document.customer_name) == ("7707083893", "ООО «Заказчик»")
    first, second = document.lines
    assert (first.name, first.article, first.quantity) == ("Сплит-система «Север» 09", "SPL-09", Decimal(2))
    assert (first.price_kopecks, first.net_kopecks, first.gross_kopecks) == (4_083_333, 8_166_667, 9_800_000)
    assert first.unit_gross_kopecks == 4_900_000
    assert second.article == ""
    assert (document.total_net_kopecks, document.total_gross_kopecks) == (8_416_667, 10_100_000)


def test_a_sole_trader_customer_is_read_by_personal_inn(db):
    document = read_upd(Upd(SELLER, customer_inn="500100732259", sole_trader_customer=True).bytes())
    assert document.customer_inn == "500100732259"
    assert "Петров" in document.customer_name


def _refused(content: bytes, words: str):
    with pytest.raises(UpdError) as error:
        read_upd(content)
    assert words in str(error.value.message)
    return error.value


@pytest.mark.parametrize(("upd", "words"), [
    (Upd(SELLER, file_prefix="ON_NKORSCHFDOPPR", function="КСЧФ"), "корректировочный"),
    (Upd(SELLER, function="КСЧФДИС"), "корректировочный"),
    (Upd(SELLER, revision=True), "исправленный"),
    (Upd(SELLER, version="5.03", revision=True), "исправленный"),
    (Upd(SELLER, version="5.02"), "5.02"),
    (Upd(SELLER, items=[Item("Товар", "SPL-09", "-2", "100", "-200", "-240")]), "-2"),
    (Upd(SELLER, items=[Item("Товар", "SPL-09", "0", "100", "0", "0")]), "Строка 1"),
    (Upd(SELLER, items=[Item("Товар", "SPL-09", "1", "-100", "-100", "-120")]), "отрицательн"),
    (Upd(SELLER, items=[Item("Товар", "SPL-09", "1", "abc", "100", "120")]), "не число"),
    (Upd(SELLER, items=[]), "нет строк"),
    (Upd("1234567890"), "ИНН"),
])
def test_documents_the_portal_does_not_take_are_refused_in_words(db, upd, words):
    _refused(upd.bytes(), words)


@pytest.mark.parametrize(("content", "words"), [
    (b"<?xml version='1.0'?><\xd0\xa4\xd0\xb0\xd0\xb9\xd0\xbb><unclosed>", "XML"),
    (BILLION_LAUGHS, "DTD"),
    (EXTERNAL_ENTITY, "DTD"),
    (b'<?xml version="1.0" encoding="koi8-r"?><a/>', "koi8-r"),
    (Upd(SELLER).xml().encode("cp1251").replace(b'encoding="windows-1251"', b'encoding="utf-8"'), "utf-8"),
    ('<?xml version="1.0" encoding="utf-16"?><a/>'.encode("utf-16"), "windows-1251"),
    (b'<?xml version="1.0" encoding="utf-8"?><other/>', "не УПД"),
    (b"   ", "пуст"),
])
def test_bad_xml_is_refused_before_or_by_a_hardened_parser(db, content, words):
    _refused(content, words)


def test_an_oversize_file_is_refused_before_parsing(db, monkeypatch):
    def never(content):
        raise AssertionError("parsed")

    monkeypatch.setattr(reader, "_parse", never)
    _refused(b"<" + b"a" * (reader.MAX_UPD_BYTES + 1), "больше")


def test_a_zip_gives_each_document_or_its_error(db):
    good = Upd(SELLER, number="1").bytes()
    other = Upd(SELLER, number="2", version="5.03", encoding="utf-8").bytes()
    entries = read_upload("pack.zip", zipped({"a.xml": good, "dir/b.xml": other, "c.xml": b"<broken",
                                              "readme.txt": b"hi"}))
    assert [e.name for e in entries] == ["a.xml", "b.xml", "c.xml", "readme.txt"]
    assert [e.document.number if e.document else None for e in entries] == ["1", "2", None, None]
    assert "XML" in str(entries[2].error.message) and "XML" in str(entries[3].error.message)


def test_a_zip_of_too_many_files_is_refused_by_its_directory(db):
    content = zipped({f"{n}.xml": b"<a/>" for n in range(reader.MAX_ZIP_FILES + 1)})
    with pytest.raises(UpdError, match=str(reader.MAX_ZIP_FILES)):
        read_upload("many.zip", content)


def test_a_zip_bomb_is_refused_by_sizes_and_capped_reads(db, monkeypatch):
    bomb = zipped({"bomb.xml": b"<" + b" " * (reader.MAX_UPD_BYTES + 10)})
    assert len(bomb) < 100_000
    [entry] = read_upload("bomb.zip", bomb)
    assert "больше" in str(entry.error.message)
    # A directory that lies about the size: the read stops at the size it claims, and the file fails its check.
    listed = zipfile.ZipFile.infolist

    def lying(archive):
        infos = listed(archive)
        for info in infos:
            info.file_size = 10
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying)
    [entry] = read_upload("bomb.zip", bomb)
    assert entry.document is None and "распаковывается" in str(entry.error.message)


def test_a_zip_that_unpacks_to_too_much_is_refused_whole(db):
    files = {f"{n}.xml": b"<" + b" " * (reader.MAX_UPD_BYTES - 10) for n in range(11)}
    with pytest.raises(UpdError, match="50"):
        read_upload("big.zip", zipped(files))


def test_not_xml_nor_zip_is_refused(db):
    with pytest.raises(UpdError, match="XML"):
        read_upload("scan.pdf", b"%PDF-1.4")
    with pytest.raises(UpdError, match="ZIP"):
        read_upload("broken.zip", b"PK\x03\x04garbage")
