"""``python -m eval``: the eval command without the main nianbao CLI."""

from .cli import eval_command

if __name__ == "__main__":
    eval_command(prog_name="python -m eval")
