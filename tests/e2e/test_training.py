"""A specialist takes a course, fails the quiz once, passes, gets points and a certificate; a manager sees it."""

from playwright.sync_api import expect

from portal.extensions import db
from tests.e2e.menus import open_menu
from tests.e2e.test_accounts import log_in
from tests.training import factories as f


def answer(page, quiz_questions, right: bool):
    for question in quiz_questions:
        chosen = [c for c in question["choices"] if c["correct"] == right] or question["choices"][:1]
        for choice in chosen if question["multiple"] else chosen[:1]:
            page.locator(f"#c{choice['id']}").check()


def test_specialist_fails_then_passes_and_manager_sees_it(app, live_server, page, new_page, make, shot):
    make.user(email="installer@example.test", audience="specialist", full_name="Котов Иван")
    make.user(role="manager", email="manager@example.test")
    with app.app_context():
        course = f.course(title="Монтаж мульти-сплит систем", audience="specialist", points=500)
        quiz = f.quiz_of(course)
        questions = [{"multiple": q.multiple, "choices": [{"id": c.id, "correct": c.correct} for c in q.choices]}
                     for q in quiz.questions]
        db.session.commit()

    log_in(page, live_server, "installer@example.test")
    page.get_by_role("link", name="Обучение").first.click()
    expect(page.get_by_test_id("course-card")).to_contain_text("Монтаж мульти-сплит систем")
    page.get_by_role("link", name="Начать").click()
    expect(page.locator("h1")).to_have_text("Урок 1")
    page.get_by_test_id("lesson-done").click()
    answer(page, questions, right=False)
    page.get_by_test_id("quiz-submit").click()
    expect(page.locator(".alert-warning").first).to_contain_text("ниже проходного балла")
    shot(page, "quiz-failed")
    page.get_by_test_id("language-switch").click()
    expect(page.locator(".btn", has_text="Check my answers")).to_be_visible()
    answer(page, questions, right=True)
    page.get_by_test_id("quiz-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("Congratulations, the course is passed! 500 points")
    expect(page.get_by_test_id("certificate")).to_contain_text("Котов Иван")
    expect(page.get_by_test_id("certificate")).to_contain_text("Монтаж мульти-сплит систем")
    shot(page, "certificate-en")
    page.get_by_role("link", name="My points").first.click()
    expect(page.get_by_test_id("balance-available")).to_have_text("500")
    expect(page.get_by_test_id("statement")).to_contain_text("Course passed: Монтаж мульти-сплит систем")

    manager = new_page()
    log_in(manager, live_server, "manager@example.test")
    open_menu(manager, "Программа")  # the console menu groups its pages
    manager.get_by_role("link", name="Обучение").first.click()
    expect(manager.get_by_test_id("training-stats")).to_contain_text("Монтаж мульти-сплит систем")
    manager.get_by_role("link", name="Кто прошёл").click()
    expect(manager.get_by_test_id("completions")).to_contain_text("Котов Иван")
    expect(manager.get_by_test_id("completions")).to_contain_text("2")  # attempts
    shot(manager, "completions")
