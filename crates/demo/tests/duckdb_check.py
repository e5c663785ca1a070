"""Independent reader for the demo's CUR 2.0 export: DuckDB reads the Parquet
files and prints, as JSON, the facts the Rust tests compare against."""
import json
import sys

import duckdb

root = sys.argv[1]
con = duckdb.connect()
src = f"read_parquet('{root}/**/*.parquet', hive_partitioning = false)"
types = {name: str(kind) for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
by_type = {
    t: {"rows": n, "unblended": cost}
    for t, n, cost in con.execute(
        f"SELECT line_item_line_item_type, count(*), sum(line_item_unblended_cost) FROM {src} GROUP BY 1"
    ).fetchall()
}
by_account = dict(
    con.execute(f"SELECT line_item_usage_account_id, sum(line_item_unblended_cost) FROM {src} GROUP BY 1").fetchall()
)
price_mismatches = con.execute(
    f"""SELECT count(*) FROM {src}
        WHERE pricing_public_on_demand_rate IS NOT NULL
          AND abs(pricing_public_on_demand_cost
                  - CAST(pricing_public_on_demand_rate AS DOUBLE) * line_item_usage_amount)
              > 1e-6 * greatest(1, abs(pricing_public_on_demand_cost))"""
).fetchone()[0]
families, regions, oses = con.execute(
    f"""SELECT count(DISTINCT product['instance_type_family']), count(DISTINCT product_region_code),
               count(DISTINCT product['operating_system'])
        FROM {src} WHERE line_item_product_code = 'AmazonEC2' AND product_instance_family IS NOT NULL"""
).fetchone()
services = [r[0] for r in con.execute(f"SELECT DISTINCT line_item_product_code FROM {src} ORDER BY 1").fetchall()]
spot_rows = con.execute(f"SELECT count(*) FROM {src} WHERE line_item_usage_type LIKE '%SpotUsage%'").fetchone()[0]
periods = [
    r[0]
    for r in con.execute(
        f"SELECT DISTINCT strftime(bill_billing_period_start_date, '%Y-%m') FROM {src} ORDER BY 1"
    ).fetchall()
]
hourly = f"""SELECT line_item_usage_start_date AS h, sum(line_item_usage_amount) AS n FROM {src}
    WHERE line_item_product_code = 'AmazonEC2' AND line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage')
    GROUP BY 1"""
weekday, weekend = con.execute(
    f"SELECT avg(n) FILTER (WHERE isodow(h) < 6), avg(n) FILTER (WHERE isodow(h) >= 6) FROM ({hourly})"
).fetchone()
by_hour = [r[0] for r in con.execute(f"SELECT avg(n) FROM ({hourly}) GROUP BY hour(h) ORDER BY 1").fetchall()]
by_month = [r[0] for r in con.execute(f"SELECT avg(n) FROM ({hourly}) GROUP BY month(h) ORDER BY month(h)").fetchall()]
peak, p95 = con.execute(f"SELECT max(n), quantile_cont(n, 0.95) FROM ({hourly})").fetchone()
idle_accounts = con.execute(
    f"""SELECT count(*) FROM (SELECT line_item_usage_account_id, sum(line_item_unblended_cost) c FROM {src}
        WHERE line_item_line_item_type = 'Usage' GROUP BY 1) WHERE c < 1"""
).fetchone()[0]
rds_on_demand_rows = con.execute(
    f"""SELECT count(*) FROM {src} WHERE line_item_line_item_type = 'Usage'
        AND line_item_usage_type = 'InstanceUsage:db.r5.large'"""
).fetchone()[0]
print(
    json.dumps(
        {
            "types": types,
            "by_type": by_type,
            "by_account": by_account,
            "price_mismatches": price_mismatches,
            "ec2_families": families,
            "ec2_regions": regions,
            "ec2_operating_systems": oses,
            "services": services,
            "spot_rows": spot_rows,
            "billing_periods": periods,
            "rows": sum(v["rows"] for v in by_type.values()),
            "ec2_weekday_over_weekend": weekday / weekend,
            "ec2_peak_hour_over_trough_hour": by_hour[-1] / by_hour[0],
            "ec2_month_over_month": [b / a for a, b in zip(by_month, by_month[1:])],
            "ec2_peak_over_p95": peak / p95,
            "idle_accounts": idle_accounts,
            "rds_on_demand_rows": rds_on_demand_rows,
        }
    )
)
