"""flask --app wom reward-rules (show, set, clear) and approve-rewards."""

from __future__ import annotations

from tests.rewards_helpers import day, ledger, send, set_reward_rules


def run(runner, *args: str):
    return runner.invoke(args=list(args))


def test_no_rules_at_first(runner):
    result = run(runner, "reward-rules")
    assert result.exit_code == 0, result.output
    assert "In force: no rules; new credits earn nothing." in result.output


def test_set_shows_the_rule_in_words(runner):
    result = run(runner, "reward-rules", "set", "--side", "both", "--amount", "5")
    assert result.exit_code == 0, result.output
    shown = run(runner, "reward-rules").output
    assert (
        "The referrer and the friend each get €5.00 when the friend signs up; "
        "approved after 14 days." in shown
    )


def test_setting_one_side_keeps_the_other(runner):
    run(runner, "reward-rules", "set", "--side", "both", "--amount", "5")
    run(
        runner,
        "reward-rules",
        "set",
        "--side",
        "friend",
        "--perk",
        "a free bag",
        "--trigger",
        "purchase",
        "--min-purchase",
        "20",
        "--cap",
        "3",
    )
    shown = run(runner, "reward-rules").output
    assert "The referrer gets €5.00 when" in shown
    assert "The friend gets a free bag when they make a first purchase" in (
        " ".join(shown.split())
    )


def test_clear_ends_one_side(runner):
    run(runner, "reward-rules", "set", "--side", "both", "--amount", "5")
    run(runner, "reward-rules", "clear", "--side", "referrer")
    shown = run(runner, "reward-rules").output
    assert "The friend gets €5.00" in shown and "referrer gets" not in shown


def test_a_bad_amount_is_refused_naming_it(runner, db):
    result = run(runner, "reward-rules", "set", "--side", "both", "--amount", "5.001")
    assert result.exit_code == 1
    assert "rules[0].amount: give a number from 0 to" in result.output
    assert db.execute("SELECT count(*) FROM reward_log").fetchone()[0] == 0


def test_approve_rewards_approves_what_is_due(runner, app):
    store = app.extensions["wom.store"]
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(store, {"side": "referrer", "trigger": "signup", "amount": "5"})
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    result = run(runner, "approve-rewards")
    assert result.exit_code == 0 and "Approved 1 reward." in result.output
    assert [r["state"] for r in ledger(store).values()] == ["approved"]
