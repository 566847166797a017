"""The participant's home cards are cached per person (issue #27) and still never show an old number: any change
to the person's rows, their points, a prize or a course shows on the very next request, whoever made it."""

from sqlalchemy import select, update

from portal.core.freshness import PROGRAM, PersonVersion
from portal.extensions import db
from portal.ledger import services as ledger
from portal.shop.models import Prize
from tests.shop import factories as shop


def _balance(client) -> str:
    page = client.get("/home").get_data(as_text=True)
    start = page.index('data-testid="dashboard-balance">') + len('data-testid="dashboard-balance">')
    return page[start:page.index("<", start)]


def test_points_posted_by_someone_else_show_on_the_next_home_page(app, make, login):
    seller = make.user(email="seller@example.test")
    client = login("seller@example.test")
    assert _balance(client) == "0"
    assert _balance(client) == "0"  # now from the cache
    with app.app_context():  # another request (a manager's approval, the worker) posts points
        ledger.earn(seller.id, 1500, key="bonus", source_type="sale", source_id=1)
        db.session.commit()
    assert _balance(client).replace("\xa0", " ") == "1 500"


def test_a_new_prize_within_reach_shows_at_once(app, make, login):
    seller = make.user(email="seller@example.test")
    with app.app_context():
        ledger.earn(seller.id, 1000, key="start", source_type="sale", source_id=1)
        db.session.commit()
    client = login("seller@example.test")
    assert "Плед с логотипом" not in client.get("/home").get_data(as_text=True)
    with app.app_context():
        shop.prize(name="Плед с логотипом", points=800, stock=5)
        db.session.commit()
    assert "Плед с логотипом" in client.get("/home").get_data(as_text=True)


def test_a_stock_change_written_as_a_statement_refreshes_the_cards(app, make, login):
    seller = make.user(email="seller@example.test")
    with app.app_context():
        ledger.earn(seller.id, 1000, key="start", source_type="sale", source_id=1)
        prize_id = shop.prize(name="Плед с логотипом", points=800, stock=5).id
        db.session.commit()
    client = login("seller@example.test")
    within_reach = f'prizes/{prize_id}">Плед с логотипом</a>'
    assert within_reach in client.get("/home").get_data(as_text=True)
    with app.app_context():  # an UPDATE statement (as checkout takes stock), no ORM object changes
        db.session.execute(update(Prize).where(Prize.id == prize_id).values(price_points=5000))
        db.session.commit()
    assert within_reach not in client.get("/home").get_data(as_text=True)


def test_versions_grow_once_per_committed_transaction_and_not_on_rollback(app, make):
    seller = make.user(email="seller@example.test")
    with app.app_context():
        version = db.session.scalar(select(PersonVersion.version).where(PersonVersion.user_id == seller.id)) or 0
        ledger.earn(seller.id, 10, key="a", source_type="sale", source_id=1)
        ledger.earn(seller.id, 10, key="b", source_type="sale", source_id=2)
        db.session.commit()
        after = db.session.scalar(select(PersonVersion.version).where(PersonVersion.user_id == seller.id))
        assert after == version + 1
        shop.prize(name="Кружка", points=100, stock=1)
        db.session.commit()
        program = db.session.scalar(select(PersonVersion.version).where(PersonVersion.user_id == PROGRAM))
        assert program >= 1


def test_the_home_page_reads_a_fixed_number_of_statements_whatever_the_news(app, make, login):
    from sqlalchemy import event

    from portal.news.models import NewsItem

    make.user(email="seller@example.test")
    author = make.manager(email="manager@example.test")
    client = login("seller@example.test")

    def statements_of_home() -> int:
        client.get("/home")
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            client.get("/home")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        db.session.add(NewsItem(title="Новость 0", body="<p>Текст</p>", target="all", target_values=[],
                                created_by_id=author.id))
        db.session.commit()
    one = statements_of_home()
    with app.app_context():
        for n in range(1, 15):
            db.session.add(NewsItem(title=f"Новость {n}", body="<p>Текст</p>", target="companies",
                                    target_values=[999], created_by_id=author.id))
        db.session.commit()
    assert statements_of_home() == one
