"""A scriptable OpenAI-compatible chat-completions server, for tests and demos.

Real HTTP on 127.0.0.1 (a random free port by default), stdlib only, so the
real ``openai`` client and instructor talk to it exactly as they would to a
provider. It speaks ``POST /v1/chat/completions`` with tool calls (instructor
``tools``), ``response_format: json_schema`` and plain markdown-JSON content
(``md_json``), reports token usage, and answers from goldens: it finds the
document by the section text it is sent and the section and cells by the JSON
schema it is asked to fill.

Each request consumes one scripted ``Step`` (per section, else global, else
``default``): a correct answer, wrong numbers, a broken balance, malformed
JSON, a missing field, an HTTP status (429 with Retry-After, 500 …), or a slow
answer. Every request is recorded for assertions.

Standalone, for demos against the pipeline::

    python -m tests.fake_openai --port 8765 --answers goldens/ \
        --inject wrong,balance,malformed,missing,429,500 --rate 0.3 --seed 1
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional

from extractor.normalise import normalise_line

SECTIONS = ("active_disclosure", "applications", "review_litigation", "legacy")


# --- steps ---------------------------------------------------------------------------


@dataclass
class Step:
    """One scripted behaviour, consumed by one request."""

    kind: str  # ok | wrong | malformed | missing | status | slow | custom
    cells: dict[str, Any] = field(default_factory=dict)  # wrong: "row.col" (or flat key) -> value
    row: Optional[str] = None  # missing: the row to drop
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Optional[str] = None
    seconds: float = 0.0  # slow: delay before answering
    then: Optional["Step"] = None  # slow: what to answer after the delay
    fn: Optional[Callable[[dict], dict]] = None  # custom: answer dict -> answer dict


def ok() -> Step:
    return Step("ok")


def wrong(cells: Optional[dict[str, Any]] = None, **kw: Any) -> Step:
    """Answer with these cells changed (value and raw), e.g. ``wrong({"granted.natural_person": 56})``."""
    return Step("wrong", cells={**(cells or {}), **kw})


def break_balance(delta: int = 1) -> Step:
    """applications: new_received.natural_person and .total off by ``delta`` (row total still holds)."""
    return Step("custom", fn=lambda a: _shift(a, "new_received", ("natural_person", "total"), delta))


def malformed() -> Step:
    return Step("malformed")


def missing(row: str) -> Step:
    return Step("missing", row=row)


def status(code: int, retry_after: Optional[float] = None, body: Optional[str] = None) -> Step:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Step("status", status=code, headers=headers, body=body)


def slow(seconds: float, then: Optional[Step] = None) -> Step:
    return Step("slow", seconds=seconds, then=then or ok())


def _shift(answer: dict, row: str, cols: tuple[str, ...], delta: int) -> dict:
    for c in cols:
        cell = answer.get(row, {}).get(c)
        if cell and cell.get("value") is not None:
            cell["value"] += delta
            cell["raw"] = _raw(cell["value"])
    return answer


def _raw(v: Any) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# --- answers from goldens ------------------------------------------------------------------


@dataclass
class Doc:
    id: str
    tables: dict
    lines: set[str]  # normalised, stripped source lines (to recognise the document)


def _norm_lines(text: str) -> set[str]:
    """Fingerprints of a text, to recognise a document from one of its sections: whole lines
    (tags, separators and spaces removed; table rows with their numbers are distinctive)
    and the cells that hold a digit."""
    out: set[str] = set()
    for line in text.splitlines():
        flat = re.sub(r"<[^>]+>|[\s|]+", "", normalise_line(line))
        if len(flat) >= 4:
            out.add("L" + flat)
        for piece in re.split(r"<[^>]+>|[\t|]+|\s{2,}", line):
            piece = re.sub(r"\s+", "", normalise_line(piece))
            if piece and re.search(r"\d", piece):
                out.add("C" + piece)
    return out


def load_goldens(directory: Path) -> list[Doc]:
    docs = []
    for path in sorted(Path(directory).glob("*.json")):
        g = json.loads(path.read_text(encoding="utf-8"))
        src = path.parent / g.get("source", "")
        lines: set[str] = set()
        if src.is_file():
            try:
                lines = _norm_lines(src.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                lines = set()
        docs.append(Doc(g.get("id", path.stem), g.get("tables", {}), lines))
    return docs


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema.get("$defs", {}).get(name, {})
    if "anyOf" in node:
        for alt in node["anyOf"]:
            if alt.get("type") != "null":
                return _resolve(schema, alt)
    return node


def schema_of(body: dict) -> tuple[Optional[str], Optional[dict]]:
    """(name, JSON schema) of the answer asked for, in any of the three modes."""
    for tool in body.get("tools") or []:
        fn = tool.get("function", {})
        return fn.get("name"), fn.get("parameters")
    rf = body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        js = rf.get("json_schema", {})
        return js.get("name"), js.get("schema")
    for m in body.get("messages", []):
        content = m.get("content")
        if m.get("role") == "system" and isinstance(content, str) and "json_schema" in content:
            start = content.find("{", content.find("json_schema"))
            if start >= 0:
                try:
                    schema, _ = json.JSONDecoder().raw_decode(content[start:])
                    return schema.get("title"), schema
                except json.JSONDecodeError:
                    pass
    return None, None


def section_text_of(body: dict) -> str:
    for m in body.get("messages", []):
        content = m.get("content")
        if m.get("role") == "user" and isinstance(content, str) and "<<<TEXT\n" in content:
            return content.split("<<<TEXT\n", 1)[1].rsplit("TEXT>>>", 1)[0]
    return "\n".join(m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user")


class FakeOpenAI:
    """The server. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, goldens: Optional[Path] = None, docs: Optional[list[Doc]] = None,
                 host: str = "127.0.0.1", port: int = 0, model: str = "fake-model"):
        self.docs = list(docs or []) + (load_goldens(goldens) if goldens else [])
        self.host, self.port, self.model = host, port, model
        self.requests: list[dict] = []
        self.default: Step = ok()
        self.inject: Optional[Callable[[dict, str], Optional[Step]]] = None  # (request, section) -> Step
        self._queues: dict[str, deque[Step]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # scripting ---------------------------------------------------------------------
    def add_doc(self, doc_id: str, tables: dict, text: str = "") -> None:
        self.docs.append(Doc(doc_id, tables, _norm_lines(text)))

    def script(self, *steps: Step, section: str = "*") -> "FakeOpenAI":
        with self._lock:
            self._queues.setdefault(section, deque()).extend(steps)
        return self

    def _next_step(self, section: str, record: dict) -> Step:
        with self._lock:
            for key in (section, "*"):
                q = self._queues.get(key)
                if q:
                    return q.popleft()
        if self.inject:
            step = self.inject(record, section)
            if step is not None:
                return step
        return self.default

    # lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> "FakeOpenAI":
        server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=2)

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # introspection -----------------------------------------------------------------------
    def calls(self, section: Optional[str] = None) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if section is None or r["section"] == section]

    @staticmethod
    def sent_text(record: dict) -> str:
        """Everything the client sent in one request's messages."""
        parts = []
        for m in record["body"].get("messages", []):
            c = m.get("content")
            if isinstance(c, str):
                parts.append(c)
            for tc in m.get("tool_calls") or []:
                parts.append(tc.get("function", {}).get("arguments", ""))
        return "\n".join(parts)

    # answering -------------------------------------------------------------------------------
    def find_doc(self, text: str) -> Optional[Doc]:
        lines = _norm_lines(text)
        best, score = None, 0
        for d in self.docs:
            common = lines & d.lines
            s = 3 * sum(1 for x in common if x[0] == "L") + sum(1 for x in common if x[0] == "C")
            if s > score:
                best, score = d, s
        return best or (self.docs[0] if len(self.docs) == 1 else None)

    def correct_answer(self, section: str, schema: dict, doc: Optional[Doc]) -> dict:
        """The schema filled from the golden: every row and column asked for."""
        table = (doc.tables.get(section) if doc else None) or {}
        answer: dict = {}
        for row, node in (schema.get("properties") or {}).items():
            cols = _resolve(schema, node).get("properties") or {}
            answer[row] = {}
            for col in cols:
                v = (table.get(row) or {}).get(col)
                answer[row][col] = {"raw": _raw(v), "value": v}
        return answer

    def respond(self, body: dict) -> tuple[int, dict[str, str], str, float, dict]:
        name, schema = schema_of(body)
        section = next((s for s in SECTIONS if name and name.startswith(s)), name or "?")
        text = section_text_of(body)
        doc = self.find_doc(text)
        record = {"section": section, "doc": doc.id if doc else None, "body": body, "t": time.monotonic()}
        step = self._next_step(section, record)
        record["step"] = step.kind if step.kind != "status" else f"status {step.status}"
        with self._lock:
            self.requests.append(record)
        delay = 0.0
        if step.kind == "slow":
            delay, step = step.seconds, step.then or ok()
        if step.kind == "status":
            err = {"error": {"message": step.body or f"scripted {step.status}", "type": "fake", "code": step.status}}
            return step.status, step.headers, json.dumps(err), delay, record
        answer = self.correct_answer(section, schema or {}, doc)
        if step.kind == "wrong":
            for key, v in step.cells.items():
                parts = key.split(".")
                row, col = parts[-2], parts[-1]
                answer.setdefault(row, {})[col] = {"raw": _raw(v), "value": v}
        elif step.kind == "missing" and step.row:
            answer.pop(step.row, None)
        elif step.kind == "custom" and step.fn:
            answer = step.fn(answer)
        payload = json.dumps(answer, ensure_ascii=False)
        if step.kind == "malformed":
            payload = payload[: max(10, len(payload) // 2)]  # cut off mid-object: not JSON
        return 200, {}, json.dumps(self._completion(body, name, payload)), delay, record

    def _completion(self, body: dict, name: Optional[str], payload: str) -> dict:
        prompt_chars = sum(len(m.get("content") or "") for m in body.get("messages", []))
        usage = {"prompt_tokens": prompt_chars // 2 + 1, "completion_tokens": len(payload) // 3 + 1}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("tools"):
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call_{len(self.requests)}", "type": "function",
                 "function": {"name": name or "answer", "arguments": payload}}]}
            finish = "tool_calls"
        elif (body.get("response_format") or {}).get("type") == "json_schema":
            message, finish = {"role": "assistant", "content": payload}, "stop"
        else:
            message, finish = {"role": "assistant", "content": f"```json\n{payload}\n```"}, "stop"
        return {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        }


def _handler_for(fake: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stalls)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: str, headers: Optional[dict] = None) -> None:
            data = body.encode("utf-8")
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, json.dumps({"object": "list", "data": [{"id": fake.model, "object": "model"}]}))
            else:
                self._send(404, json.dumps({"error": {"message": "not found"}}))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, json.dumps({"error": {"message": "request body is not JSON"}}))
                return
            code, headers, payload, delay, record = fake.respond(body)
            record["headers"] = dict(self.headers)
            if delay and fake._stop.wait(delay):
                return
            self._send(code, payload, headers)

    return Handler


# --- standalone ------------------------------------------------------------------------------

INJECTIONS = ("wrong", "balance", "malformed", "missing", "429", "500", "slow")


def random_injector(kinds: list[str], rate: float, seed: int, slow_seconds: float = 2.0, retry_after: float = 0.5):
    """Inject one of ``kinds`` into a fraction ``rate`` of requests (deterministic per seed)."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def inject(record: dict, section: str) -> Optional[Step]:
        with lock:
            if not kinds or rng.random() >= rate:
                return None
            kind = rng.choice(kinds)
            pick = rng.random()
            delta = rng.randint(1, 9)
        record["injected"] = kind
        if kind == "wrong":
            return Step("custom", fn=lambda a: _perturb(a, pick, delta))
        if kind == "balance":
            return break_balance(delta) if section == "applications" else Step("custom", fn=lambda a: _perturb(a, pick, delta))
        if kind == "malformed":
            return malformed()
        if kind == "missing":
            return Step("custom", fn=lambda a: _drop(a, pick))
        if kind == "429":
            return status(429, retry_after=retry_after)
        if kind == "500":
            return status(500)
        if kind == "slow":
            return slow(slow_seconds)
        return None

    return inject


def _perturb(answer: dict, pick: float, delta: int) -> dict:
    cells = [(r, c) for r, cols in answer.items() for c, cell in cols.items() if cell.get("value") is not None]
    if not cells:
        return answer
    r, c = cells[int(pick * len(cells)) % len(cells)]
    answer = copy.deepcopy(answer)
    answer[r][c]["value"] += delta
    answer[r][c]["raw"] = _raw(answer[r][c]["value"])
    return answer


def _drop(answer: dict, pick: float) -> dict:
    rows = list(answer)
    if rows:
        answer.pop(rows[int(pick * len(rows)) % len(rows)])
    return answer


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.fake_openai", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--answers", type=Path, default=Path("goldens"), help="directory of goldens (*.json + sources)")
    ap.add_argument("--inject", default="", help=f"comma list of {', '.join(INJECTIONS)}")
    ap.add_argument("--rate", type=float, default=0.3, help="fraction of requests that get an injected error")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slow-seconds", type=float, default=2.0)
    args = ap.parse_args(argv)
    fake = FakeOpenAI(goldens=args.answers, host=args.host, port=args.port)
    kinds = [k.strip() for k in args.inject.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in INJECTIONS]
    if unknown:
        ap.error(f"unknown injection(s): {', '.join(unknown)}")
    if kinds:
        fake.inject = random_injector(kinds, args.rate, args.seed, args.slow_seconds)
    import signal

    def _interrupt(signum, frame):  # SIGTERM (and SIGINT in a background job) end the demo cleanly
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    fake.start()
    print(f"fake OpenAI endpoint on {fake.base_url} ({len(fake.docs)} goldens"
          f"{'; injecting ' + ','.join(kinds) + f' at {args.rate:.0%}' if kinds else ''}); Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        injected: dict[str, int] = {}
        for r in fake.requests:
            if r.get("injected"):
                injected[r["injected"]] = injected.get(r["injected"], 0) + 1
        print(f"served {len(fake.requests)} requests; injected {injected or 'nothing'}")


if __name__ == "__main__":
    main()


# --- pytest support (import these fixtures into a test module) -----------------------------

REPO = Path(__file__).resolve().parents[1]
GOLDENS = REPO / "goldens"

try:
    import pytest
except ImportError:  # pragma: no cover - standalone use without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fake_llm():
        """A fresh fake endpoint answering from goldens/ (endpoint health is per client or call)."""
        with FakeOpenAI(goldens=GOLDENS) as fake:
            _warm_up(fake)
            yield fake


_WARM = threading.Event()


def _warm_up(fake: FakeOpenAI) -> None:
    """One throwaway request per process: openai and instructor import lazily on first use
    (about a second), which would otherwise eat into the short time budgets of the tests."""
    if _WARM.is_set():
        return
    import asyncio

    from extractor.llm.client import LLMClient
    from extractor.llm.layout import layout_for

    async def run() -> None:
        async with LLMClient(test_config(fake)) as client:
            await client.ask(layout_for("review_litigation", "2019"), "四、行政复议\n0 0 0 0 0")

    asyncio.run(run())
    with fake._lock:
        fake.requests.clear()
    _WARM.set()


def test_config(fake: Optional[FakeOpenAI] = None, **overrides: Any):
    """A Config for tests: tiny backoff waits, short budgets, no cache unless asked."""
    from extractor.config import Config

    values: dict[str, Any] = dict(
        base_url=fake.base_url if fake else "http://127.0.0.1:9/v1",
        model="fake-model",
        no_cache=True,
        retry_base_seconds=0.01,
        retry_max_wait_seconds=0.05,
        max_transport_seconds=5.0,
        timeout=5.0,
    )
    values.update(overrides)
    return Config(**values)


test_config.__test__ = False  # a helper, not a test


def seed_section(stem: str, name: str):
    """The pipeline's table section ``name`` of seed ``stem`` (goldens/<stem>.txt)."""
    from extractor.normalise import normalise_text
    from extractor.parse import parse_document
    from extractor.pipeline import table_sections
    from extractor.sections import detect_template, split_sections

    nt = normalise_text((GOLDENS / f"{stem}.txt").read_text(encoding="utf-8"))
    template = detect_template(nt)
    parsed = parse_document(nt, template, split_sections(nt))
    for s in table_sections(nt, parsed.regions, template):
        if s.name == name:
            return s
    raise KeyError(f"{stem} has no section {name}")


def golden(stem: str) -> dict:
    return json.loads((GOLDENS / f"{stem}.json").read_text(encoding="utf-8"))
