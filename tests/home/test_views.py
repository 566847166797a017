def test_landing_page_is_russian_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="ru"' in page
    assert "Зарегистрироваться" in page and "Войти" in page


def test_language_switch_is_remembered_for_the_visitor(client):
    response = client.post("/language/en", headers={"Referer": "http://localhost/rules"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/rules")
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Register" in page


def test_language_is_stored_on_the_account(app, client, login, make):
    from portal.auth.models import User
    from portal.extensions import db

    user = make.user(email="me@example.test")
    login("me@example.test")
    client.post("/language/en")
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    fresh = app.test_client()  # another browser: the account's language wins after login
    fresh.post("/login", data={"email": "me@example.test", "password": "secret123"})
    assert 'lang="en"' in fresh.get("/home").get_data(as_text=True)


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_translated_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_csrf_failure_gives_a_translated_400(app, make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"email": "a@example.test", "password": "x"})
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)


def test_unexpected_error_gives_a_translated_500_and_saves_nothing(app, make_app):
    failing = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    def boom():
        raise RuntimeError("unexpected")

    failing.add_url_rule("/boom", "boom", boom)
    response = failing.test_client().get("/boom")
    assert response.status_code == 500
    assert "Что-то пошло не так" in response.get_data(as_text=True)


def test_manager_dashboard_counts_what_waits(app, client, login, make):
    from portal.partners.models import PENDING

    make.user(role="manager", email="manager@example.test")
    make.company(status=PENDING)
    make.company(status=PENDING)
    login("manager@example.test")
    page = client.get("/home").get_data(as_text=True)
    assert 'data-testid="count-companies">2<' in page
    assert 'data-testid="count-claims">0<' in page
