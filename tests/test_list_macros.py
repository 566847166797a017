"""The one way list pages are drawn (portal/templates/_lists.html): the macros, and the pages that use them."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

PORTAL = Path(__file__).resolve().parent.parent / "portal"
# The list pages and review queues issue #28 brought onto the macros, and the tables they include (for My sales and
# My leads, the cached part of the page that draws the list).
LIST_PAGES = [
    "claims/templates/claims/_listing.html", "claims/templates/claims/queue.html",
    "claims/templates/claims/_table.html",
    "leads/templates/leads/_listing.html", "leads/templates/leads/queue.html", "leads/templates/leads/_table.html",
    "partners/templates/partners/people.html", "partners/templates/partners/companies.html",
    "partners/templates/partners/team.html", "shop/templates/shop/orders.html",
    "shop/templates/shop/fulfilment.html", "shop/templates/shop/_orders_table.html",
]


@pytest.fixture
def render(app):
    def render(call: str, **context) -> str:
        with app.test_request_context("/console/people?q=Ivan&status=active"):
            template = app.jinja_env.from_string('{% import "_lists.html" as lists %}' + call)
            return re.sub(r"\s+", " ", template.render(**context))
    return render


def _options(html: str) -> list[tuple[str, str, bool]]:
    return [(value, text, " selected" in attrs)
            for value, attrs, text in re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', html)]


def test_a_filter_select_takes_a_mapping_objects_or_strings_and_marks_the_chosen_one(render):
    mapping = render("{{ lists.filter_select('status', 'Status', labels, 'b', blank='Any') }}",
                     labels={"a": "Alpha", "b": "Beta"})
    assert _options(mapping) == [("", "Any", False), ("a", "Alpha", False), ("b", "Beta", True)]
    assert 'id="status" name="status"' in mapping and '<label class="form-label small" for="status">' in mapping
    objects = render("{{ lists.filter_select('group', 'Group', groups, '7', key='id', text='name', testid='g') }}",
                     groups=[SimpleNamespace(id=3, name="North"), SimpleNamespace(id=7, name="South")])
    assert _options(objects) == [("3", "North", False), ("7", "South", True)] and 'data-testid="g"' in objects
    strings = render("{{ lists.filter_select('region', 'Region', regions, none, blank='Any') }}",
                     regions=["Москва", "Казань"])
    assert _options(strings) == [("", "Any", False), ("Москва", "Москва", False), ("Казань", "Казань", False)]
    empty_chosen = render("{{ lists.filter_select('status', 'Status', {'a': 'A'}, '', blank='Any') }}")
    assert _options(empty_chosen) == [("", "Any", True), ("a", "A", False)]


def test_a_list_table_draws_one_row_per_item_or_its_empty_state(render):
    call = ("{% set head %}<th>N</th>{% endset %}"
            "{% call(item) lists.list_table(items, head, 'Nothing here.', 4, testid='things') %}"
            "<tr><td>#{{ item }}</td></tr>{% endcall %}")
    rows = render(call, items=[1, 2])
    assert 'data-testid="things"' in rows and "<thead><tr><th>N</th></tr></thead>" in rows
    assert re.findall(r"<td>#(\d)</td>", rows) == ["1", "2"] and "Nothing here." not in rows
    empty = render(call, items=[])
    assert '<td colspan="4" class="text-center text-muted py-4">Nothing here.</td>' in empty


def test_review_tick_boxes_belong_to_the_bulk_form_and_only_undecided_rows_can_be_ticked(render):
    html = render("{{ lists.select_all('claim-check') }}{{ lists.select_cell('claim-check', 'claim_ids', 5) }}"
                  "{{ lists.select_cell('claim-check', 'claim_ids', 6, disabled=true) }}")
    assert 'id="select-all" data-select-all=".claim-check"' in html
    assert re.findall(r'name="claim_ids" value="(\d)" form="bulk-form" aria-label="#\d" ?(disabled)?', html) == [
        ("5", ""), ("6", "disabled")]


def test_export_links_keep_the_filters_of_the_list(render):
    html = render("{{ lists.export_links('partners.people_export', request.args.to_dict()) }}")
    assert re.findall(r'href="([^"]+)"', html) == ["/console/people/export.xlsx?q=Ivan&amp;status=active",
                                                   "/console/people/export.csv?q=Ivan&amp;status=active"]


@pytest.mark.parametrize("page", LIST_PAGES)
def test_list_pages_draw_their_frame_with_the_shared_macros(page):
    """A list page keeps its own filters and columns; the frame (filter form, table, empty row, pages) is the
    macros', so the pages cannot drift apart again."""
    source = (PORTAL / page).read_text()
    assert '"_lists.html"' in source
    for frame in ('<div class="card">\n  <table', "{% else %}\n      <tr><td colspan",
                  'class="card p-3 mb-3" method="get"', '<div class="mt-3">{{ pagination', 'id="bulk-form"',
                  'id="select-all"'):
        assert frame not in source, f"{page} draws its own {frame!r}: use portal/templates/_lists.html"
