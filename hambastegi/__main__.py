"""`python -m hambastegi` is the `hambastegi` command."""

from cli.main import main

if __name__ == "__main__":  # not when a worker process (the PDF maker's) imports it
    raise SystemExit(main())
