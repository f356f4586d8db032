"""The bench's reference page: the base template, signed in, nothing else; off unless
the bench turns it on."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("bench_reference")


def test_the_reference_page_is_not_found_unless_the_bench_turns_it_on(as_user, world):
    response = as_user(world.recipient.user).get(URL)
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["author", "recipient", "clinic_admin"])
def test_a_signed_in_user_gets_the_base_template_and_nothing_else(
    settings, as_user, shared_world, persona
):
    settings.BENCH_REFERENCE_PAGE = True
    response = as_user(shared_world.user(persona)).get(URL)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "base.html"
    assert 'id="main"' in response.content.decode()
    assert shared_world.patient.family_name not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(settings, client):
    settings.BENCH_REFERENCE_PAGE = True
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
