"""Each demo user signs in through the browser and lands on their role's page."""

import pytest

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "heading", "role"),
    [
        ("prescriber", "Good to see you, Maya", "Prescriber"),
        ("therapist", "Good to see you, Sam", "Therapist"),
        ("outsider", "Good to see you, Jordan", "Therapist"),
        ("clinicadmin", "Clinic administration", "Clinic admin"),
    ],
)
def test_demo_user_signs_in_and_lands_on_their_role_page(page, demo, username, heading, role):
    sign_in(page, demo, username)
    assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
    assert role in page.locator("header .who").inner_text()
    shot(page, f"home-{username}")
    sign_out(page)
    assert "/accounts/login/" in page.url
