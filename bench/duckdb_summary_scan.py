# DuckDB running the aggregation orgpool's estimate starts with (the summary
# scan of crates/cur/src/queries.rs, in CUR 2.0 column names): the same
# columns, filter and sums, and nothing after it. Argument: the export's glob.
import sys

import duckdb

con = duckdb.connect()
con.execute(f"SET threads TO {sys.argv[2]}")
rows = con.execute(f"""
  SELECT line_item_usage_start_date, line_item_usage_account_id, line_item_product_code, line_item_usage_type,
         line_item_operation, product_instance_type, product_region_code, line_item_line_item_type,
         savings_plan_offering_type, savings_plan_purchase_term, savings_plan_payment_option,
         pricing_lease_contract_length, pricing_purchase_option,
         sum(line_item_unblended_cost), sum(pricing_public_on_demand_cost),
         sum(line_item_unblended_cost) FILTER (WHERE pricing_public_on_demand_cost IS NULL),
         sum(savings_plan_savings_plan_effective_cost), sum(reservation_effective_cost),
         sum(savings_plan_used_commitment), sum(savings_plan_total_commitment_to_date),
         sum(line_item_unblended_cost) FILTER (WHERE savings_plan_total_commitment_to_date IS NULL),
         sum(reservation_unused_recurring_fee),
         sum(pricing_public_on_demand_cost) FILTER (WHERE pricing_public_on_demand_cost > 0
             AND (savings_plan_savings_plan_effective_cost IS NOT NULL OR reservation_effective_cost IS NOT NULL)),
         sum(savings_plan_savings_plan_effective_cost) FILTER (WHERE pricing_public_on_demand_cost > 0),
         sum(reservation_effective_cost) FILTER (WHERE pricing_public_on_demand_cost > 0
             AND savings_plan_savings_plan_effective_cost IS NULL)
  FROM read_parquet('{sys.argv[1]}')
  WHERE line_item_line_item_type IN ('SavingsPlanRecurringFee', 'RIFee')
     OR (line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')
         AND line_item_product_code IN ('AmazonEC2', 'AmazonECS', 'AmazonEKS', 'AWSLambda', 'AmazonSageMaker', 'AmazonRDS'))
  GROUP BY ALL""").fetchall()
print(len(rows))
