"""LLM extraction with instructor: typed answers, re-asks on failing checks, grounding,
a cache and cost accounting, behind the parser (``cascade.refine``).

Modules: ``layout`` (which cells), ``prompts`` (versioned prompt files),
``schemas`` (answer models and their validator), ``grounding`` (is a number
printed near its label), ``transport`` (retry policy), ``client`` (instructor
over AsyncOpenAI), ``cache`` (diskcache), ``usage`` (calls, tokens, cost),
``cascade`` (parser + LLM merge), ``cli`` (``nianbao config`` / ``cache``).
"""
