import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw

from portal.claims import services as claims
from portal.claims.scans import store_scan
from portal.core.time import today


def invoice_image(seed: int, size=(600, 800), fmt="PNG", scale=1.0) -> bytes:
    """A made-up invoice scan: blocks of "text" in a layout of its own (seed); scale < 1 rescans it smaller."""
    rng = random.Random(seed)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(0, size[0] - 200), rng.randrange(0, size[1] - 40)
        draw.rectangle((x, y, x + rng.randrange(40, 200), y + rng.randrange(8, 40)), fill=rng.randrange(0, 120))
    if scale != 1.0:
        image = image.resize((int(size[0] * scale), int(size[1] * scale)))
    out = io.BytesIO()
    image.save(out, fmt, quality=80) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def submit(user, *, number="СЧ-1", days_ago=3, lines=None, scan: bytes | None = None, customer_inn="",
           invoice_date=None, filename="invoice.png"):
    data = claims.ClaimData(
        invoice_number=number, invoice_date=invoice_date or today() - timedelta(days=days_ago),
        customer_name="ООО «Покупатель»", customer_inn=customer_inn,
        lines=lines or [claims.LineData("SPL-09", 2, 4_900_000)],
    )
    stored = store_scan(filename, scan) if scan is not None else None
    claim = claims.save_draft(user, data, scan=stored)
    if stored is not None:
        claims.submit_claim(claim, user)
    return claim


def invoice_pdf(lines: list[str], *, image_only: bool = False) -> bytes:
    """A one-page PDF whose text is `lines` (Helvetica, so pypdf reads it back), written by hand; `image_only`: a
    page with a drawn picture and no text, as a scanner makes."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    if image_only:
        content = "0.2 g 50 700 200 40 re f 0.6 g 80 600 300 20 re f"
    else:
        content = "BT /F1 11 Tf 14 TL 50 780 Td " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def invoice_text(*, seller="OOO Klimat-Service", seller_inn="7707083893", number="SCH-1", day="05.11.2026",
                 customer="OOO Pokupatel", customer_inn="7728168971", lines=(("SPL-09", "Split system 09", 2, 49000),
                                                                             ("SPL-12", "Split system 12", 1, 93000)),
                 extra: tuple[str, ...] = ()) -> list[str]:
    """An invoice's lines of text: who sells to whom, its number and date, its goods and sums."""
    total = sum(quantity * price for _, _, quantity, price in lines)
    return [f"Invoice No {number} of {day}", f"Seller: {seller}, INN {seller_inn}, Moscow, Lenina street 1",
            f"Buyer: {customer}, INN {customer_inn}, Kazan, Pushkina street 10",
            "No Article Goods Quantity Price Amount",
            *(f"{i} {sku} {name} {quantity} pcs {price}.00 {quantity * price}.00"
              for i, (sku, name, quantity, price) in enumerate(lines, start=1)),
            f"Total: {total}.00 RUB, VAT included", "Payment within 5 banking days of the invoice date",
            "Director Ivanov I.I.   Chief accountant Petrova A.A.", *extra]
