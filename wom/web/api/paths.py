"""The paths of the OpenAPI document: every URL, method, parameter and response.

The bodies they name are the contract's components (``wom.contract.document``).
"""

from __future__ import annotations

from ...analytics.buckets import BUCKETS, MAX_BUCKETS
from ...contract import MAX_EVENTS
from ...service import CASCADE_SORTS
from ...service.background import SEED_K
from .figures import STARTER_RANKINGS
from .flags import FLAG_KINDS
from .graph import EDGE_KINDS, FORMATS
from .operations import (
    ID_PARAM,
    JSON,
    READ_ERRORS,
    WRITE_ERRORS,
    body,
    cursor,
    enum,
    errors,
    events_body,
    json_reply,
    limit,
    operation,
    query,
    ref,
    when,
    whole,
)
from .reward_paths import reward_paths
from .webhook_paths import webhook_paths

__all__ = ["paths"]


def _people() -> dict:
    return {
        "/customers": {
            "get": operation(
                "List customers",
                "Customers a page at a time (keyset cursor), filtered by how they "
                "were acquired and when, sorted from an allow-list.",
                json_reply("CustomerPage", "A page of customers.")
                | errors(*READ_ERRORS),
                tag="People",
                parameters=[
                    enum(
                        "acquired_via",
                        ("root", "referred", "mention"),
                        "Only customers acquired this way.",
                    ),
                    when("from", "Acquired at or after."),
                    when("to", "Acquired before."),
                    enum(
                        "sort",
                        ("acquired_at", "-acquired_at", "id", "-id"),
                        "Order; `-` for descending.",
                        "acquired_at",
                    ),
                    limit(100),
                    cursor(),
                ],
            ),
            "post": operation(
                "Create or update a customer",
                "By external id. With `acquired_at` the customer signs up at that "
                "time (through the event log); without it the person is kept as a "
                "prospect until a sign-up or purchase arrives.",
                json_reply("Customer", "Updated.")
                | json_reply("Customer", "Created.", status=201)
                | errors(*WRITE_ERRORS),
                tag="People",
                body=body("CustomerInput"),
                write=True,
            ),
        },
        "/customers/{external_id}": {
            "get": operation(
                "One customer, with every figure about them",
                "The person, every docs/metrics.md figure that concerns them, their "
                "credited referrer, their links and all their touches.",
                json_reply("CustomerDetail", "The person.") | errors(*READ_ERRORS, 404),
                tag="People",
                parameters=[ID_PARAM],
            ),
            "delete": operation(
                "Erase a person",
                "Right to be forgotten: names, emails and free text are deleted, "
                "the node gets a random pseudonym (no mapping kept) and the bytes "
                "are scrubbed from the file and the WAL (VACUUM: writes wait for "
                "it; a reader still using old frames delays the scrub by seconds). "
                "Aggregate figures stay. Send no personal data in event_id: the "
                "event log is append-only.",
                {"204": {"description": "Erased."}} | errors(*WRITE_ERRORS, 404),
                tag="People",
                parameters=[ID_PARAM],
                write=True,
            ),
        },
        "/customers/{external_id}/links": {
            "get": operation(
                "A person's referral links",
                "Each with its human clicks, bot clicks and sign-ups.",
                json_reply("LinkList", "The links.") | errors(*READ_ERRORS, 404),
                tag="People",
                parameters=[ID_PARAM],
            ),
            "post": operation(
                "Give a person a referral link",
                "A random unambiguous code unless `code` is given.",
                json_reply("Link", "Created.", status=201) | errors(*WRITE_ERRORS, 404),
                tag="People",
                parameters=[ID_PARAM],
                body=body("LinkInput"),
                write=True,
            ),
        },
        "/events": {
            "post": operation(
                "Record events",
                f"All or nothing, up to {MAX_EVENTS:,} per request. An `event_id` "
                "seen before from this token is skipped (a replay). Answered after "
                "COMMIT.",
                json_reply("IngestResult", "Stored.") | errors(*WRITE_ERRORS),
                tag="Events",
                body=events_body(),
                write=True,
            ),
        },
    }


def _figures() -> dict:
    def read(summary, description, schema, what, parameters=(), missing=()):
        return {
            "get": operation(
                summary,
                description,
                json_reply(schema, what) | errors(*READ_ERRORS, *missing),
                tag="Figures",
                parameters=parameters,
            )
        }

    return {
        "/starters": read(
            "Top conversation starters",
            "Customers ranked by a figure, ties by the next figure, then id. "
            "`since` counts only people acquired (and conversations begun) "
            "since then, for by=reach, conversations or direct.",
            "StarterPage",
            "The ranking.",
            [
                enum("by", STARTER_RANKINGS, "The figure to rank by.", "reach"),
                limit(10),
                when("since", "Count only what happened since."),
                enum("include", ("prospects",), "Rank prospects too."),
            ],
        ),
        "/cascades": read(
            "The largest cascades",
            "Roots of the referral forest with their cascade's figures.",
            "CascadePage",
            "The cascades.",
            [
                enum(
                    "by", CASCADE_SORTS, "The figure to sort by, largest first.", "size"
                ),
                limit(10),
            ],
        ),
        "/cascades/{root_id}": read(
            "One cascade, as a nested tree",
            "The cascade's figures and its tree down to `max_depth` generations.",
            "CascadeTree",
            "The cascade.",
            [
                ID_PARAM | {"name": "root_id"},
                whole(
                    "max_depth",
                    0,
                    100,
                    20,
                    "Generations to show; `hidden` counts the rest.",
                ),
            ],
            missing=(404,),
        ),
        "/spread": read(
            "Spread over time",
            "The series per bucket, with wom_share, k_factor and cycle_time over "
            "the range. Buckets follow the business's time zone. A series holds "
            f"at most {MAX_BUCKETS:,} buckets: past that, 400 (ask for a coarser "
            "bucket or a narrower range).",
            "Spread",
            "The series.",
            [
                enum("bucket", BUCKETS, "Bucket size (weeks start on Monday).", "week"),
                when("from", "Start of the range."),
                when("to", "End of the range (exclusive)."),
            ],
        ),
        "/communities": read(
            "Communities (background)",
            "Louvain up to 100,000 people, label propagation above, with each "
            "community's top starter and word-of-mouth share.",
            "Communities",
            "The communities.",
            [
                limit(50),
                whole("members", 0, 10000, 100, "Members to list per community."),
            ],
        ),
        "/bridges": read(
            "Bridges (background)",
            "Customers with the highest betweenness; sampled above 5,000 people.",
            "Bridges",
            "The bridges.",
        ),
        "/seeds": read(
            "Whom to encourage next (background)",
            "The k customers that together maximise the expected spread (CELF).",
            "Seeds",
            "The seed set.",
            [whole("k", 1, SEED_K, SEED_K, "How many seeds.")],
        ),
    }


def _review_and_graph() -> dict:
    either = "|".join(EDGE_KINDS)
    return {
        "/flags": {
            "get": operation(
                "Review flags",
                "Self-referrals, held credits, rings, reciprocal pairs and bursts.",
                json_reply("FlagPage", "A page of flags.") | errors(*READ_ERRORS),
                tag="Review",
                parameters=[
                    enum("kind", FLAG_KINDS, "Only flags of this kind."),
                    enum(
                        "status",
                        ("open", "approved", "voided"),
                        "Only flags in this state.",
                    ),
                    limit(100),
                    cursor(),
                ],
            ),
        },
        "/flags/{flag_id}": {
            "post": operation(
                "Approve or void a flagged credit",
                "Approving a held credit makes it count; voiding it moves the "
                "credit to the next eligible touch.",
                json_reply("ReviewOutcome", "Decided.") | errors(*WRITE_ERRORS, 404),
                tag="Review",
                parameters=[
                    {
                        "name": "flag_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    }
                ],
                body=body("FlagDecision"),
                write=True,
            ),
        },
        "/graph": {
            "get": operation(
                "Export the conversation graph",
                "JSON node-link, GEXF (with `start` per node and edge for Gephi's "
                "timeline) or GraphML. People by external id; times ISO 8601.",
                {
                    "200": {
                        "description": "The graph.",
                        "content": {
                            FORMATS["json"]: {"schema": ref("NodeLinkGraph")},
                            FORMATS["gexf"]: {"schema": {"type": "string"}},
                            FORMATS["graphml"]: {"schema": {"type": "string"}},
                        },
                    }
                }
                | errors(*READ_ERRORS),
                tag="Graph",
                parameters=[
                    enum("format", FORMATS, "The file format.", "json"),
                    when(
                        "since", "Conversations begun since, and the people they join."
                    ),
                    query(
                        "kinds",
                        {"type": "string", "pattern": f"^({either})(,({either}))*$"},
                        "Comma-separated edge kinds to keep.",
                    ),
                ],
            ),
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["Meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def paths() -> dict:
    """Every path of /api/v1, with its operations."""
    return (
        _people() | _figures() | _review_and_graph() | webhook_paths() | reward_paths()
    )
