"""Per-customer recency / frequency / monetary from the UCI Online Retail II sheet.

Definitions follow docs (DESIGN.md): as-of = day after the last transaction;
recency = whole days from the last purchase to the as-of date; frequency = distinct
non-cancelled invoices; monetary = net spend (cancellations, invoices starting with
"C", count as negative). Rows without a customer id are dropped. Customers without a
purchase (only cancellations) are dropped.

Run: python docs/reference/kmeans/rfm_from_csv.py \
        /work/shared/data/online_retail_II_2009_2010.csv.gz /tmp/kmeans-ref/rfm.csv
"""
import sys

import pandas as pd

src, dst = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, dtype={"Invoice": str, "StockCode": str, "Customer ID": "Int64"})
df = df.dropna(subset=["Customer ID"])
df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
df["amount"] = df["Quantity"] * df["Price"]
df["cancel"] = df["Invoice"].str.startswith("C")
as_of = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
sales = df[~df["cancel"]]
per = sales.groupby("Customer ID").agg(
    last=("InvoiceDate", "max"), frequency=("Invoice", "nunique")
)
per["recency_days"] = (as_of - per["last"].dt.normalize()).dt.days
per["monetary"] = df.groupby("Customer ID")["amount"].sum().reindex(per.index)
# RFM quintiles (most recent = 5, ties broken by rank) and the R x F segment grid.
quintile = lambda s: pd.qcut(s.rank(method="first"), 5, labels=False) + 1
per["r"] = 6 - quintile(per["recency_days"])
per["f"] = quintile(per["frequency"])


def segment(r, f):
    if r <= 2:
        return "Hibernating" if f <= 2 else ("At Risk" if f <= 4 else "Can't Lose Them")
    if r == 3 and f <= 3:
        return "About to Sleep" if f <= 2 else "Need Attention"
    if f >= 4:
        return "Champions" if r == 5 else "Loyal Customers"
    if f == 1:
        return "Promising" if r == 4 else "New Customers"
    return "Potential Loyalists"


per["segment"] = [segment(r, f) for r, f in zip(per["r"], per["f"])]
out = per[["recency_days", "frequency", "monetary", "segment"]].reset_index()
out.columns = ["customer_id", "recency_days", "frequency", "monetary", "segment"]
out.to_csv(dst, index=False, float_format="%.17g")
print(f"{len(out)} customers, as-of {as_of.date()}, written to {dst}")
