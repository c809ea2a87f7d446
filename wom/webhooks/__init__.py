"""Signed webhooks: tell other systems what happened, at least once.

The outbox (``wom.store.outbox``) writes a message in the transaction of the
change it tells of; ``worker.Deliverer`` sends it to every subscribed endpoint,
signed the Standard Webhooks way (``signing``), to addresses the SSRF policy
checked (``addresses``), over a deadline-bound transport (``transport``).
Endpoint secrets are sealed at rest (``sealing``). No Flask here.
"""

from typing import NamedTuple

from .addresses import LOOPBACK_FLAG, Policy, Refused, Target
from .sealing import Sealer, WrongKey
from .signing import new_secret, sign
from .worker import Deliverer

__all__ = [
    "LOOPBACK_FLAG",
    "Webhooks",
    "Deliverer",
    "Policy",
    "Refused",
    "Sealer",
    "Target",
    "WrongKey",
    "new_secret",
    "sign",
]


class Webhooks(NamedTuple):
    """What an app keeps for webhooks: the sealer of secrets, the targets'
    policy and the delivery worker."""

    sealer: Sealer
    policy: Policy
    deliverer: Deliverer
