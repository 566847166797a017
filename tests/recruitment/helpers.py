"""Invitation lists as people upload them, and a campaign made from one."""

import itertools

from portal.core.inn import make_inn
from portal.recruitment import importer, services

HEADER = "ИНН;Компания;Регион;Контакт;Email;Группа;Язык"
_numbers = itertools.count(1)


def inn() -> str:
    return make_inn(f"7{next(_numbers):08d}")


def row(inn_: str | None = None, company="ООО «Климат»", region="Москва", contact="Иван Петров", email=None,
        group="", language="") -> str:
    n = next(_numbers)
    return ";".join([inn_ or inn(), company, region, contact, email or f"contact{n}@example.test", group, language])


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def preview(*rows: str):
    return importer.check_invitee_rows(importer.read_invitee_file("list.csv", csv_file(*rows)))


def campaign(manager, *rows: str, name="Осень"):
    return services.create_campaign(name, preview(*rows), manager)
