"""The posting gate as domain code: plain values in, a Refusal or leave to post out; no request."""

import pytest

from leftbook.abuse import captcha, lockdown
from leftbook.abuse.flood import FloodLimits
from leftbook.database import database
from leftbook.posting import gate
from leftbook.refusal import Refusal

SECRET = b"s" * 32
TOKEN = "t" * 43


@pytest.fixture
def soc(app):
    with app.app_context(), database.connection_context():
        yield app.config["BOARDS"]["soc"]


def policy(**fields) -> gate.GatePolicy:
    return gate.GatePolicy(secret=SECRET, **{"captcha": "off", "flood": False, **fields})


def test_read_only_board_refuses_with_its_notice(soc):
    lockdown.set_lockdown("soc", "readonly")
    assert "read-only" in gate.form_gate(soc, True, None, policy()).closed
    with pytest.raises(Refusal, match="read-only") as refused:
        gate.let_in(soc, True, None, ("", ""), policy())
    assert refused.value.status == 403


def test_captcha_needed_then_solved_gives_a_pass_that_admits_posts(soc):
    always = policy(captcha="always")
    assert gate.form_gate(soc, False, None, always).needs_captcha
    with pytest.raises(Refusal) as refused:
        gate.let_in(soc, False, None, ("", ""), always)
    assert refused.value.captcha and "captcha" in refused.value.message
    challenge = captcha.new_challenge(SECRET)
    typed = captcha.answer_for(SECRET, captcha.read_challenge(SECRET, challenge).id).lower()
    ticket = gate.let_in(soc, False, None, (challenge, typed), always)
    assert ticket.pass_id and ticket.new_pass
    assert not gate.form_gate(soc, False, ticket.new_pass, always).needs_captcha
    again = gate.let_in(soc, False, ticket.new_pass, ("", ""), always)
    assert again.pass_id == ticket.pass_id and again.new_pass is None


def test_a_wrong_answer_is_refused_and_grants_nothing(soc):
    challenge = captcha.new_challenge(SECRET)
    with pytest.raises(Refusal, match="wrong") as refused:
        gate.let_in(soc, True, None, (challenge, "nope"), policy(captcha="always"))
    assert refused.value.captcha


def test_flood_screen_refuses_a_poster_who_is_too_fast(soc, frozen_clock):
    strict = policy(flood=True, limits=FloodLimits(reply_cooldown=30, newcomer_per_minute=99))
    ticket = gate.Ticket()
    with database.atomic():
        gate.screen(soc, None, "first thread", TOKEN, ticket, strict)("first thread")
    with pytest.raises(Refusal, match="too fast") as refused:
        gate.screen(soc, 1, "a reply", TOKEN, ticket, strict)
    assert refused.value.status == 429 and refused.value.extra["retry_after"] == 30


def test_flood_off_lets_everything_through(soc):
    guard = gate.screen(soc, None, "x", TOKEN, gate.Ticket(), policy())
    with database.atomic():
        guard("x")
        gate.screen(soc, None, "x", TOKEN, gate.Ticket(), policy())("x")
