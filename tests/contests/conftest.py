import pytest

from portal.auth.models import MANAGER
from portal.program.services import get_settings
from tests.contests import helpers


@pytest.fixture
def manager(make):
    return make.user(role=MANAGER, full_name="Белов Кирилл")


@pytest.fixture
def shop(db):
    helpers.catalogue()
    get_settings().first_sale_bonus = 0
