from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.models import AUDIENCE_SHORT_LABELS, PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES, User
from portal.core.auth import roles_required
from portal.core.errors import DomainError
from portal.core.exports import csv_response, xlsx_response
from portal.core.fields import db_int
from portal.core.formatting import number
from portal.core.forms import show_error
from portal.core.pagination import paginate
from portal.core.time import utcnow
from portal.core.uploads import send_download, send_image_preview
from portal.extensions import db
from portal.training import services
from portal.training.forms import CourseForm, GrantAttemptsForm, ItemForm, NewItemForm, QuestionForm
from portal.training.models import PROGRESS_LABELS, QUIZ, Course, CourseItem, Question
from portal.training.uploads import attachment_file, store_attachment

bp = Blueprint("training", __name__, template_folder="templates")


def _course_or_404(course_id: int) -> Course:
    course = db.get_or_404(Course, course_id)
    if not services.can_open(current_user, course):
        abort(404)
    return course


def _item_or_404(course: Course, item_id: int) -> CourseItem:
    item = db.get_or_404(CourseItem, item_id)
    if item.course_id != course.id:
        abort(404)
    return item


# --- participant ---------------------------------------------------------------------------------


@bp.get("/training")
@roles_required(*PARTNER_ROLES)
def index():
    courses = services.visible_courses(current_user)
    progress = services.progress_of(current_user, courses)
    cards = [(course, progress[course.id], services.next_item(course, progress[course.id].done_item_ids))
             for course in courses]
    return render_template("training/index.html", cards=cards, labels=PROGRESS_LABELS)


@bp.get("/training/<int:course_id>")
@login_required
def course(course_id):
    course = _course_or_404(course_id)
    progress = services.progress(current_user, course)
    return render_template("training/course.html", course=course, progress=progress, labels=PROGRESS_LABELS,
                           next_item=services.next_item(course, progress.done_item_ids))


@bp.get("/training/<int:course_id>/items/<int:item_id>")
@login_required
def item(course_id, item_id):
    course = _course_or_404(course_id)
    item = _item_or_404(course, item_id)
    items = list(course.items)
    following = items[items.index(item) + 1] if items.index(item) + 1 < len(items) else None
    if not item.is_quiz:
        return render_template("training/lesson.html", course=course, item=item, following=following)
    attempts = services.attempts_of(current_user, item)
    number = len(attempts) + 1
    allowed = services.allowed_attempts(current_user, item)
    passed = any(a.passed for a in attempts)
    unread = services.unread_lessons(current_user, item)
    return render_template(
        "training/quiz.html", course=course, item=item, attempts=attempts, allowed=allowed, unread=unread,
        questions=services.shuffled_questions(item, current_user, number),
        can_try=not passed and not unread and (allowed is None or len(attempts) < allowed),
        exhausted=not passed and allowed is not None and len(attempts) >= allowed,
        show_answers=services.show_answers(item, attempts, allowed), last=attempts[-1] if attempts else None,
        following=following,
    )


@bp.post("/training/<int:course_id>/items/<int:item_id>/done")
@roles_required(*PARTNER_ROLES)
def lesson_done(course_id, item_id):
    course = _course_or_404(course_id)
    item = _item_or_404(course, item_id)
    services.mark_viewed(current_user, item)
    db.session.commit()
    items = list(course.items)
    index = items.index(item)
    if index + 1 < len(items):
        return redirect(url_for("training.item", course_id=course.id, item_id=items[index + 1].id))
    return redirect(url_for("training.course", course_id=course.id))


@bp.post("/training/<int:course_id>/items/<int:item_id>/answer")
@roles_required(*PARTNER_ROLES)
def answer(course_id, item_id):
    course = _course_or_404(course_id)
    item = _item_or_404(course, item_id)
    answers = {}
    for question in item.questions:
        chosen = request.form.getlist(f"q{question.id}")
        answers[question.id] = {int(c) for c in chosen if c.isdigit()}
    try:
        result = services.submit_quiz(current_user, item, answers)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
        return redirect(url_for("training.item", course_id=course.id, item_id=item.id))
    db.session.commit()
    attempt = result.attempt
    if result.course_passed_now:
        flash(_("Congratulations, the course is passed! %(points)s points are credited.", points=number(result.points))
              if result.points else _("Congratulations, the course is passed!"), "success")
        return redirect(url_for("training.certificate", course_id=course.id))
    if attempt.passed:
        flash(_("Quiz passed: %(score)s%%.", score=attempt.score), "success")
    else:
        flash(_("%(score)s%% is below the pass mark of %(mark)s%%.", score=attempt.score, mark=item.pass_mark),
              "warning")
    return redirect(url_for("training.item", course_id=course.id, item_id=item.id))


@bp.get("/training/<int:course_id>/certificate")
@roles_required(*PARTNER_ROLES)
def certificate(course_id):
    course = _course_or_404(course_id)
    completion = services.progress(current_user, course).completion
    if completion is None:
        abort(404)
    return render_template("training/certificate.html", course=course, completion=completion)


@bp.get("/training/files/<int:item_id>")
@login_required
def attachment(item_id):
    item = db.get_or_404(CourseItem, item_id)
    _course_or_404(item.course_id)
    if not item.attachment_path:
        abort(404)
    path = attachment_file(item.attachment_path)
    if not path.exists():
        abort(404)
    if request.args.get("preview") == "1" and (item.attachment_mimetype or "").startswith("image/"):
        try:
            return send_image_preview(path, item.attachment_name)
        except DomainError:
            abort(404)
    return send_download(path, item.attachment_mimetype, item.attachment_name)


# --- program manager -----------------------------------------------------------------------------


@bp.get("/console/training")
@roles_required(*STAFF_ROLES)
def manage():
    return render_template("training/manage.html", stats=services.completion_stats(),
                           audience_labels=AUDIENCE_SHORT_LABELS)


@bp.route("/console/training/new", methods=["GET", "POST"])
@bp.route("/console/training/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit_course(course_id=None):
    course = db.get_or_404(Course, course_id) if course_id else None
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        try:
            course = services.save_course(
                course, title=form.title.data, description=form.description.data, audience=form.audience.data,
                points=form.points.data or 0, duration_minutes=form.duration_minutes.data or 0,
                published=form.published.data, title_en=form.title_en.data, description_en=form.description_en.data,
                lessons_first=form.lessons_first.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The course is saved."), "success")
            return redirect(url_for("training.edit_course", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=course, new_item=NewItemForm())


@bp.post("/console/training/<int:course_id>/items")
@roles_required(*STAFF_ROLES)
def add_item(course_id):
    course = db.get_or_404(Course, course_id)
    form = NewItemForm()
    if form.validate_on_submit():
        item = services.add_item(course, form.kind.data, form.title.data)
        db.session.commit()
        return redirect(url_for("training.edit_item", item_id=item.id))
    flash(_("Give it a title."), "danger")
    return redirect(url_for("training.edit_course", course_id=course.id))


@bp.post("/console/training/items/<int:item_id>/move/<any(up, down):direction>")
@roles_required(*STAFF_ROLES)
def move_item(item_id, direction):
    item = db.get_or_404(CourseItem, item_id)
    services.move_item(item, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("training.edit_course", course_id=item.course_id))


@bp.route("/console/training/items/<int:item_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit_item(item_id):
    item = db.get_or_404(CourseItem, item_id)
    form = ItemForm(obj=item)
    if form.validate_on_submit():
        try:
            attachment = None
            if form.attachment.data and getattr(form.attachment.data, "filename", ""):
                attachment = store_attachment(form.attachment.data.filename, form.attachment.data.read())
            services.save_item(item, title=form.title.data, body=form.body.data, pass_mark=form.pass_mark.data,
                               max_attempts=form.max_attempts.data, attachment=attachment,
                               title_en=form.title_en.data, body_en=form.body_en.data)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("training.edit_item", item_id=item.id))
    return render_template("training/item_form.html", form=form, item=item, question_form=QuestionForm())


@bp.post("/console/training/items/<int:item_id>/questions")
@roles_required(*STAFF_ROLES)
def add_question(item_id):
    item = db.get_or_404(CourseItem, item_id)
    form = QuestionForm()
    if item.kind != QUIZ:
        abort(404)
    if form.validate_on_submit():
        try:
            services.add_question(item, form.text.data, form.choices(), form.multiple.data, form.text_en.data,
                                  form.choices_en())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The question is added."), "success")
    else:
        flash(_("Write the question."), "danger")
    return redirect(url_for("training.edit_item", item_id=item.id))


@bp.post("/console/training/questions/<int:question_id>/delete")
@roles_required(*STAFF_ROLES)
def delete_question(question_id):
    question = db.get_or_404(Question, question_id)
    item_id = question.item_id
    db.session.delete(question)
    db.session.commit()
    return redirect(url_for("training.edit_item", item_id=item_id))


def _completions_page(company_id=None):
    course_id = request.args.get("course", type=db_int)
    return services.completions(course_id=course_id, company_id=company_id)


def _export(query, fmt):
    rows = [(c.user.full_name, c.company.name if c.company else "", c.user.audience_label, c.course.title,
             c.passed_at, c.attempts, c.points) for c in db.session.scalars(query)]
    header = [_("Participant"), _("Company"), _("Audience"), _("Course"), _("Passed"), _("Attempts"), _("Points")]
    name = f"training-{utcnow():%Y%m%d}"
    return xlsx_response(name, header, rows, _("Training")) if fmt == "xlsx" else csv_response(name, header, rows)


@bp.get("/console/training/completions")
@roles_required(*STAFF_ROLES)
def completions():
    return render_template("training/completions.html", page=paginate(_completions_page()),
                           courses=db.session.scalars(db.select(Course).order_by(Course.id)).all(),
                           endpoint="training.completions", export="training.export")


@bp.get("/console/training/completions.<any(csv, xlsx):fmt>")
@roles_required(*STAFF_ROLES)
def export(fmt):
    return _export(_completions_page(), fmt)


@bp.get("/team/training")
@roles_required(PARTNER_ADMIN)
def team():
    return render_template("training/completions.html", page=paginate(_completions_page(current_user.company_id)),
                           courses=db.session.scalars(db.select(Course).order_by(Course.id)).all(),
                           stats=services.completion_stats(current_user.company_id),
                           endpoint="training.team", export="training.team_export")


@bp.get("/team/training.<any(csv, xlsx):fmt>")
@roles_required(PARTNER_ADMIN)
def team_export(fmt):
    return _export(_completions_page(current_user.company_id), fmt)




@bp.get("/console/training/attempts")
@roles_required(*STAFF_ROLES)
def attempts():
    """Participants who failed a quiz with every attempt used, and the extra attempts granted so far."""
    return render_template("training/attempts.html", rows=services.exhausted_attempts(),
                           grants=services.recent_grants(), form=GrantAttemptsForm())


@bp.post("/console/training/attempts")
@roles_required(*STAFF_ROLES)
def grant_attempts():
    form = GrantAttemptsForm()
    if not form.validate_on_submit():
        flash(_("Give the number of extra attempts (1 to 10) and the reason."), "danger")
        return redirect(url_for("training.attempts"))
    user = db.get_or_404(User, form.user_id.data)
    item = db.get_or_404(CourseItem, form.item_id.data)
    try:
        services.grant_attempts(current_user, user, item, form.extra.data, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s has %(num)s more attempts at «%(quiz)s».", name=user.full_name, num=form.extra.data,
                quiz=item.title), "success")
    return redirect(url_for("training.attempts"))
