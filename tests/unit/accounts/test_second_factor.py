"""Editors' second factor (TOTP): the code of the current 30-second step, or the step either
side of it for clock drift, and each code good once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pyotp

from accounts.models import User
from accounts.users import enable_totp, totp_matches

SECRET_KEY = "a-secret-key-for-sealing-seeds-in-tests"
T0 = 1_800_000_000.0  # a fixed moment, on a step boundary (30 divides it)


def _user_with_totp() -> tuple[User, pyotp.TOTP]:
    user = User(username="editor", password_hash="x")
    uri = enable_totp(user, SECRET_KEY, "Hambastegi")
    return user, pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0])


def test_without_a_second_factor_any_code_passes() -> None:
    user = User(username="editor", password_hash="x")

    assert totp_matches(user, "", SECRET_KEY)


def test_the_current_code_and_its_neighbours_match() -> None:
    for offset in (-30, 0, 30):
        user, totp = _user_with_totp()

        assert totp_matches(user, totp.at(T0 + offset), SECRET_KEY, at=T0)


def test_a_code_two_steps_away_does_not_match() -> None:
    user, totp = _user_with_totp()

    assert not totp_matches(user, totp.at(T0 - 60), SECRET_KEY, at=T0)
    assert not totp_matches(user, totp.at(T0 + 60), SECRET_KEY, at=T0)


def test_a_code_is_good_only_once() -> None:
    user, totp = _user_with_totp()
    code = totp.at(T0)

    assert totp_matches(user, code, SECRET_KEY, at=T0)
    assert not totp_matches(user, code, SECRET_KEY, at=T0 + 5)


def test_after_a_code_is_used_an_older_one_is_refused() -> None:
    user, totp = _user_with_totp()

    assert totp_matches(user, totp.at(T0), SECRET_KEY, at=T0)
    assert not totp_matches(user, totp.at(T0 - 30), SECRET_KEY, at=T0)
    assert totp_matches(user, totp.at(T0 + 30), SECRET_KEY, at=T0 + 30)


def test_spaces_in_the_code_are_ignored() -> None:
    user, totp = _user_with_totp()
    code = totp.at(T0)

    assert totp_matches(user, f" {code[:3]} {code[3:]} ", SECRET_KEY, at=T0)


def test_a_new_seed_forgets_the_last_step() -> None:
    user, totp = _user_with_totp()
    assert totp_matches(user, totp.at(T0), SECRET_KEY, at=T0)

    uri = enable_totp(user, SECRET_KEY, "Hambastegi")
    fresh = pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0])

    assert totp_matches(user, fresh.at(T0), SECRET_KEY, at=T0)
