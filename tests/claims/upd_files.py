"""UPD files for tests, written as accounting systems write them: format 5.01 (НомерСчФ/ДатаСчФ) or 5.03
(НомерДок/ДатаДок), in windows-1251 or UTF-8."""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import quoteattr


@dataclass
class Item:
    name: str
    article: str
    quantity: str
    price: str  # one unit without VAT, rubles
    net: str
    gross: str


@dataclass
class Upd:
    seller_inn: str
    number: str = "УПД-101"
    day: date = field(default_factory=date.today)
    customer_inn: str = "7707083893"
    customer_name: str = "ООО «Заказчик»"
    items: list[Item] = field(default_factory=lambda: [Item("Сплит-система 09", "SPL-09", "2", "40833.33",
                                                            "81666.67", "98000.00")])
    version: str = "5.01"
    encoding: str = "windows-1251"
    function: str = "СЧФДОП"
    file_prefix: str = "ON_NSCHFDOPPR"
    revision: bool = False
    sole_trader_customer: bool = False
    head: str = ""  # anything to put before the root element (a DTD, say)

    def xml(self) -> str:
        a = quoteattr
        number_attrs = (f"НомерДок={a(self.number)} ДатаДок={a(self.day.strftime('%d.%m.%Y'))}"
                        if self.version == "5.03" else
                        f"НомерСчФ={a(self.number)} ДатаСчФ={a(self.day.strftime('%d.%m.%Y'))}")
        if self.revision:
            revision = ('<ИспрДок НомИспр="1" ДатаИспр="01.01.2026"/>' if self.version == "5.03"
                        else '<ИспрСчФ НомИспрСчФ="1" ДатаИспрСчФ="01.01.2026"/>')
        else:
            revision = "" if self.version == "5.03" else '<ИспрСчФ ДефНомИспрСчФ="-" ДефДатаИспрСчФ="-"/>'
        customer = (f'<СвИП ИННФЛ={a(self.customer_inn)}><ФИО Фамилия="Петров" Имя="Пётр"/></СвИП>'
                    if self.sole_trader_customer else
                    f'<СвЮЛУч НаимОрг={a(self.customer_name)} ИННЮЛ={a(self.customer_inn)} КПП="770701001"/>')
        rows = "".join(
            f'<СведТов НомСтр="{n}" НаимТов={a(i.name)} ОКЕИ_Тов="796" КолТов={a(i.quantity)} ЦенаТов={a(i.price)} '
            f'СтТовБезНДС={a(i.net)} НалСт="20%" СтТовУчНал={a(i.gross)}><Акциз><БезАкциз>без акциза</БезАкциз>'
            f'</Акциз><СумНал><СумНал>0.00</СумНал></СумНал><ДопСведТов ПрТовРаб="1"'
            + (f' КодТов={a(i.article)}' if i.article else "") + ' НаимЕдИзм="шт"/></СведТов>'
            for n, i in enumerate(self.items, start=1))
        net = sum(float(i.net) for i in self.items)
        gross = sum(float(i.gross) for i in self.items)
        return (
            f'<?xml version="1.0" encoding="{self.encoding}"?>\n{self.head}'
            f'<Файл ИдФайл="{self.file_prefix}_2BM-{self.seller_inn}_2BM-{self.customer_inn}_20261201_0001" '
            f'ВерсФорм="{self.version}" ВерсПрог="1С:Бухгалтерия 3.0">'
            f'<Документ КНД="1115131" Функция={a(self.function)} ДатаИнфПр="01.12.2026" ВремИнфПр="12.00.00" '
            f'НаимЭконСубСост="ООО «Продавец»">'
            f'<СвСчФакт {number_attrs} КодОКВ="643">{revision}'
            f'<СвПрод><ИдСв><СвЮЛУч НаимОрг="ООО «Продавец»" ИННЮЛ={a(self.seller_inn)} КПП="770101001"/></ИдСв>'
            f'<Адрес><АдрРФ КодРегион="77"/></Адрес></СвПрод>'
            f'<СвПокуп><ИдСв>{customer}</ИдСв></СвПокуп></СвСчФакт>'
            f'<ТаблСчФакт>{rows}<ВсегоОпл СтТовБезНДСВсего="{net:.2f}" СтТовУчНалВсего="{gross:.2f}">'
            f'<СумНалВсего><СумНал>{gross - net:.2f}</СумНал></СумНалВсего></ВсегоОпл></ТаблСчФакт>'
            f'</Документ></Файл>'
        )

    def bytes(self) -> bytes:
        return self.xml().encode("cp1251" if self.encoding == "windows-1251" else "utf-8")


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b']>\n<\xd0\xa4\xd0\xb0\xd0\xb9\xd0\xbb>&lol9;</\xd0\xa4\xd0\xb0\xd0\xb9\xd0\xbb>'
)
EXTERNAL_ENTITY = (b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE f [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   b'<f>&xxe;</f>')
