"""Allow ``python -m notices``."""

from notices.cli import main

main()
