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
