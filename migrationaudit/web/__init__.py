"""Web primitives: URLs and their normal forms, hosts, Location as browsers read it,
the audit's scope and access to staging. Pure: no I/O, no stage imports."""
