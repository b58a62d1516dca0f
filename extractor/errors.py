"""Errors a user sees as one line: ``str(err)`` is the reason."""


class NianbaoError(Exception):
    """Base class: the message is a complete one-line reason."""


class IngestError(NianbaoError):
    """The input cannot be read (corrupt, empty, binary, wrong encoding, too big)."""


class UnsupportedFormat(IngestError):
    """A format nianbao cannot read here (e.g. .doc with no converter)."""


class LLMError(NianbaoError):
    """The LLM endpoint failed for good (after retries) or answered garbage."""


class ConfigError(NianbaoError):
    """A setting is missing or wrong."""
