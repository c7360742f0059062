"""The owner of the run folder (``OUT/run/``): its layout and the one atomic writer
(:mod:`~migrationaudit.rundir.layout`), the hop records (:mod:`~migrationaudit.rundir.records`)
and the saved state that lets a run be resumed, re-rendered or re-checked
(:mod:`~migrationaudit.rundir.saved`).

A leaf: every stage reads and writes the run folder through it, and it imports no stage
(only models, options, inputs' types, settings and errors).
"""
