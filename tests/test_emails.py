"""Email syntax (email-validator, no network) and the normal form of a mailbox."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Addresses near every edge email-validator draws: its characters and their
# neighbours before the @, special-use and numeric top-level domains, IDNA
# labels, and lengths around 64 before the @, 63 a label and 254 in all.
_ATEXT = st.sampled_from(list("azAZ09!#$%&'*+-/=?^_`{|}~"))
_LOCALS = st.one_of(
    st.lists(st.text(_ATEXT, min_size=1, max_size=6), min_size=1, max_size=4).map(
        ".".join
    ),
    st.sampled_from(["zoe", "Zoe.Dupont+promo", "info", "x" * 64, "x" * 65, "é"]),
    st.text(st.sampled_from(list('a.."(),:;<>@[\\] é\x00\x7f')), max_size=8),
)
_NAMES = st.one_of(
    st.sampled_from(["example", "EXAMPLE", "gmail", "b-c", "xn--bcher-kva", "9a"]),
    # Longer in UTF-8 than in IDNA: 中 repeated (xn--fiqaaa... is 中中中...).
    st.integers(7, 56).map(lambda n: "xn--fiq" + "a" * n),
)
_TLDS = st.sampled_from(["org", "com", "de", "co.uk", "xn--p1ai", "museum"])
_LABELS = st.one_of(
    _NAMES,
    st.sampled_from(["local", "localhost", "test", "invalid", "onion", "arpa"]),
    st.sampled_from(["123", "1a", "-a", "a-", "a_b", "", "é", "\u0338", "xn--zz"]),
    st.sampled_from(["xn--a", "bücher", "ＡＢ", "a\u3002b", "a b", "a@b", "[1.2.3.4]"]),
    st.text(st.sampled_from("ab9-_."), max_size=8),
    st.integers(60, 64).map(lambda n: "a" * n),
)
_DOMAINS = st.one_of(
    st.tuples(st.lists(_NAMES, min_size=1, max_size=2), _TLDS).map(
        lambda parts: ".".join([*parts[0], parts[1]])
    ),
    st.lists(_LABELS, min_size=1, max_size=4).map(".".join),
)


@st.composite
def _addresses(draw) -> str:
    local = draw(_LOCALS)
    padding = draw(st.sampled_from(["", "", "", "a" * 63 + ".", ("a" * 62 + ".") * 3]))
    at = draw(st.sampled_from(["@", "@", "@", "@", "@@", "＠", "<"]))
    return local + at + padding + draw(_DOMAINS)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_addresses(), _addresses(), _addresses(), st.text(max_size=80)))
def test_the_answer_is_exactly_email_validators(text):
    try:
        validate_email(text, check_deliverability=False, strict=True)
    except EmailNotValidError:
        expected = False
    else:
        expected = True
    assert looks_like_email(text) is expected
    assert looks_like_email(text) is expected  # and again, its domain known
