"""Check 8, privacy: after an erasure, none of the person's strings is left on
disk, and no raw IP address was ever stored.

A person, Zoë, arrives the ways people do: a click on a friend's link and the
sign-up form (with a "who told you" answer and consent to the visitor cookie),
from her own address behind the site's proxy; then the shop's CRM updates her
through the API (a stored idempotent response) and records her purchase, her
mention and her referral; another customer names her by email in their answer.
Two webhook endpoints get every event: one echoes each message back (wom keeps
its answer), one fails (the messages wait in the outbox).

She is erased (DELETE /api/v1/customers/{id}); once the server's scrub is done,
more webhook rounds run and a backup is made with ``flask --app wom backup``.
Must hold: the scan finds her strings before (a negative control), and none of
them after, in the database file, its WAL, the backup, the webhook outbox and
the delivery records; the aggregate figures are unchanged; and none of the
client addresses used is stored anywhere, before or after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from soak import Figure
from soak.abuse_receiver import Receiver
from soak.abuse_scan import (
    address_forms,
    database_files,
    forms,
    found_in,
    found_in_tables,
)
from soak.abuse_site import KEYS, Client, Site, serve

__all__ = ["ADDRESSES", "PERSON", "measure", "run"]

CHECK = "privacy"
PERSON = {
    "name": "Zoë Soak-Erasable",
    "email": "zoe.soak.erasable@example.org",
    "answer": "Bob from the bakery on Rue Dupont",
}
# The client addresses used (documentation ranges), as the proxy forwards them.
ADDRESSES = {
    "zoe": "203.0.113.57",
    "bob": "198.51.100.23",
    "fay": "2001:db8::fa",
    "clicker": "192.0.2.44",
}
WEBHOOK_TABLES = {
    "the webhook outbox": ["webhook_messages"],
    "the delivery records": ["webhook_deliveries", "webhook_attempts"],
}
SCRUB_DEADLINE = 30  # seconds for the server's scrub after the erasure


def _customer(admin: Client, body: dict, key: str | None = None) -> None:
    headers = {"Idempotency-Key": key} if key else {}
    made = admin.post("/api/v1/customers", json=body, headers=headers)
    assert made.status_code in (200, 201), made.text


def _arrive(site: Site, admin: Client) -> str:
    """Zoë's story, and her external id."""
    _customer(
        admin,
        {
            "id": "soak-bob",
            "name": "Bob Baker",
            "email": "bob.baker@example.org",
            "acquired_at": "2026-01-01T00:00:00Z",
        },
    )
    code = admin.post("/api/v1/customers/soak-bob/links", json={}).json()["code"]
    zoe = site.client(address=ADDRESSES["zoe"])
    joined = zoe.sign_up(
        f"/r/{code}",
        name=PERSON["name"],
        email=PERSON["email"],
        heard_from=PERSON["answer"],
        consent="y",
    )
    assert joined.status_code == 303, joined.text
    share = zoe.get(joined.headers["Location"]).text
    zoe.close()
    found = [
        row
        for row in admin.get("/api/v1/customers?limit=100").json()["items"]
        if row.get("email") == PERSON["email"]
    ]
    external_id = found[0]["id"]
    _customer(
        admin,
        {"id": external_id, "name": PERSON["name"], "email": PERSON["email"]},
        key="crm-update-zoe",
    )
    told = [
        {
            "type": "purchase",
            "customer": external_id,
            "value": 42,
            "at": "2026-11-02T10:00:00Z",
        },
        {
            "type": "mention",
            "from": external_id,
            "to": "soak-dan",
            "at": "2026-11-03T10:00:00Z",
        },
        {
            "type": "referral",
            "from": external_id,
            "to": "soak-eve",
            "at": "2026-11-04T10:00:00Z",
        },
        {
            "type": "signup",
            "customer": "soak-eve",
            "name": "Eve Other",
            "at": "2026-11-05T10:00:00Z",
        },
    ]
    assert admin.post("/api/v1/events", json={"events": told}).status_code == 200
    link = admin.post(f"/api/v1/customers/{external_id}/links", json={}).json()
    clicker = site.client(address=ADDRESSES["clicker"])
    assert clicker.get(f"/r/{link['code']}").status_code == 200
    fay = site.client(address=ADDRESSES["fay"])
    assert (
        fay.sign_up(
            "/join",
            name="Fay Friend",
            email="fay@example.org",
            heard_from=PERSON["email"],
        ).status_code
        == 303
    )
    assert "Zoë" in share  # her share page greeted her
    return external_id


def aggregates(admin: Client) -> dict:
    """Figures that must not change, with people's names and ids left out."""
    customers = admin.get("/api/v1/customers?limit=1000").json()["items"]
    starters = admin.get("/api/v1/starters?by=reach&limit=10").json()["items"]
    cascades = admin.get("/api/v1/cascades?limit=100").json()["items"]
    return {
        "customers": len(customers),
        "via": sorted(row["acquired_via"] for row in customers),
        "reach": sorted(
            (row["reach"], row["conversations_started"], row["referred_value"])
            for row in starters
        ),
        "cascades": sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "root"))
            for row in cascades
        ),
    }


def _deliver(site: Site) -> None:
    deliverer = site.app.extensions["wom.webhooks"].deliverer
    while deliverer.run_once():
        pass


def _backup(site: Site, target: Path) -> None:
    """``flask --app wom backup`` of the site's database, as the README says."""
    env = {
        **os.environ,
        "WOM_DATABASE": str(site.db_path),
        "WOM_SECRET_KEY": KEYS["SECRET_KEY"],
        "WOM_IP_KEY": KEYS["IP_HMAC_KEY"],
        "WOM_WEBHOOK_KEY": KEYS["WEBHOOK_KEY"],
    }
    flask = Path(sys.executable).with_name("flask")
    subprocess.run(
        [str(flask), "--app", "wom", "backup", str(target)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _scan(site: Site, needles: dict, backup: Path | None) -> dict[str, list]:
    files = database_files(site.db_path) + ([backup] if backup else [])
    found = {"the database file, WAL and backup": found_in(files, needles)}
    for where, tables in WEBHOOK_TABLES.items():
        found[where] = found_in_tables(site.db_path, tables, needles)
    return found


def measure(site: Site, scrub_deadline: float = SCRUB_DEADLINE) -> list[Figure]:
    """Zoë's story, her erasure, and the scans; the figures. The scans wait up
    to ``scrub_deadline`` seconds for the server's scrub to finish."""
    admin = site.client(token=site.token("admin"))
    with (
        Receiver(lambda n, body: (200, body)) as echo,
        Receiver(lambda n, body: (503, b"")) as failing,
    ):
        for receiver in (echo, failing):
            made = admin.post(
                "/api/v1/webhooks",
                json={
                    "url": receiver.url,
                    "events": [
                        "customer.created",
                        "flag.opened",
                        "referral.credited",
                    ],
                },
            )
            assert made.status_code == 201, made.text
        external_id = _arrive(site, admin)
        _deliver(site)
        before = aggregates(admin)
        needles = {what: forms(text) for what, text in PERSON.items()}
        needles["external id"] = forms(external_id)
        addresses = {address: address_forms(address) for address in ADDRESSES.values()}
        found_before = _scan(site, needles, None)
        erased = admin.delete(f"/api/v1/customers/{external_id}")
        assert erased.status_code == 204, erased.text
        deadline = time.monotonic() + scrub_deadline
        files = database_files(site.db_path)
        while found_in(files, needles) and time.monotonic() < deadline:
            time.sleep(0.2)
        _deliver(site)  # retries after the erasure, and their records
        after = aggregates(admin)
    backup = site.folder / "backup-after-erasure.db"
    _backup(site, backup)
    found_after = _scan(site, needles, backup)
    ips = found_in(database_files(site.db_path) + [backup], addresses)
    admin.close()
    figures = [
        Figure(
            CHECK,
            "her strings found before the erasure",
            len(found_before["the database file, WAL and backup"]),
            holds=len(found_before["the database file, WAL and backup"]) > 0,
            note="the scan's negative control: name, email, answer, id",
        ),
    ]
    for where, found in found_after.items():
        figures.append(
            Figure(
                CHECK,
                f"her strings in {where} after",
                len(found),
                holds=not found,
                note=f"before: {len(found_before[where])}"
                + (f"; first: {found[0]}" if found else ""),
            )
        )
    figures += [
        Figure(
            CHECK,
            "aggregate figures unchanged",
            before == after,
            holds=before == after,
            note="customers, reach, cascades",
        ),
        Figure(
            CHECK,
            "raw client addresses stored",
            len(ips),
            holds=not ips,
            note=f"{len(ADDRESSES)} addresses, IPv4 and IPv6"
            + (f"; first: {ips[0]}" if ips else ""),
        ),
    ]
    return figures


def run(level: str) -> list[Figure]:
    """The check (the same at every level: one person's story)."""
    with serve(TRUSTED_PROXIES=1, webhook_loopback=True) as site:
        return measure(site)
