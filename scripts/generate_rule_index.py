"""Write parlint/rule_index.py (codes, default states and options of every rule) from the rule
classes. Run it after adding a rule or changing a rule's options or default state; a test fails
while the index is stale.

    python scripts/generate_rule_index.py
"""

from __future__ import annotations

from pathlib import Path

from parlint.registry import render_index

INDEX = Path(__file__).resolve().parent.parent / "parlint" / "rule_index.py"


def main() -> int:
    text = render_index()
    if INDEX.exists() and INDEX.read_text(encoding="utf-8") == text:
        print(f"{INDEX} is up to date")
        return 0
    INDEX.write_text(text, encoding="utf-8")
    print(f"wrote {INDEX}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
