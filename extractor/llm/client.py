"""The LLM client: instructor over openai's AsyncOpenAI, one section per request.

instructor owns the answer (schema, validation, re-ask); this module owns the
wire. Its ``create`` wrapper, handed to ``instructor.patch``, does three
things on every attempt instructor makes:

* trims the conversation to the first request plus the latest re-ask (the last
  answer and its errors), so retries never snowball the context;
* sends the request under the tenacity transport policy (``transport.send``);
* counts calls, tokens, retries and latency into a ``UsageMeter``.

The section text and layout reach the validators through instructor's
validation context; the same context fills the two message placeholders
(instructor renders messages as Jinja when a context is given, so the text
itself is passed as a variable and never parsed as a template).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorError, InstructorRetryException

from ..config import Config
from ..errors import ConfigError, LLMError
from . import transport
from .cache import AnswerCache, cache_key
from .health import EndpointHealth
from .layout import Layout
from .prompts import render
from .schemas import AskState, Problem, SectionAnswer, answer_model, review, schema_hash
from .usage import UsageMeter

# instructor logs every failed attempt at ERROR; nianbao reports failures itself, in one
# line. A NullHandler keeps them off stderr by default, yet an application that
# configures logging still receives them.
logging.getLogger("instructor").addHandler(logging.NullHandler())

MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}

_MESSAGES = [
    {"role": "system", "content": "{{ nianbao_system }}"},
    {"role": "user", "content": "{{ nianbao_user }}"},
]


@dataclass
class SectionReply:
    """What the LLM said about one section, and what it cost."""

    layout: Layout
    answer: Optional[SectionAnswer] = None
    problems: list[Problem] = field(default_factory=list)  # left in the accepted answer
    attempts: int = 0
    from_cache: bool = False
    confirmed: bool = False  # re-asked, the LLM confirmed cells that break the source's totals
    prompt_version: str = ""
    usage: UsageMeter = field(default_factory=UsageMeter)
    error: Optional[str] = None  # no usable answer (still invalid after the retries)


class LLMClient:
    """One endpoint, model and mode; ``ask`` is safe to call concurrently.

    ``health`` is the caller's record of the endpoint (one per run); without
    one the client keeps its own.
    """

    def __init__(self, config: Config, cache: Optional[AnswerCache] = None, *, use_cache: bool = True,
                 health: Optional[EndpointHealth] = None):
        if not config.llm_configured:
            raise ConfigError("no LLM endpoint configured: set --base-url and --model "
                              "(or NIANBAO_BASE_URL and NIANBAO_MODEL)")
        if config.mode not in MODES:
            raise ConfigError(f"unknown instructor mode {config.mode!r}; use one of {', '.join(MODES)}")
        self.config = config
        self.health = health if health is not None else EndpointHealth()
        key = config.api_key.get_secret_value() if config.api_key else "not-needed"
        self._openai = openai.AsyncOpenAI(
            base_url=config.base_url, api_key=key, max_retries=0, timeout=config.timeout
        )
        self._own_cache = cache is None and use_cache
        self.cache = cache if cache is not None else (AnswerCache.for_config(config) if use_cache else None)

    async def aclose(self) -> None:
        await self._openai.close()
        if self._own_cache and self.cache is not None:
            self.cache.close()

    async def __aenter__(self) -> "LLMClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def ask(self, layout: Layout, text: str, second_opinion: Optional[dict[str, Any]] = None) -> SectionReply:
        """The section's cells; raises ``LLMError`` only when the endpoint itself fails.

        ``second_opinion`` (the parser's values for the layout's keys, if it read them
        all) lets an answer that agrees with it cell for cell be accepted without a
        re-ask when only the source's totals fail.
        """
        cfg = self.config
        prompt = render(layout, text)
        model = answer_model(layout.section, layout.template, layout.form)
        meter = UsageMeter(cfg.prices)
        reply = SectionReply(layout, prompt_version=prompt.version, usage=meter)
        key = cache_key(cfg, layout_name=layout.name, prompt_version=prompt.version,
                        schema_hash=schema_hash(model), text=text)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                meter.cache_hit()
                reply.answer = model.model_validate(hit["answer"])
                reply.problems = review(reply.answer, text)
                reply.from_cache = True
                reply.confirmed = bool(hit.get("confirmed"))
                return reply

        state = AskState(max_attempts=max(cfg.max_retries, 0) + 1)
        patched = instructor.patch(create=self._create_for(state, meter), mode=MODES[cfg.mode])
        extra: dict[str, Any] = {}
        if cfg.temperature is not None:
            extra["temperature"] = cfg.temperature
        context = {
            "nianbao_system": prompt.system,
            "nianbao_user": prompt.user,
            "section_text": text,
            "nianbao_state": state,
            "second_opinion": second_opinion,
        }
        try:
            answer = await patched(
                response_model=model,
                messages=[dict(m) for m in _MESSAGES],
                model=cfg.model,
                context=context,
                max_retries=max(cfg.max_retries, 0),
                **extra,
            )
        except LLMError as err:
            err.usage = meter  # type: ignore[attr-defined]  # failed requests still count
            raise
        except InstructorRetryException as err:
            cause = err.__cause__
            if isinstance(cause, LLMError):
                cause.usage = meter  # type: ignore[attr-defined]
                raise cause
            reply.attempts = state.attempt
            reply.error = (f"{layout.section}: no valid answer after {state.attempt} attempt(s): "
                           f"{_summary(cause or err)}")
            meter.error(reply.error)
            return reply
        except IncompleteOutputException:
            reply.attempts = state.attempt
            reply.error = f"{layout.section}: the answer was cut off (max tokens reached)"
            meter.error(reply.error)
            return reply
        except InstructorError as err:
            if isinstance(err.__cause__, LLMError):
                err.__cause__.usage = meter  # type: ignore[attr-defined]
                raise err.__cause__
            reply.attempts = state.attempt
            reply.error = f"{layout.section}: {_summary(err)}"
            meter.error(reply.error)
            return reply

        reply.answer = answer
        reply.attempts = state.attempt
        reply.problems = list(state.problems)
        reply.confirmed = state.confirmed
        if self.cache is not None:
            self.cache.put(key, answer.model_dump(), attempts=state.attempt, confirmed=state.confirmed,
                           model=cfg.model, prompt=prompt.version)
        return reply

    def _create_for(self, state: AskState, meter: UsageMeter):
        """The function instructor calls once per attempt."""
        cfg = self.config
        client = self._openai

        async def create(*args: Any, **kwargs: Any) -> Any:
            messages = list(kwargs.get("messages") or [])
            state.attempt += 1
            if state.base_len is None:
                state.base_len = len(messages)
            else:
                meter.retry()  # a re-ask
                messages = messages[: state.base_len] + messages[state.seen_len or state.base_len:]
            state.seen_len = len(kwargs.get("messages") or [])
            request = {**kwargs, "messages": messages}

            def on_attempt(seconds: float, result: Any, error: Optional[BaseException]) -> None:
                usage = getattr(result, "usage", None)
                meter.request(seconds, getattr(usage, "prompt_tokens", 0) or 0,
                              getattr(usage, "completion_tokens", 0) or 0)

            return await transport.send(
                lambda: client.chat.completions.create(*args, **request),
                base_url=str(cfg.base_url),
                budget_s=cfg.max_transport_seconds,
                health=self.health,
                base_wait_s=cfg.retry_base_seconds,
                max_wait_s=cfg.retry_max_wait_seconds,
                on_attempt=on_attempt,
                on_retry=lambda exc, wait: meter.retry(),
            )

        return create


def _summary(err: BaseException) -> str:
    """The first meaningful line of a validation error, for a one-line message."""
    lines = [l.strip() for l in str(err).splitlines() if l.strip()]
    useful = [l for l in lines if not l.startswith("For further information")]
    if len(useful) >= 2 and "validation error" in useful[0]:
        return f"{useful[0]}: {useful[1][:160]}"
    return (useful[0] if useful else type(err).__name__)[:200]


def ask_sync(config: Config, layout: Layout, text: str) -> SectionReply:
    """Synchronous entry point for one section (scripts, notebooks without a loop)."""

    async def run() -> SectionReply:
        async with LLMClient(config) as client:
            return await client.ask(layout, text)

    return asyncio.run(run())
