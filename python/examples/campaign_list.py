"""From a transactions file to a ranked campaign list, in a notebook's few steps.

    python examples/campaign_list.py transactions.csv campaign.csv [--top 100]

Runs the rebuy pipeline on the file (any format `rebuy run` reads), then picks the
customers worth a win-back offer: still likely alive (P(alive) at least 0.5) but unlikely
to buy in the next 90 days on their own (purchase probability below 0.5), ranked by the
value at stake, their 12-month CLV. Writes the list and prints its head.
"""

import argparse

import rebuy


def campaign_list(run: rebuy.Run, top: int):
    customers = run.customers.to_pandas()
    chosen = customers[(customers["p_alive"] >= 0.5) & (customers["purchase_probability"] < 0.5)]
    ranked = chosen.sort_values(["clv_12m", "customer_id"], ascending=[False, True])
    return ranked[["customer_id", "rfm_segment", "p_alive", "purchase_probability", "clv_12m"]].head(top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transactions")
    parser.add_argument("out")
    parser.add_argument("--top", type=int, default=100)
    args = parser.parse_args()

    run = rebuy.run(args.transactions)
    served = next(m for m in run.metrics["models"] if m["name"] == run.metrics["chosen"])
    print(f"{run!r}: {run.customers.num_rows} customers, purchase model {served['name']} (test ROC-AUC {served['roc_auc']:.3f})")
    listing = campaign_list(run, args.top)
    listing.to_csv(args.out, index=False)
    print(f"{len(listing)} customers to call first, written to {args.out}:")
    print(listing.head(10).to_string(index=False))


if __name__ == "__main__":
    main()
