"""The browser journeys end with every consistency check: the report a journey fails with (no browser needed)."""

from portal.extensions import db
from portal.ledger import services as ledger
from tests.e2e.conftest import consistency_report
from tests.training import factories as tf


def test_a_clean_program_reports_nothing(app, make_app, make):
    make.user(full_name="Орлова Анна")
    assert consistency_report(make_app()) == ""


def test_a_credit_without_its_source_is_reported_in_words(app, make_app, make):
    seller = make.user(full_name="Орлова Анна")
    with app.app_context():
        course = tf.course(points=800)
        ledger.earn(seller.id, 800, key="journey:course", source_type="course", source_id=course.id)
        db.session.commit()
        course_id = course.id
    report = consistency_report(make_app())
    assert report == ("Points and their sources:\n"
                      f"  - Орлова Анна was credited 800 points (transaction #1), but the person has not passed "
                      f"course #{course_id}.")


def test_every_browser_journey_ends_with_the_checks(request):
    assert "consistency_checks" in request.fixturenames


def test_the_checks_run_in_the_app_the_browser_was_served(live_server, served_apps):
    [served] = served_apps
    assert served.config["WTF_CSRF_ENABLED"]  # the served app, not the suite's app (CSRF off)
