"""Every page of the access matrix answers with the Content-Security-Policy (no inline
script or style, no framing) and, for a signed-in user, Cache-Control: no-store; refusals
and redirects too. The world is the bad-input harness's: every shared kind written by the
author under an active mutual release."""

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.robustness.test_bad_input import URLS, build_world

from .test_matrix import NOT_PHI

pytestmark = pytest.mark.django_db

PERSONAS = ["author", "recipient", "clinic_admin", "anonymous"]


def assert_headers(response, path, signed_in):
    policy = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy, (path, policy)
    assert "script-src 'self'" in policy, (path, policy)
    assert "style-src 'self'" in policy, (path, policy)
    assert "frame-ancestors 'none'" in policy, (path, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
    if signed_in:
        assert "no-store" in response.get("Cache-Control", ""), (path, response.status_code)


def paths(world, objs):
    found = []
    for url in URLS:
        try:
            found.append(reverse(url.name, args=url.args(world, objs.get(url.kind))))
        except (AttributeError, KeyError, NoReverseMatch):
            continue
    for name in NOT_PHI:
        try:
            found.append(reverse(name))
        except NoReverseMatch:
            continue  # needs arguments: a token, an id; its app's tests open it
    return sorted(set(found))


def test_every_page_of_the_matrix_sends_the_policy_and_no_store():
    world, objs, _ = build_world()
    checked = 0
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            client.force_login(world.user(persona))
        for path in paths(world, objs):
            response = client.get(path)
            assert_headers(response, path, signed_in=persona != "anonymous")
            checked += 1
    assert checked > 100
