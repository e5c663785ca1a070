# DuckDB reading the 23 columns orgpool's estimate reads from every line (the
# line scan of crates/cur/src/line_groups, in CUR 2.0 column names), with the
# least work that makes it decode every value: the maximum of each. Its time
# is the floor of any engine that must read those columns.
#
# Arguments: the export's glob, the number of threads. Prints the query's
# own seconds (without starting Python and importing duckdb) as
# `query_seconds S`.
import sys
import time

import duckdb

COLUMNS = [
    "line_item_usage_start_date", "line_item_usage_end_date", "line_item_usage_account_id", "line_item_product_code",
    "line_item_usage_type", "line_item_operation", "product_instance_type",
    "product_region_code", "line_item_line_item_type", "savings_plan_offering_type",
    "savings_plan_purchase_term", "savings_plan_payment_option",
    "pricing_lease_contract_length", "pricing_purchase_option",
    "savings_plan_instance_type_family", "savings_plan_region", "line_item_unblended_cost",
    "pricing_public_on_demand_cost", "savings_plan_savings_plan_effective_cost",
    "reservation_effective_cost", "savings_plan_used_commitment",
    "savings_plan_total_commitment_to_date", "reservation_unused_recurring_fee",
]

start = time.perf_counter()
con = duckdb.connect()
con.execute(f"SET threads TO {sys.argv[2]}")
maxima = ", ".join(f"max({c})" for c in COLUMNS)
con.execute(f"SELECT {maxima} FROM read_parquet('{sys.argv[1]}')").fetchall()
print("query_seconds", time.perf_counter() - start)
