"""Prometheus metrics: requests by route template (never by raw path), method and status."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "homecoming_http_requests_total",
    "HTTP requests answered",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "homecoming_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
ACCESS_LOG_DROPPED = Counter(
    "homecoming_access_log_dropped_total",
    "Access-log rows dropped because the write buffer was full",
    registry=REGISTRY,
)
