import os
import sys

# `python -m parlint` puts the working directory first on sys.path, so a project's own
# `json.py` or `asyncio.py` would be imported (run) in place of the library parlint needs.
# parlint never runs the code it analyses: drop that entry before importing anything (as pip does).
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from parlint.cli import main  # noqa: E402

raise SystemExit(main())
