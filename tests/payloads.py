"""Strings from strangers that must stay inert wherever wom shows them, and
addresses that must never send a browser to another site."""

XSS_CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
    "Zoë\u2028alert(1)\u2029",
    "'-alert(1)-'",
]
LONG_TEXT = "A" * 10_240

# The soak's corpus (soak/check_browser_abuse.py): the tests' six first, then the
# most different ways out of an element, an attribute, a script block, a URL or a
# template, in the order the default soak takes them (its first 20), then the
# rest, which ``make soak LONG=1`` adds. Each calls alert, confirm or prompt, so a
# payload that runs opens a dialog; under the CSP it is a violation instead.
XSS_SOAK_CORPUS = [
    *XSS_CORPUS,
    "<svg onload=alert(1)>",
    "' autofocus onfocus='alert(1)' x='",
    '" autofocus onfocus="alert(1)" x="',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '"};alert(1);//',
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<details open ontoggle=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "{{7*7}}${alert(1)}{{constructor.constructor('alert(1)')()}}",
    "<base href=\"//evil.example/\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    # The rest: the long soak only.
    "</style><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "]]><script>alert(1)</script>",
    "</script><!--",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button autofocus>x</button></form>',
    "<style>@import 'javascript:alert(1)';</style>",
    "<input autofocus onfocus=alert(1)>",
    "<body onload=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    '"><script src=data:,alert(1)></script>',
    "<script>confirm(1)</script>",
    "<script>prompt(1)</script>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG SRC=javascript:alert('XSS')>",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<svg/onload=alert(1)//",
    "</script><svg onload=alert(1)>",
    '<a href=" javascript:alert(1)">x</a>',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<img src=x:alert(alt) onerror=eval(src) alt=1>",
    "Zoë \u202egnp.exe\u202c 🙂",
    "javascript:/*--></title></style></textarea></script></xmp>"
    "<svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
]

# Where a parameter (``next``, ``ref``, a path segment...) might try to send a
# browser: other sites written every way a browser still reads as another site,
# and scripts (soak/check_browser_abuse.py). None may come back in a Location.
REDIRECT_CORPUS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    "https://evil.example",
    "HTTPS://EVIL.EXAMPLE/",
    " //evil.example",
    "//evil.example@127.0.0.1",
    "//127.0.0.1@evil.example",
    "https://127.0.0.1.evil.example/",
    "/dashboard/../\\evil.example",
    "/dashboard\\@evil.example",
    "/dashboard@evil.example",
    "//evil.example/dashboard",
    "/\u3002evil.example",
    "//evil%2Eexample",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]
