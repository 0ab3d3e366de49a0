"""Analysis: pure functions over plain data, no I/O (STYLE.md point 7).

- :mod:`~collector.analysis.energy`: samples (J counters, W) -> kWh per device per UTC hour,
  registers first; :mod:`~collector.analysis.paths` integrates, :mod:`~collector.analysis.scope`
  says which counters measure the whole device (declared data).
- :mod:`~collector.analysis.coverage`: where in an hour the data is (intervals, 5-minute slots).
- :mod:`~collector.analysis.meters`: nested meters, each stretch of time counted once.
- :mod:`~collector.analysis.rollup`: kWh per domain and per device; re-exports PUE and quarters.
- :mod:`~collector.analysis.periods`: civil days, weeks, months, quarters, years as UTC bounds.
- :mod:`~collector.analysis.aggregate`: kWh per domain per period, with coverage.
- :mod:`~collector.analysis.pue`: PUE / REF / CUE per datacentre (ISO/IEC 30134-2, -3, -8),
  annual or interim; :mod:`~collector.analysis.pue_now`: the indicative instantaneous ratio.
- :mod:`~collector.analysis.indicators`: REF per supply contract, market-based CUE, ERF.
- :mod:`~collector.analysis.windows`: sleep windows (time zone, weekends, public holidays).
- :mod:`~collector.analysis.sleep`: sleep-policy violations with their evidence;
  :mod:`~collector.analysis.lifecycle`: their life cycle.
- :mod:`~collector.analysis.config_policy`: configuration violations from reported settings
  (sleep timeout, screensaver, cannot sleep), unknown kept apart.
- :mod:`~collector.analysis.poe`: the PoE night policy for access-point ports.
- :mod:`~collector.analysis.carbon`: kgCO2e, location- and market-based side by side.
"""
