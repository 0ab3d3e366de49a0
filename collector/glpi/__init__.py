"""The inventory from GLPI: a CSV export or the REST API, mapped to veille devices, then diffed.

- :mod:`collector.glpi.assets` — one GLPI asset as read (strings, no interpretation);
- :mod:`collector.glpi.csv_export` — reads GLPI's CSV export of a search (one itemtype a file);
- :mod:`collector.glpi.api` — reads GLPI's REST API (``apirest.php``): the only GLPI I/O;
- :mod:`collector.glpi.mapping` — the mapping file: entity, location and type to domain, site,
  kind and policy group; turns assets into :class:`collector.inventory.Device` lines;
- :mod:`collector.glpi.diff` — what an import adds, changes and removes, as a table;
- :mod:`collector.glpi.write` — writes the inventory file atomically (temp file, then rename);
- :mod:`collector.glpi.command` — ``veille-collector import-inventory``.
"""
