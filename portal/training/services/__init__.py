"""Training rules: who sees which course, lessons read, quizzes scored, and points on the first pass only.
One module per job; this package's names are the training API.
"""

from portal.training.models import CourseItem

from .attempts import exhausted_attempts, grant_attempts, recent_grants
from .authoring import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    add_item,
    add_question,
    move_item,
    sanitize,
    save_course,
    save_item,
)
from .progress import Progress, can_open, mark_viewed, next_item, progress, progress_of, visible_courses
from .quizzes import (
    QuizResult,
    allowed_attempts,
    attempts_of,
    score,
    show_answers,
    shuffled_questions,
    submit_quiz,
    unread_lessons,
)
from .statistics import completion_stats, completions

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "CourseItem",
    "Progress",
    "QuizResult",
    "add_item",
    "add_question",
    "allowed_attempts",
    "attempts_of",
    "can_open",
    "completion_stats",
    "completions",
    "exhausted_attempts",
    "grant_attempts",
    "mark_viewed",
    "move_item",
    "next_item",
    "progress",
    "progress_of",
    "recent_grants",
    "sanitize",
    "save_course",
    "save_item",
    "score",
    "show_answers",
    "shuffled_questions",
    "submit_quiz",
    "unread_lessons",
    "visible_courses",
]
