"""Word-of-mouth figures: pure functions of the conversation graph and referral forest.

Nothing here touches SQL or Flask. Each module owns one concern;
see docs/metrics.md.
"""
