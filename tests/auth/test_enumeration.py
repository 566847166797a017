"""Registration does not tell anyone whether an address has an account: the owner learns it by mail."""

from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from tests.auth.test_views import FORM


def _page(response) -> str:
    return response.get_data(as_text=True).replace("maria@example.test", "EMAIL")


def test_registering_a_taken_address_looks_like_a_new_account(app, client, mailbox, make):
    new = client.post("/register", data=FORM)
    assert new.status_code == 200
    confirmation = mailbox.last_to("maria@example.test")
    mailbox.clear()
    again = app.test_client().post("/register", data={**FORM, "password": "other2026x",
                                                      "password_confirm": "other2026x"})
    assert again.status_code == new.status_code
    assert _page(again) == _page(new)
    assert "уже существует" not in again.get_data(as_text=True)
    # The owner of the address gets a mail saying what happened, with a way in.
    attempt = mailbox.last_to("maria@example.test")
    assert attempt["Subject"] != confirmation["Subject"]
    body = mailbox.body(attempt)
    assert "/login" in body and "/password/forgot" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_taken_address_with_other_errors_shows_the_errors_only(app, client, make):
    make.user(email="maria@example.test")
    response = client.post("/register", data={**FORM, "phone": "12345"})
    page = response.get_data(as_text=True)
    assert "Введите российский номер" in page
    assert "уже существует" not in page
