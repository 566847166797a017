"""The winners' protocol as PDF, through WeasyPrint when it is installed (it needs system Pango)."""

import logging

log = logging.getLogger("portal.contests")


def render_pdf(html: str) -> bytes | None:
    try:
        from weasyprint import HTML  # noqa: PLC0415 - optional at run time
    except (ImportError, OSError):
        return None
    return HTML(string=html).write_pdf()
