from portal.extensions import db
from portal.shop.models import Prize, PrizeCategory


def prize(name="Термокружка", points=500, stock=10, electronic=False, audience=None, value_kopecks=None):
    category = db.session.query(PrizeCategory).filter_by(name="Подарки").first()
    if category is None:
        category = PrizeCategory(name="Подарки")
        db.session.add(category)
        db.session.flush()
    item = Prize(category_id=category.id, name=name, price_points=points, stock=stock, electronic=electronic,
                 audience=audience, value_kopecks=value_kopecks, description="")
    db.session.add(item)
    db.session.flush()
    return item


def delivery():
    from portal.shop.services import Delivery

    return Delivery(address="Москва, ул. Тверская, д. 1, кв. 5", phone="+7 916 000-11-22", email="me@example.test")
