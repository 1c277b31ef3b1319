"""`python -m hambastegi` is the `hambastegi` command."""

from hambastegi.cli import main

raise SystemExit(main())
