"""``python -m tui_symmetry``: the same entry point as the ``tui-symmetry`` command."""

from tui_symmetry.cli import main

raise SystemExit(main())
