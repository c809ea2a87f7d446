"""The owner's exports, streamed: people with their figures as CSV, and the
conversation graph as GEXF (Gephi, with its timeline) or GraphML.

Every document is a generator of text pieces, one chunk of rows each, built from
the store's chunked readers and the analytics service's figures: a million
people never make a whole document in memory. No Flask here; the dashboard
wraps these in streamed responses.
"""

from .documents import graph_document, people_csv

__all__ = ["graph_document", "people_csv"]
