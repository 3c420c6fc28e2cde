"""Malformed requests against a running `tutor serve`: none may get a 5xx.

    python bench/fuzz.py URL [--requests 10000] [--seed 0]

Hypothesis draws each request: a route (`/api/ask`, `/api/study/*`, Gradio's event, call, upload and info
routes, the login and library routes), a method, headers and a body that is wrong in one of many ways —
random bytes, bad or deeply nested JSON, lone surrogates, control and zero-width text, wrong types, unknown
fields, huge values, Gradio payloads with absent or absurd `fn_index` and `data`, bodies over the size limit.
Prints the count per status, the requests per second and every 5xx (with what was sent); exits 1 if there
was any. The test suite runs a few hundred (tests/test_web_fuzz.py); 10,000 is the benchmark.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

POST_ROUTES = [
    "api/ask",
    "api/study/next",
    "api/study/answer",
    "gradio_api/queue/join",
    "gradio_api/call/ask",
    "gradio_api/call/study_answer",
    "gradio_api/call/v2/ask",
    "gradio_api/run/ask",
    "gradio_api/api/ask",
    "gradio_api/call/nope",
    "gradio_api/upload",
    "gradio_api/cancel",
    "gradio_api/reset",
    "gradio_api/component_server",
    "gradio_api/stream/x",
    "login",
    "logout",
]
GET_ROUTES = [
    "api/study/progress",
    "api/study/export",
    "api/study/class",
    "gradio_api/info",
    "config",
    "gradio_api/call/ask/nope",
    "gradio_api/queue/data?session_hash=nope",
    "gradio_api/file=/etc/passwd",
    "gradio_api/file=../../secret",
    "library/..%2F..%2Fetc%2Fpasswd",
    "library/he2015-resnet/page/-1.png",
    "library/he2015-resnet/page/99999999999999999999.png",
    "gradio_api/user",
    "gradio_api/token",
    "login",
    "",
]
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),  # any code point but lone surrogates
    st.sampled_from(["\ud800", "\udfff x", "\x00\x01\x1b[2J", "\u200b\u200b", "\ufeff\u2060", "   ", "ada", ""]),
    st.sampled_from(["What is attention?", "残差连接为什么有用？", "B", "softmax.en.m1", "note-softmax"]),
    st.integers(min_value=0, max_value=4000).map(lambda n: "why " * n),
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4))
FIELDS = ["question", "level", "language", "history", "concept", "lang", "item_id", "answer", "learner", "data"]


def nested(depth: int, opener: str) -> str:
    if opener == "[":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(["bytes", "json", "object", "near", "near", "gradio", "deep", "huge", "broken", "form"])
    )
    if kind == "bytes":
        return bytes(draw(st.binary(max_size=200)))
    if kind == "json":
        return json.dumps(draw(JSON_VALUE)).encode()
    if kind == "object":
        keys = draw(st.lists(st.sampled_from(FIELDS) | TEXT, max_size=5))
        return json.dumps({k: draw(JSON_VALUE) for k in keys}).encode()
    if kind == "near":  # the right fields, each a plausible or a wrong value: gets past the first checks
        level = st.sampled_from(["beginner", "intermediate", "expert"]) | JSON_VALUE
        item = st.sampled_from(["softmax.en.m1", "seq2seq.zh.m2", "residual-connections.en.o1"]) | TEXT
        near = {
            "question": TEXT,
            "level": level,
            "language": st.sampled_from(["auto", "en", "zh"]) | TEXT,
            "history": st.lists(
                st.dictionaries(st.sampled_from(["question", "topic", "facet", "direct"]), TEXT) | TEXT
            ),
            "concept": st.sampled_from(["softmax", "note-seq2seq", ""]) | TEXT,
            "lang": st.sampled_from(["en", "zh"]) | TEXT,
            "item_id": item,
            "answer": TEXT,
        }
        chosen = draw(st.lists(st.sampled_from(sorted(near)), min_size=1, max_size=4, unique=True))
        fields = {name: draw(near[name]) for name in chosen}
        if draw(st.booleans()):
            data = [fields.get("question", "What is attention?"), fields.get("level", "beginner"), "auto", []]
            return json.dumps({"data": data, "fn_index": draw(st.integers(0, 40)), "session_hash": "fuzz"}).encode()
        return json.dumps(fields).encode()
    if kind == "gradio":
        payload: dict[str, Any] = {}
        if draw(st.booleans()):
            payload["data"] = draw(st.lists(JSON_VALUE, max_size=6) | JSON_VALUE)
        if draw(st.booleans()):
            payload["fn_index"] = draw(st.integers(min_value=-5, max_value=10**12) | st.booleans() | TEXT)
        if draw(st.booleans()):
            payload["session_hash"] = draw(TEXT | st.integers())
        if draw(st.booleans()):
            payload["event_data"] = draw(JSON_VALUE)
        return json.dumps(payload).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([33, 100, 1000, 5000, 100_000]))
        return nested(depth, draw(st.sampled_from(["[", "{"]))).encode()
    if kind == "huge":
        return json.dumps({"question": "why", "history": ["h" * 1000] * draw(st.integers(300, 2000))}).encode()
    if kind == "broken":
        return draw(st.sampled_from([b"{", b'{"question": ', b"\xff\xfe", b'{"question": "\\ud800"}', b"null", b"[]"]))
    return b"username=" + draw(st.binary(max_size=50)) + b"&password=x"


@dataclass
class Sent:
    method: str
    path: str
    content_type: str
    body: bytes


REQUESTS = st.one_of(
    st.builds(
        Sent,
        st.just("POST"),
        st.sampled_from(POST_ROUTES),
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]),
        bodies(),
    ),
    st.builds(Sent, st.just("GET"), st.sampled_from(GET_ROUTES), st.just(""), st.just(b"")),
)


def run(url: str, count: int, seed: int) -> tuple[collections.Counter[int], list[str], float]:
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    client = httpx.Client(base_url=url, timeout=30)

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(REQUESTS)
    def send(sent: Sent) -> None:
        headers = {"Content-Type": sent.content_type} if sent.content_type else {}
        try:
            response = client.request(sent.method, sent.path, content=sent.body or None, headers=headers)
        except httpx.ReadTimeout:
            statuses[0] += 1  # a stream that stays open; not an error reply
            return
        except httpx.HTTPError as exc:
            statuses[599] += 1
            failures.append(f"{sent.method} /{sent.path} {sent.body[:120]!r}: {exc!r}")
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{response.status_code} {sent.method} /{sent.path} {sent.body[:120]!r}: {response.text[:200]}"
            )

    started = time.perf_counter()
    hypothesis_seed(seed)(send)()
    client.close()
    return statuses, failures, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a running tutor serve, e.g. http://127.0.0.1:7860/")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    statuses, failures, seconds = run(args.url.rstrip("/") + "/", args.requests, args.seed)
    total = sum(statuses.values())
    server_errors = sum(n for code, n in statuses.items() if code >= 500)
    print(f"requests {total}   5xx {server_errors}   {total / seconds:.0f} requests/s   ({seconds:.0f} s)")
    print("by status: " + ", ".join(f"{code or 'timeout'}: {n}" for code, n in sorted(statuses.items())))
    for line in failures[:20]:
        print("  " + line)
    sys.exit(1 if server_errors else 0)


if __name__ == "__main__":
    main()
