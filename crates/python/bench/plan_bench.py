"""Benchmark: planning a 100 000-lease snapshot from Python.

    python crates/python/bench/plan_bench.py [--leases 100000] [--runs 5] [--write snapshot.json]
        [--rust-example PATH]

Prints the median time of every path into the planner:

  (a) Rust plan_sync alone: run with --rust-example target/release/examples/plan_100k (built by
      `cargo build --release -p windhcp-python --example plan_100k`); the example plans the very
      same snapshot text (written to a temporary file) and its figure is printed next to ours;
  (b) the object path, Snapshot.plan_sync (parsed snapshot -> Plan);
  (c) plan_sync(dict) -> dict, in total and split into convert-in (Snapshot.from_dict),
      plan (Snapshot.plan_sync) and convert-out (Plan.to_dict);
  (d) JSON text -> JSON text (plan_sync_json), and json.loads of Rust-made plan JSON as the
      baseline the dict output has to beat.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import statistics
import subprocess
import tempfile
import time

import netbox_windhcp as nw


def build_snapshot(leases: int, per_scope: int = 250) -> dict:
    """A one-server snapshot: /22 scopes of `per_scope` active leases each.

    Of each scope's leases, every second one already exists in NetBox as a DHCP-managed IP
    (half of those with a stale DNS name), and every scope has a few managed IPs whose lease is
    gone, so the plan mixes creates, updates, lease-info upserts and deletions.
    """
    server = "dhcp01.example.com"
    scopes_inv, prefixes, ips, lease_info = {}, {}, {}, {}
    scope_read, lease_read = {}, {}
    next_id = 1_000_000
    scopes = (leases + per_scope - 1) // per_scope
    made = 0
    for s in range(scopes):
        base = int(ipaddress.IPv4Address("10.0.0.0")) + s * 1024
        net = f"{ipaddress.IPv4Address(base)}/22"
        sid = str(ipaddress.IPv4Address(base))
        start, end = str(ipaddress.IPv4Address(base + 10)), str(ipaddress.IPv4Address(base + 1000))
        scope_id, prefix_id = 10 + s, 500_000 + s
        scopes_inv[str(scope_id)] = {
            "id": scope_id, "name": f"scope-{s}", "network": net, "prefix_id": prefix_id,
            "start": start, "end": end, "lease_lifetime_secs": 86400,
            "source": {"server": server},
        }
        prefixes[str(prefix_id)] = {"id": prefix_id, "prefix": net, "vrf": None}
        scope_read[sid] = {
            "network": net, "name": f"scope-{s}", "start": start, "end": end,
            "lease_lifetime_secs": 86400,
        }
        rows = []
        for j in range(min(per_scope, leases - made)):
            ip = ipaddress.IPv4Address(base + 10 + j)
            n = made + j
            mac = "-".join(f"{b:02x}" for b in n.to_bytes(6, "big"))
            host = f"host-{n}"
            rows.append({"ip": str(ip), "client_id": mac, "hostname": host, "state": "active",
                         "expires": "2026-12-04T08:00:00Z"})
            if j % 2 == 0:
                next_id += 1
                ips[str(next_id)] = {
                    "id": next_id, "address": f"{ip}/22", "status": "dhcp",
                    "dns_name": host if j % 4 == 0 else f"old-{n}", "dhcp_client_id": mac,
                }
                lease_info[str(next_id)] = {"hostname": host, "active": True,
                                            "expires": "2026-12-04T08:00:00Z"}
        made += len(rows)
        lease_read[sid] = {"ok": rows}
        for k in range(3):  # managed IPs whose lease is gone
            next_id += 1
            ip = ipaddress.IPv4Address(base + 1001 + k)
            ips[str(next_id)] = {"id": next_id, "address": f"{ip}/22", "status": "dhcp",
                                 "dns_name": f"gone-{s}-{k}"}
            lease_info[str(next_id)] = {"hostname": f"gone-{s}-{k}", "active": True}
    empty = {sid: {"ok": []} for sid in scope_read}
    return {
        "settings": {"sync_ip_addresses": True},
        "inventory": {
            "servers": {server: {"id": 1, "hostname": server, "sync_standalone": True}},
            "scopes": scopes_inv,
            "lease_info": lease_info,
        },
        "servers": {server: {
            "scopes": {"ok": scope_read}, "failovers": {"ok": []}, "leases": lease_read,
            "reservations": empty, "exclusions": empty, "options": empty,
        }},
        "ipam": {"ip_addresses": ips, "prefixes": prefixes},
    }


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def rust_plan_ms(example: str, text: str, runs: int) -> float:
    """Median Rust plan_sync time of the plan_100k example on this exact snapshot text."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(text)
        path = f.name
    try:
        out = subprocess.run([example, path, str(runs)], check=True, capture_output=True,
                             text=True).stdout
    finally:
        os.unlink(path)
    for line in out.splitlines():
        if line.strip().endswith("plan_sync (parsed snapshot -> Plan)"):
            return float(line.split()[0])
    raise RuntimeError(f"no plan_sync figure in the example's output:\n{out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leases", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", help="also write the snapshot JSON to this file")
    ap.add_argument("--rust-example", help="path of the built plan_100k example, for figure (a)")
    args = ap.parse_args()

    data = build_snapshot(args.leases)
    text = json.dumps(data)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text)
    snap = nw.Snapshot.from_json(text)
    plan = snap.plan_sync()
    plan_json = plan.to_json()
    print(f"snapshot: {len(text) / 1e6:.1f} MB JSON, {snap!r}")
    print(f"plan: {len(plan)} actions, {len(plan_json) / 1e6:.1f} MB JSON {plan.counts()}")
    # The dict path must give exactly what json.loads gives for the plan JSON.
    assert nw.plan_sync(data) == json.loads(plan_json), "dict and JSON paths disagree"

    r = lambda fn: median_ms(fn, args.runs)  # noqa: E731
    rust = rust_plan_ms(args.rust_example, text, args.runs) if args.rust_example else None
    obj = r(lambda: snap.plan_sync())
    conv_in = r(lambda: nw.Snapshot.from_dict(data))
    conv_out = r(lambda: plan.to_dict())
    total = r(lambda: nw.plan_sync(data))
    json_json = r(lambda: nw.plan_sync_json(text))
    loads = r(lambda: json.loads(plan_json))
    loads_total = r(lambda: json.loads(nw.plan_sync_json(text)))
    from_text = r(lambda: nw.plan_sync(text))
    parse = r(lambda: nw.Snapshot.from_json(text))

    def ratio(ms: float) -> str:
        return f"  ({ms / rust:.2f}x Rust)" if rust else ""

    rows = [
        ("(a) Rust plan_sync (plan_100k example, same snapshot)", rust),
        ("(b) Snapshot.plan_sync (object path)", obj),
        ("(c) plan_sync(dict) -> dict, total", total),
        ("      convert-in: Snapshot.from_dict(dict)", conv_in),
        ("      plan:       Snapshot.plan_sync()", obj),
        ("      convert-out: Plan.to_dict()", conv_out),
        ("(d) plan_sync_json(str) -> str", json_json),
        ("    baseline: json.loads(plan JSON) alone", loads),
        ("    baseline: json.loads(plan_sync_json(str)) -> dict", loads_total),
        ("    plan_sync(str) -> dict", from_text),
        ("    Snapshot.from_json(str) (parse, GIL released)", parse),
    ]
    for label, ms in rows:
        if ms is None:
            print(f"{'-':>9}     {label}: pass --rust-example")
        else:
            print(f"{ms:9.1f} ms  {label}{ratio(ms)}")


if __name__ == "__main__":
    main()
