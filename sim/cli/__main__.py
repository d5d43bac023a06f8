"""``python -m sim.cli``: the same as the ``telsim`` command."""

from sim.cli import main

main()
