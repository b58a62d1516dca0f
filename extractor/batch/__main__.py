"""``python -m extractor.batch``.

The command is imported from the package, never defined in ``__main__``, so
everything the workers unpickle has an importable module path; the guard
keeps spawn/forkserver children, which import this file as ``__mp_main__``,
from running the command again.
"""

if __name__ == "__main__":  # python -m extractor.batch: run the importable copy, so workers can unpickle it
    from extractor.batch import batch_command as _cmd

    _cmd()
