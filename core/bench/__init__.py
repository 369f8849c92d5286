"""``guanxi bench``: named load scenarios against a served Guanxi, measured from another process.

:mod:`core.bench.client` is the HTTP client, :mod:`core.bench.runner` drives the
scenarios, :mod:`core.bench.report` prints and saves the numbers,
:mod:`core.bench.server` starts a server to measure when no ``--url`` is given
and :mod:`core.bench.scenarios` collects the scenarios modules offer through
the ``guanxi_bench_scenarios`` hook.
"""
