"""Analysis: pure functions over plain data, no I/O (STYLE.md point 7).

- :mod:`~collector.analysis.energy`: samples (J counters, W) -> kWh per device per UTC hour.
- :mod:`~collector.analysis.rollup`: kWh per domain and per device; re-exports PUE and quarters.
- :mod:`~collector.analysis.pue`: PUE / REF / CUE per datacentre (ISO/IEC 30134-2, -3, -8).
- :mod:`~collector.analysis.periods`: civil quarters as UTC bounds, the 12-month interim test.
- :mod:`~collector.analysis.windows`: sleep windows (time zone, weekends, public holidays).
- :mod:`~collector.analysis.sleep`: sleep-policy violations with their evidence.
- :mod:`~collector.analysis.carbon`: kgCO2e, location- and market-based side by side.
"""
