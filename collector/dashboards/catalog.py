"""veille's five Grafana dashboards, as data (titles in French, the users' language).

Raw readings come from the time-series sink (``veille_<metric>{device_id, domain, site, kind,
datacentre, source, quality}``); figures that are not raw readings (PUE, REF, CUE, kWh per
domain, devices expected, violations) come from the collector's ``/metrics``, scraped by
VictoriaMetrics (:mod:`collector.figures_metrics`, ``deploy/victoriametrics/scrape.yml``).
"""

from __future__ import annotations

from collector.dashboards.spec import Dashboard, Panel, Query, Variable

Q = Query

FLEET = Dashboard(
    uid="veille-parc",
    title="veille — Parc : vue d'ensemble",
    description="Puissance, énergie par domaine du SI, part mesurée, équipements qui remontent.",
    panels=(
        Panel(
            "Puissance appelée maintenant",
            "stat",
            (Q('sum(veille_power_now_watts{quality="all"}) / 1000', "kW", instant=True),),
            unit="kwatt",
            decimals=2,
            width=6,
            description="Dernier relevé de chaque équipement (30 min au plus), chaque watt "
            "compté une fois (un serveur derrière un PDU mesuré n'est pas recompté).",
        ),
        Panel(
            "Part mesurée de l'énergie",
            "stat",
            (Q("veille_measured_share", "{{period}}", instant=True),),
            unit="percentunit",
            decimals=1,
            width=6,
            description="kWh mesurés / kWh totaux ; le reste est estimé (modèle de puissance).",
        ),
        Panel(
            "Équipements qui remontent / attendus",
            "stat",
            (
                Q("sum(veille_devices_reporting)", "remontent", instant=True),
                Q("sum(veille_devices_expected)", "attendus (inventaire)", instant=True),
                Q("veille_devices_unlisted", "hors inventaire", instant=True),
            ),
            width=12,
        ),
        Panel(
            "Puissance par domaine (kW)",
            "timeseries",
            (Q('sum by (domain) (veille_power_now_watts{quality="all"}) / 1000', "{{domain}}"),),
            unit="kwatt",
            width=24,
            stack=True,
        ),
        Panel(
            "kWh aujourd'hui par domaine",
            "bargauge",
            (Q('sum by (domain) (veille_energy_kwh{period="today"})', "{{domain}}", instant=True),),
            unit="kwatth",
            decimals=1,
        ),
        Panel(
            "kWh ce trimestre par domaine",
            "bargauge",
            (
                Q(
                    'sum by (domain) (veille_energy_kwh{period="quarter"})',
                    "{{domain}}",
                    instant=True,
                ),
            ),
            unit="kwatth",
            decimals=1,
        ),
        Panel(
            "Équipements par type : remontent / attendus",
            "table",
            (
                Q("sum by (kind) (veille_devices_reporting)", "remontent", instant=True),
                Q("sum by (kind) (veille_devices_expected)", "attendus", instant=True),
            ),
            width=24,
        ),
    ),
)

DATACENTRE = Dashboard(
    uid="veille-datacentre",
    title="veille — Datacentre : PUE, REF, CUE",
    description="PUE intermédiaire et annuel (ISO/IEC 30134-2) avec sa catégorie, la limite "
    "contractuelle, puissance IT et totale, REF et CUE.",
    variables=(Variable("datacentre", "Datacentre", "veille_pue", "datacentre"),),
    panels=(
        Panel(
            "PUE intermédiaire (trimestre en cours)",
            "stat",
            (
                Q(
                    'veille_pue{datacentre="$datacentre", period="interim"}',
                    "{{category}}",
                    instant=True,
                ),
            ),
            decimals=2,
            limit=1.5,
            width=6,
        ),
        Panel(
            "PUE annuel (12 mois glissants)",
            "stat",
            (
                Q(
                    'veille_pue{datacentre="$datacentre", period="annual"}',
                    "{{category}}",
                    instant=True,
                ),
            ),
            decimals=2,
            limit=1.5,
            width=6,
        ),
        Panel(
            "Couverture du PUE",
            "stat",
            (Q('veille_pue_coverage{datacentre="$datacentre"}', "{{period}}", instant=True),),
            unit="percentunit",
            decimals=1,
            width=6,
            description="Part des heures de la période où chaque compteur a ses données.",
        ),
        Panel(
            "REF (part renouvelable)",
            "stat",
            (Q('veille_ref{datacentre="$datacentre"}', "REF", instant=True),),
            unit="percentunit",
            width=6,
        ),
        Panel(
            "PUE et limite contractuelle",
            "timeseries",
            (
                Q('veille_pue{datacentre="$datacentre"}', "PUE {{period}} — {{category}}"),
                Q('veille_pue_limit{datacentre="$datacentre"}', "limite contractuelle"),
            ),
            decimals=2,
            limit=1.5,
            width=24,
        ),
        Panel(
            "Puissance IT et puissance totale du datacentre (kW)",
            "timeseries",
            (Q('veille_datacentre_power_watts{datacentre="$datacentre"} / 1000', "{{side}}"),),
            unit="kwatt",
        ),
        Panel(
            "Ratio instantané totale / IT (indicatif, pas un PUE)",
            "timeseries",
            (Q('veille_pue_instant{datacentre="$datacentre"}', "ratio indicatif"),),
            decimals=2,
            description="Rapport de deux puissances instantanées : varie avec la charge et la "
            "météo ; le PUE publié est celui de l'énergie sur une période.",
        ),
        Panel(
            "CUE (kg CO2e par kWh IT)",
            "bargauge",
            (
                Q(
                    'veille_cue{datacentre="$datacentre"}',
                    "{{period}} — {{factor}}",
                    instant=True,
                ),
            ),
            decimals=3,
        ),
        Panel(
            "Puissance des compteurs du datacentre (relevés bruts, W)",
            "timeseries",
            (
                Q(
                    'veille_power_watts{datacentre="$datacentre", component=""}',
                    "{{device_id}} ({{source}})",
                ),
            ),
            unit="watt",
        ),
    ),
)

SLEEP = Dashboard(
    uid="veille-mise-en-veille",
    title="veille — Conformité à la mise en veille",
    description="Violations ouvertes, taux de conformité par domaine, pires contrevenants, "
    "kWh gaspillés.",
    panels=(
        Panel(
            "Violations ouvertes maintenant",
            "stat",
            (Q("sum(veille_sleep_violations_open)", "ouvertes", instant=True),),
            width=6,
        ),
        Panel(
            "Violations ouvertes par domaine",
            "bargauge",
            (Q("sum by (domain) (veille_sleep_violations_open)", "{{domain}}", instant=True),),
            width=18,
        ),
        Panel(
            "Taux de conformité par domaine (7 jours glissants)",
            "timeseries",
            (Q("veille_sleep_compliance_ratio", "{{domain}}"),),
            unit="percentunit",
            description="Fenêtres respectées / (respectées + en violation) ; les fenêtres "
            "inconnues (équipement muet) sont comptées à part, jamais comme respectées.",
        ),
        Panel(
            "Fenêtres de veille par résultat (7 jours)",
            "bargauge",
            (Q("sum by (outcome) (veille_sleep_windows)", "{{outcome}}", instant=True),),
        ),
        Panel(
            "Violations ouvertes dans le temps",
            "timeseries",
            (Q("sum by (domain) (veille_sleep_violations_open)", "{{domain}}"),),
        ),
        Panel(
            "Pires contrevenants (fenêtres en violation, 7 jours)",
            "table",
            (Q("topk(10, veille_sleep_violation_windows)", "{{device_id}}", instant=True),),
        ),
        Panel(
            "kWh gaspillés en violation (trimestre en cours)",
            "bargauge",
            (
                Q(
                    'sum by (domain) (veille_sleep_kwh_wasted{period="quarter"})',
                    "{{domain}}",
                    instant=True,
                ),
            ),
            unit="kwatth",
            decimals=1,
        ),
    ),
)

DEVICE = Dashboard(
    uid="veille-equipement",
    title="veille — Équipement",
    description="Un équipement : puissance par source et qualité, état, temps depuis le "
    "démarrage, intervalles de veille.",
    variables=(Variable("device", "Équipement", "veille_power_watts", "device_id"),),
    time_from="now-2d",
    panels=(
        Panel(
            "Puissance par source et qualité (W)",
            "timeseries",
            (
                Q(
                    'veille_power_watts{device_id="$device"}',
                    "{{source}} ({{quality}}) {{component}}",
                ),
            ),
            unit="watt",
            width=24,
        ),
        Panel(
            "État d'alimentation",
            "state-timeline",
            (Q('max by (state) (veille_device_power_state{device_id="$device"})', "{{state}}"),),
        ),
        Panel(
            "Temps depuis le démarrage",
            "timeseries",
            (Q('veille_uptime_seconds{device_id="$device"}', "uptime"),),
            unit="s",
        ),
        Panel(
            "Intervalles de veille (puissance en veille, estimée)",
            "timeseries",
            (Q('veille_power_watts{device_id="$device", source="sleep_model"}', "en veille"),),
            unit="watt",
            description="L'agent signale au réveil les intervalles passés en veille ; le "
            "collecteur les remplit à la puissance de veille du type d'équipement.",
        ),
        Panel(
            "Fenêtres en violation (7 jours)",
            "stat",
            (Q('veille_sleep_violation_windows{device_id="$device"}', "fenêtres", instant=True),),
        ),
    ),
)

HEALTH = Dashboard(
    uid="veille-collecteur",
    title="veille — Santé du collecteur",
    description="Relevés par seconde, rejets par motif, retard, spool, erreurs SNMP, envois "
    "d'alertes en échec.",
    time_from="now-6h",
    refresh="30s",
    panels=(
        Panel(
            "Relevés stockés par seconde",
            "timeseries",
            (
                Q(
                    "sum by (path) (rate(veille_collector_readings_total[$__rate_interval]))",
                    "{{path}}",
                ),
            ),
            unit="ops",
        ),
        Panel(
            "Messages rejetés par motif",
            "timeseries",
            (
                Q(
                    "sum by (reason) (increase(veille_collector_rejects_total[$__rate_interval]))",
                    "{{reason}}",
                ),
            ),
        ),
        Panel(
            "Retard du dernier message stocké",
            "timeseries",
            (Q("veille_collector_lag_seconds", "retard"),),
            unit="s",
        ),
        Panel(
            "Messages en attente et spool disque",
            "timeseries",
            (
                Q("veille_collector_queue_depth", "messages en attente"),
                Q("veille_collector_sink_spool_bytes", "spool (octets)"),
            ),
        ),
        Panel(
            "Erreurs SNMP par cible",
            "timeseries",
            (
                Q(
                    "sum by (target) "
                    "(increase(veille_collector_snmp_errors_total[$__rate_interval]))",
                    "{{target}}",
                ),
            ),
        ),
        Panel(
            "Envois d'alertes en échec par canal",
            "timeseries",
            (
                Q(
                    "sum by (channel) "
                    "(increase(veille_alert_deliveries_failed_total[$__rate_interval]))",
                    "{{channel}}",
                ),
            ),
        ),
        Panel(
            "Échantillons perdus par le stockage des séries",
            "timeseries",
            (Q("increase(veille_collector_sink_dropped_total[$__rate_interval])", "perdus"),),
        ),
        Panel(
            "Âge des chiffres d'analyse",
            "stat",
            (Q("time() - veille_figures_timestamp_seconds", "âge", instant=True),),
            unit="s",
            width=6,
        ),
        Panel(
            "Collecteur joignable (scrape)",
            "stat",
            (Q('up{job="veille-collector"}', "{{instance}}", instant=True),),
            width=6,
        ),
    ),
)

DASHBOARDS: tuple[Dashboard, ...] = (FLEET, DATACENTRE, SLEEP, DEVICE, HEALTH)
