import pytest
from flask_babel import force_locale


@pytest.fixture
def english(db):
    """Service tests read the messages in English (the Russian ones are tested through the pages)."""
    with force_locale("en"):
        yield
