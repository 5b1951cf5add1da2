"""Debian's chromium, driven by Playwright, for the tests that use the pages in a real browser.

``conftest.py`` registers the fixtures ``browser`` (started once per test session) and
``page`` (a fresh context per test: no cookies of another test). Never a downloaded browser: /usr/bin/chromium, installed by ``make install``.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from api import create_app
from evaluation.screenshots import CHROMIUM, CHROMIUM_ARGS, live_server
from store.users import Users
from tests.access_helpers import PASSWORD


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make install' (it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, **context_options):
    """A page in a fresh German browser context (downloads allowed, 30 s per step)."""
    context = browser.new_context(accept_downloads=True, locale="de-DE", **context_options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the login form that ``page`` shows, as a user types it."""
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


@contextmanager
def serving_pages(radar, people: dict):
    """A live server over ``radar`` with an account per ``people`` entry (e-mail, role,
    own profile, Landkreise; password ``PASSWORD``); yields its base URL. Plain HTTP on
    loopback, so the session cookie is not marked secure."""
    users = Users(radar.store)
    for email, role, profile, region in people.values():
        users.add_user(email, PASSWORD, role, region=region, profile_id=profile)
    app = create_app(radar.settings, radar=radar)
    app.config["SESSION_COOKIE_SECURE"] = False
    with live_server(app) as url:
        yield url
