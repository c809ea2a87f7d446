"""The use cases: what the owner, a visitor or an integrator can do, one function
each, free of Flask.

Web pages, API views and CLI commands parse their input, call one of these and
render what it returns. Each runs on the store's one write road, and the store
tells its subscribers what changed after COMMIT: nothing here notifies by hand.
A ``within(db, ...)`` callback, where an action takes one, runs inside the
transaction before COMMIT (the API keeps its idempotent response there, so that
both commit or neither does).
"""

from .answers import resolve_answer
from .clicks import record_click
from .customers import SavedCustomer, create_link, erase_customer, save_customer
from .events import record_events
from .flags import decide_flag
from .owners import (
    LoggedIn,
    change_password,
    create_owner,
    log_in,
    log_out,
    make_setup_code,
    set_up_first_owner,
)
from .rewards import (
    approve_due_rewards,
    decide_rewards,
    set_reward_rules,
    set_side_rules,
)
from .settings import change_setting
from .signups import SignUp, sign_up
from .tokens import create_token, note_token_use, revoke_token
from .webhooks import (
    add_webhook,
    enable_webhook,
    remove_webhook,
    resend_delivery,
    rotate_webhook_secret,
    send_test_webhook,
)

__all__ = [
    "LoggedIn",
    "approve_due_rewards",
    "decide_rewards",
    "set_reward_rules",
    "set_side_rules",
    "SavedCustomer",
    "SignUp",
    "add_webhook",
    "change_password",
    "change_setting",
    "create_link",
    "create_owner",
    "create_token",
    "decide_flag",
    "enable_webhook",
    "erase_customer",
    "log_in",
    "log_out",
    "make_setup_code",
    "note_token_use",
    "record_click",
    "record_events",
    "remove_webhook",
    "resend_delivery",
    "resolve_answer",
    "revoke_token",
    "rotate_webhook_secret",
    "save_customer",
    "send_test_webhook",
    "set_up_first_owner",
    "sign_up",
]
