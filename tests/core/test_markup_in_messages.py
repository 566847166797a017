"""What a person typed never comes back as markup: messages that quote the input are escaped in the page."""


def test_picker_not_found_error_escapes_what_was_typed(client, make, login):
    manager = make.manager()
    login(manager.email)
    data = {"name": "Gold", "kind": "per_unit", "value": "100", "priority": "100", "cap_period": "month",
            "product_ids": "<script>alert(1)</script>", "company_ids": "", "group_ids": "", "active": "y",
            "audience": ""}
    page = client.post("/console/rules/new", data=data).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_points_in_a_decision_mail_have_thousands_separators(app, make):
    from flask import render_template

    from portal.claims.models import Claim

    claim = Claim(id=7, status="approved", invoice_number="A-1", points=12500)
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        body = render_template("claims/email/decision_body.txt", claim=claim, user=make.manager())
    assert "12\xa0500" in body
