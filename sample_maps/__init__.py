"""Example redirect maps and scenario sites: the demo and the golden test corpus."""
