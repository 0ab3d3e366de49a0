"""Ingestion: MQTT telemetry from agents, validated before anything is stored."""
