"""The `hambastegi` command line: one module per group of commands, on top of the composition
root (`hambastegi/`), which it uses to build an instance's services."""
