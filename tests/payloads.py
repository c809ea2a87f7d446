"""Strings from strangers that must stay inert wherever wom shows them."""

XSS_CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
    "Zoë\u2028alert(1)\u2029",
    "'-alert(1)-'",
]
LONG_TEXT = "A" * 10_240
