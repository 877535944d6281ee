"""`python -m lab` runs the walab command line."""

from lab.cli import main

raise SystemExit(main())
