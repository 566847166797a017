"""What ops provides to the ground floor's hooks, connected by create_app: the outbox behind
`portal.core.mail.send_email` and the export jobs behind `portal.core.exports.export_response`."""

from portal.core import exports as core_exports
from portal.core import mail as core_mail
from portal.ops import exports, outbox


def init_app(app) -> None:
    core_mail.outbox.connect(outbox.queue_message)
    core_exports.start_background_export.connect(exports.start_export)
