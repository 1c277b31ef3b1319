"""`python -m hambastegi` is the `hambastegi` command."""

from cli.main import main

raise SystemExit(main())
