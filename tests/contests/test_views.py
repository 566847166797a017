import re
from datetime import timedelta

import pytest
from flask_babel import to_user_timezone
from sqlalchemy import select

from portal.auth.models import User
from portal.contests import services
from portal.contests.jobs import run_clock
from portal.contests.models import FINALISED, RUNNING, UNITS, Contest, ContestScore
from portal.core.time import frozen_time, utcnow
from portal.extensions import db
from portal.program.services import get_settings
from tests.contests import helpers as h


def local(moment):
    return to_user_timezone(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def running(app, make):
    """A running units contest with three people on the board; returns its id."""
    boss = make.manager(email="boss@example.test")
    people = [make.user(email=f"p{i}@example.test", full_name=f"Участник {i}") for i in range(3)]
    with app.test_request_context():
        h.catalogue()
        get_settings().first_sale_bonus = 0
        manager = db.session.get(type(boss), boss.id)
        contest = h.contest(manager, metric=UNITS, rules="Продавайте больше сплит-систем.")
        for quantity, person in enumerate(people, start=1):
            h.sale(db.session.get(type(person), person.id), manager, quantity=quantity)
        db.session.commit()
        return contest.id


def form_data(app, **overrides):
    with app.test_request_context():
        now = utcnow()
        data = {"title": "Зимний кубок", "description": "Кто продаст больше", "rules": "Правила",
                "starts_at": local(now - timedelta(days=1)), "ends_at": local(now + timedelta(days=20)),
                "freeze_at": "", "metric": "units", "plan_metric": "", "audience": "", "enrolment": "auto",
                "late_joiners": "welcome", "league_mode": "single", "winners_per_league": "3",
                "prize_points": "5000, 3000, 1000", "prize_texts": "", "min_value": "0", "tie_break": "first_reached"}
    data.update(overrides)
    return data


def test_manager_creates_and_publishes_a_contest(app, client, login, make):
    make.manager(email="boss@example.test")
    login("boss@example.test")
    response = client.post("/console/contests/new", data=form_data(app))
    assert response.status_code == 302
    with app.app_context():
        contest = db.session.scalar(select(Contest))
        assert (contest.title, contest.prizes[0]["points"], contest.status) == ("Зимний кубок", 5000, "draft")
        contest_id = contest.id
    page = client.post(f"/console/contests/{contest_id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "Конкурс опубликован" in page
    with app.app_context():
        assert db.session.get(Contest, contest_id).status == RUNNING


@pytest.mark.parametrize(("field", "value", "message"), [
    ("prize_points", "5000, много", "Целые числа баллов"),
    ("winners_per_league", "1e309", "Неверное целое число."),
    ("min_value", "NaN", "Введите число"),
    ("product_skus", "NOPE-1", "Неизвестные артикулы: NOPE-1"),
    ("company_inns", "7700000000", "Нет компании с ИНН: 7700000000"),
    ("title", "x" * 10_000, "Значение не должно содержать более 200 символов."),
    ("starts_at", "", "Введите дату и время."),
])
def test_bad_input_gets_a_translated_message(app, client, login, make, field, value, message):
    make.manager(email="boss@example.test")
    login("boss@example.test")
    response = client.post("/console/contests/new", data=form_data(app, **{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page


def test_participant_sees_board_position_and_why(app, client, login, running):
    login("p0@example.test")
    index = client.get("/contests").get_data(as_text=True)
    assert "Весенний спринт" in index and "Моё место: 3" in index
    page = client.get(f"/contests/{running}").get_data(as_text=True)
    assert "Участник 2" in page and 'data-testid="my-row"' in page and "Продавайте больше" in page
    assert "Моё место: 3." in page
    with app.app_context():
        league = db.session.get(Contest, running).leagues[0].id
    why = client.get(f"/contests/{running}/why?league={league}").get_data(as_text=True)
    assert "Продажа #" in why and "учтена" in why
    home = client.get("/home").get_data(as_text=True)
    assert 'data-testid="contest-card-place"' in home and "Место 3" in home


@pytest.mark.parametrize("path", [
    "/contests/" + "9" * 40, "/contests/{id}/why?league=" + "9" * 40, "/contests/{id}/why?league=1e309",
    "/contests/{id}/why?league=NaN", "/contests/{id}/why", "/console/contests/" + "9" * 40,
])
def test_odd_ids_are_404_never_500(client, login, running, path):
    login("p0@example.test")
    assert client.get(path.format(id=running)).status_code in (403, 404)


def test_participant_cannot_open_the_console_or_others_why(app, client, login, make, running):
    login("p0@example.test")
    assert client.get("/console/contests").status_code == 403
    with app.app_context():
        league = db.session.get(Contest, running).leagues[0].id
    page = client.get(f"/contests/{running}/why?league={league}&user=1").get_data(as_text=True)
    assert "Участник 0" in page and "Участник 1" not in page  # the user parameter is for staff only


def test_other_audience_does_not_see_the_contest(app, client, login, make, running):
    make.user(email="spec@example.test", audience="specialist")
    with app.test_request_context():
        contest = db.session.get(Contest, running)
        contest.audience = "manager"
        db.session.commit()
    login("spec@example.test")
    assert client.get(f"/contests/{running}").status_code == 404
    assert "Весенний спринт" not in client.get("/contests").get_data(as_text=True)


def test_running_contest_edit_takes_only_description_and_end(app, client, login, running):
    login("boss@example.test")
    with app.test_request_context():
        contest = db.session.get(Contest, running)
        later = contest.ends_at + timedelta(days=2)
        data = form_data(app, title="Новое имя", description="Продлили", starts_at=local(contest.starts_at),
                         ends_at=local(later), prize_points="1, 1, 1")
    page = client.get(f"/console/contests/{running}/edit").get_data(as_text=True)
    assert "только описание и дату окончания" in page and re.search(r'<input[^>]* disabled id="title"', page)
    assert client.post(f"/console/contests/{running}/edit", data=data).status_code == 302
    with app.app_context():
        contest = db.session.get(Contest, running)
        assert (contest.title, contest.description) == ("Весенний спринт", "Продлили")
        assert contest.prizes[0]["points"] == 5000
        assert contest.ends_at == later.replace(second=0, microsecond=0)
    review = client.get(f"/console/contests/{running}").get_data(as_text=True)
    assert 'data-testid="changes"' in review and "Продлили" in review


def test_finalise_protocol_pdf_and_xlsx(app, client, login, running, mailbox):
    login("boss@example.test")
    with app.app_context():
        ends_at = db.session.get(Contest, running).ends_at
    with frozen_time(ends_at + timedelta(minutes=1)):
        review = client.get(f"/console/contests/{running}").get_data(as_text=True)
        assert "Подвести итоги" in review and 'data-testid="no-pending"' in review
        page = client.post(f"/console/contests/{running}/finalise", follow_redirects=True).get_data(as_text=True)
        assert "Итоги подведены" in page
        again = client.post(f"/console/contests/{running}/finalise", follow_redirects=True).get_data(as_text=True)
        assert "Итоги уже подведены" in again
    with app.app_context():
        assert db.session.get(Contest, running).status == FINALISED
    with app.test_request_context():
        assert "3 result mails" in run_clock(utcnow())  # everyone on the board hears, once
        assert "0 result mails" in run_clock(utcnow())
    assert "Поздравляем" in mailbox.last_to("p2@example.test").get_content()
    assert "вы заняли 3 место" in mailbox.last_to("p0@example.test").get_content()
    protocol = client.get(f"/console/contests/{running}/protocol").get_data(as_text=True)
    assert "Протокол подведения итогов" in protocol and "Председатель комиссии" in protocol
    assert "Участник 2" in protocol and "5\xa0000 баллов" in protocol and "участников: 3" in protocol
    pdf = client.get(f"/console/contests/{running}/protocol?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get(f"/console/contests/{running}/board.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_english_pages(app, client, login, make, running):
    make.user(email="en@example.test", locale="en", full_name="Anna English")
    login("en@example.test")
    page = client.get(f"/contests/{running}").get_data(as_text=True)
    assert "Board" in page and "Who takes part" in page and "Units sold" in page
    assert "Contests" in client.get("/contests").get_data(as_text=True)


def test_review_page_shows_edge_cases_with_messages(app, client, login, make, running):
    """Overlap, a deactivated product, an empty league, and a sale reversed after the results were fixed."""
    login("boss@example.test")
    with app.test_request_context():
        from portal.claims import services as claims
        from portal.products.models import Product

        contest = db.session.get(Contest, running)
        manager = contest.created_by
        product = db.session.scalar(select(Product).where(Product.sku == "SPL-09"))
        other = h.contest(manager, title="Параллельный", metric=UNITS, product_ids=[product.id],
                          league_mode="audience")
        product.active = False
        db.session.commit()
        other_id = other.id
    page = client.get(f"/console/contests/{running}").get_data(as_text=True)
    assert "Пересекается с конкурсом «Параллельный»" in page
    page = client.get(f"/console/contests/{other_id}").get_data(as_text=True)
    assert "снят с программы: уже сделанные продажи по нему в конкурсе учитываются" in page
    assert "В этой лиге пока ни у кого нет результата." in page  # the specialists' league
    with app.test_request_context():
        contest = db.session.get(Contest, running)
        with frozen_time(contest.ends_at + timedelta(minutes=1)):
            services.finalise_contest(contest, contest.created_by)
        db.session.commit()
        from portal.claims.models import Claim

        claim = db.session.scalar(select(Claim).order_by(Claim.id.desc()))
        with frozen_time(contest.ends_at + timedelta(hours=1)):
            claims.reverse_claim(claim, contest.created_by, "Возврат")
        db.session.commit()
    page = client.get(f"/console/contests/{running}").get_data(as_text=True)
    assert 'data-testid="reversed-late"' in page and "Продажи, сторнированные после подведения итогов" in page


def test_frozen_board_for_participants_and_both_for_managers(app, client, login, make, running):
    with app.test_request_context():
        contest = db.session.get(Contest, running)
        contest.freeze_at = utcnow() + timedelta(minutes=30)
        db.session.commit()
        with frozen_time(utcnow() + timedelta(hours=1)):
            services.advance_contest(contest)
            person = db.session.scalar(select(User).where(User.email == "p0@example.test"))
            h.sale(person, contest.created_by, quantity=10)  # after the freeze: p0 goes from 3rd to 1st, live
        db.session.commit()
    login("p0@example.test")
    page = client.get(f"/contests/{running}").get_data(as_text=True)
    assert 'data-testid="frozen-note"' in page
    mine = page.split('data-testid="my-position"')[1].split("</div>")[0]
    assert "Мой результат сейчас: 11." in mine  # my live value, beside my place as of the freeze
    assert "Моё место на момент заморозки: 3." in mine
    board = page.split("Рейтинг</h2>")[1]
    assert board.index("Участник 2") < board.index("Участник 0")  # the board as of the freeze
    login("boss@example.test")
    review = client.get(f"/console/contests/{running}").get_data(as_text=True)
    assert 'data-testid="frozen-board-' in review and 'data-testid="live-board-' in review


def test_recompute_command_reports_drift(app, make, running):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "recompute-contests", "--check"])
    assert result.exit_code == 0 and "Contest scores match the source." in result.output
    with app.app_context():
        db.session.execute(ContestScore.__table__.update().values(value=999, actual=999))
        db.session.commit()
    result = runner.invoke(args=["portal", "recompute-contests"])
    assert result.exit_code == 1 and "3 contest scores differed" in result.output
    assert runner.invoke(args=["portal", "recompute-contests", "--check"]).exit_code == 0


def test_a_large_board_export_is_written_by_the_worker(app, client, login, running, queue, tmp_path, monkeypatch):
    import csv
    import io

    from portal.ops.models import EXPORT_DONE

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 2)
    login("boss@example.test")
    large = client.get(f"/console/contests/{running}/board.xlsx")
    assert large.status_code == 302  # three people on the board: over the threshold of two
    progress = large.headers["Location"]
    assert "/exports/" in progress
    assert queue() == 1
    state = client.get(progress + "/status").json
    assert state["status"] == EXPORT_DONE and (state["progress"], state["total"]) == (3, 3)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 100)
    text = client.get(f"/console/contests/{running}/board.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [row[1:3] for row in rows[1:]] == [["1", "Участник 2"], ["2", "Участник 1"], ["3", "Участник 0"]]


def test_contest_page_states_the_rule_and_why_lists_what_did_not_count(app, client, login, running):
    with app.test_request_context():
        contest = db.session.get(Contest, running)
        person = db.session.scalar(select(User).where(User.email == "p0@example.test"))
        waiting = h.sale(person, contest.created_by, quantity=4, approve=False).id
        league = contest.leagues[0].id
        db.session.commit()
    login("p0@example.test")
    page = client.get(f"/contests/{running}").get_data(as_text=True)
    assert "на дату счёта" in page.split('data-testid="contest-rule"')[1].split("</span>")[0]
    why = client.get(f"/contests/{running}/why?league={league}").get_data(as_text=True)
    rows = why.split('data-testid="why-items"')[1]
    assert f"Продажа #{waiting}" in rows and "пока не учтена: ждёт проверки" in rows
    assert rows.count(">учтена<") == 1  # the approved sale counted; the waiting one listed, not counted


def test_a_courses_contest_page_speaks_of_courses_not_sales(app, client, login, make):
    from portal.contests.models import COURSES_PASSED

    boss = make.manager(email="boss@example.test")
    make.user(email="learner@example.test")
    with app.test_request_context():
        contest = h.contest(db.session.get(type(boss), boss.id), metric=COURSES_PASSED)
        db.session.commit()
        contest_id = contest.id
    login("learner@example.test")
    page = client.get(f"/contests/{contest_id}").get_data(as_text=True)
    policies = page.split('data-testid="contest-policies"')[1].split("</dl>")[0]
    assert "Какие курсы" in policies and "Какие продажи" not in policies
    rule = policies.split('data-testid="contest-rule"')[1].split("</span>")[0]
    assert "Курс засчитывается" in rule and "продаж" not in rule.lower()


def _finalised(app, client, running):
    with app.app_context():
        ends_at = db.session.get(Contest, running).ends_at
    with frozen_time(ends_at + timedelta(minutes=1)):
        client.post(f"/console/contests/{running}/finalise")


def test_protocol_says_why_a_place_is_not_awarded_in_the_contests_terms(app, client, login, running):
    with app.app_context():
        db.session.get(Contest, running).winners_per_league = 5
        db.session.commit()
    login("boss@example.test")
    _finalised(app, client, running)
    protocol = client.get(f"/console/contests/{running}/protocol").get_data(as_text=True)
    assert "минимум" not in protocol  # the contest has no minimum
    assert protocol.count("Место не присуждено: результат выше нуля только у 3 участников.") == 2


def test_protocol_signature_block_never_splits_across_pages(app, client, login, running):
    pytest.importorskip("weasyprint")
    from weasyprint import HTML

    login("boss@example.test")
    _finalised(app, client, running)
    html = client.get(f"/console/contests/{running}/protocol").get_data(as_text=True)
    at = html.index("<p>Дата протокола")
    at = html.rfind("<div", 0, at) if html.rfind("</table>", 0, at) < html.rfind("<div", 0, at) else at
    head, tail = html[:at], html[at:]
    for filler in range(30, 52, 3):  # push the block across the end of the first page at some length
        document = HTML(string=head + "<p>строка</p>" * filler + tail).render()
        pages_with = {index for index, page in enumerate(document.pages)
                      for box in page._page_box.descendants() if getattr(box, "text", None)
                      and ("Дата протокола" in box.text or "Член комиссии" in box.text
                           or "Председатель комиссии" in box.text)}
        assert len(pages_with) == 1, filler


def test_a_plan_percent_board_shows_every_value_with_two_decimals(app):
    from portal.contests.models import PLAN_PERCENT, Contest
    from portal.contests.views.common import contest_value

    contest = Contest(metric=PLAN_PERCENT)
    with app.test_request_context():
        assert [contest_value(contest, v) for v in (10000, 10450, 8725, 123456)] == [
            "100,00\xa0%", "104,50\xa0%", "87,25\xa0%", "1\xa0234,56\xa0%"]


def test_a_contest_written_in_both_languages_reads_in_each(app, client, login, make, mailbox):
    make.manager(email="boss@example.test")
    make.user(email="ru@example.test")
    make.user(email="en@example.test", locale="en")
    login("boss@example.test")
    data = form_data(app, title_en="Winter cup", description_en="Who sells more", rules_en="The rules")
    assert client.post("/console/contests/new", data=data).status_code == 302
    with app.app_context():
        contest_id = db.session.scalar(select(Contest.id))
    client.post(f"/console/contests/{contest_id}/publish")
    running = form_data(app, description="Кто продаст больше всех", description_en="Who sells the most")
    assert client.post(f"/console/contests/{contest_id}/edit", data=running).status_code == 302
    login("en@example.test")
    page = client.get(f"/contests/{contest_id}").get_data(as_text=True)
    assert "Winter cup" in page and "Who sells the most" in page and "The rules" in page
    assert "Зимний кубок" not in page
    assert "Winter cup" in client.get("/contests").get_data(as_text=True)
    login("ru@example.test")
    page = client.get(f"/contests/{contest_id}").get_data(as_text=True)
    assert "Зимний кубок" in page and "Кто продаст больше всех" in page and "Winter cup" not in page
    with app.test_request_context():
        run_clock(utcnow())
    assert "Winter cup" in mailbox.last_to("en@example.test")["Subject"]
    assert "Зимний кубок" in mailbox.last_to("ru@example.test")["Subject"]
