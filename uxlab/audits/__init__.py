"""Audits as a service: a workspace's audit projects, their runs, the job queue.

The pure engine that replays a script and audits pages is :mod:`uxlab.audit`;
this package stores projects and runs (:mod:`.projects`, :mod:`.runs`), reads
schedules (:mod:`.schedules`) and runs audits as jobs on workers
(:mod:`.queue`, :mod:`.worker`).
"""
