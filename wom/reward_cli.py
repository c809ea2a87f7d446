"""The reward commands: ``reward-rules`` (show, set, clear) and
``approve-rewards`` for cron where no server runs."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import actions
from .cli_support import app_store, clear_errors, day_of
from .store import now_micros

__all__ = ["REWARD_COMMANDS"]


@click.group("reward-rules", invoke_without_command=True)
@click.pass_context
@clear_errors
@with_appcontext
def reward_rules(context):
    """Show the reward rules in force (and any set for later); set or clear one."""
    if context.invoked_subcommand is not None:
        return
    from .store.reward_rules import rules_view
    from .web.reward_words import rules_lines

    for line in rules_lines(rules_view(app_store().reader(), now_micros()), day_of):
        click.echo(line)


@reward_rules.command("set")
@click.option(
    "--side", type=click.Choice(["referrer", "friend", "both"]), required=True
)
@click.option("--trigger", type=click.Choice(["signup", "purchase"]), default="signup")
@click.option("--amount", help="In major units of the currency, such as 5.00.")
@click.option("--perk", help='A described reward instead, such as "a free bag".')
@click.option("--min-purchase", help="With --trigger purchase: the least first one.")
@click.option("--cap", type=int, help="At most this many a month per referrer.")
@click.option("--hold-days", type=int, default=14, show_default=True)
@clear_errors
@with_appcontext
def set_reward_rule(side, trigger, amount, perk, min_purchase, cap, hold_days):
    """Give SIDE this rule from now on (the other side keeps its own)."""
    draft = dict(trigger=trigger, amount=amount, perk=perk, hold_days=hold_days)
    draft |= {"min_purchase": min_purchase, "cap_per_month": cap}
    actions.set_side_rules(app_store(), side, draft, now=now_micros(), by="cli")
    click.echo(f"Reward rule for {side} set from now on.")


@reward_rules.command("clear")
@click.option(
    "--side", type=click.Choice(["referrer", "friend", "both"]), default="both"
)
@clear_errors
@with_appcontext
def clear_reward_rule(side):
    """End SIDE's rewards for credits from now on (both sides by default)."""
    actions.set_side_rules(app_store(), side, None, now=now_micros(), by="cli")
    click.echo(f"Reward rules for {side} cleared from now on.")


@click.command("approve-rewards")
@clear_errors
@with_appcontext
def approve_rewards():
    """Approve the rewards whose hold has ended (a server does it every minute;
    run this from cron where none runs)."""
    count = actions.approve_due_rewards(app_store(), now=now_micros())
    click.echo(f"Approved {count} reward{'s' * (count != 1)}.")


REWARD_COMMANDS = [reward_rules, approve_rewards]
