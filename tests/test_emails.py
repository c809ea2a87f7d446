"""Email syntax (email-validator, no network) and the normal form of a mailbox."""

from __future__ import annotations

import pytest

from wom.emails import PROVIDER_RULES, looks_like_email, normalise_email


@pytest.mark.parametrize(
    "text",
    ["zoe@example.org", "Zoë.Dupont+promo@bücher.de", "a_b-c@sub.example.co.uk"],
)
def test_addresses_one_can_send_to_pass(text):
    assert looks_like_email(text)


@pytest.mark.parametrize(
    "text",
    [
        "zoe@localhost",  # no dot in the domain
        "zoe@example",
        "a..b@example.org",  # two dots in a row
        ".zoe@example.org",
        "zoe@-example.org",
        "zoe example@example.org",
        '"zoe"@example.org',  # quoted local parts: legal, but never typed
        "zoe@[192.0.2.1]",
        "zoe@example.invalid",  # a reserved name
        "zoe@@example.org",
        "x" * 65 + "@example.org",  # local part over 64 characters
        "z@" + "a" * 250 + ".org",
    ],
)
def test_anything_else_is_refused(text):
    assert not looks_like_email(text)


@pytest.mark.parametrize(
    "a, b",
    [
        ("zoe@gmail.com", "Z.O.E+promo@googlemail.com"),
        ("alice@outlook.com", "ALICE+1@outlook.com"),
        ("alice@hotmail.com", "alice+x@hotmail.com"),
        ("alice@live.com", "alice+x@live.com"),
        ("alice@icloud.com", "alice+x@icloud.com"),
        ("alice@mac.com", "alice+x@mac.com"),
        ("alice@fastmail.com", "alice+x@fastmail.com"),
        ("alice@protonmail.com", "alice+x@protonmail.com"),
        ("alice@yahoo.com", "alice-keyword@yahoo.com"),
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
        ("ana@BÜCHER.DE", "ana@bücher.de."),
        ("zoé@example.org", "zoe\u0301@example.org"),  # é composed or not
    ],
)
def test_two_addresses_of_one_mailbox_share_the_normal_form(a, b):
    assert normalise_email(a) == normalise_email(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("alice@outlook.com", "a.lice@outlook.com"),
        ("alice@example.org", "alice+x@example.org"),
        ("alice@yahoo.com", "alice+x@yahoo.com"),
        ("alice@icloud.com", "alice@me.com"),  # tags only: two domains, two boxes
    ],
)
def test_other_mailboxes_keep_their_own(a, b):
    assert normalise_email(a) != normalise_email(b)


def test_a_tag_alone_is_not_a_mailbox_name():
    assert normalise_email("+x@outlook.com") == "+x@outlook.com"


def test_every_provider_rule_is_known():
    assert set(PROVIDER_RULES.values()) == {"gmail", "plus", "hyphen"}
