"""Independent pandas computation of the cleaning counts, features and RFM scores that
rebuy's tests pin for crates/rebuy/tests/fixtures/retail_sample.csv.

Run: python fixture_reference.py crates/rebuy/tests/fixtures/retail_sample.csv
"""
import json, sys
import pandas as pd

NON_PRODUCT = {"POST", "DOT", "M", "C2", "D", "S", "B", "CRUK", "PADS", "BANK CHARGES",
               "AMAZONFEE", "ADJUST", "ADJUST2"}

df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
counts = {"lines_read": len(df)}
q = pd.to_numeric(df["Quantity"], errors="coerce")
p = pd.to_numeric(df["Price"], errors="coerce")
t = pd.to_datetime(df["InvoiceDate"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
BOUND = 1e15  # |quantity|, |price| and |quantity x price| (docs/definitions.md)
ok = q.notna() & p.notna() & t.notna() & (q.abs() <= BOUND) & (p.abs() <= BOUND) & ((q * p).abs() <= BOUND)
counts["unparseable"] = int((~ok).sum())
df, q, p, t = df[ok].copy(), q[ok], p[ok], t[ok]
df["q"], df["p"], df["t"] = q, p, t
# Dated after the day after the day of the run (the clock's day in UTC).
today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
m = df["t"].dt.normalize() <= today + pd.Timedelta(days=1)
counts["future_date"] = int((~m).sum()); df = df[m]
cust = df["Customer ID"].str.strip().str.replace(r"\.0+$", "", regex=True)
m = cust != ""
counts["missing_customer_id"] = int((~m).sum()); df = df[m]; df["cust"] = cust[m]
code = df["StockCode"].str.strip().str.upper()
m = ~(code.isin(NON_PRODUCT) | code.str.startswith("TEST"))
counts["non_product_code"] = int((~m).sum()); df = df[m]
m = df["p"] > 0
counts["price_not_positive"] = int((~m).sum()); df = df[m]
is_return = df["Invoice"].str.upper().str.startswith("C")
m = ~((df["q"] == 0) | ((df["q"] < 0) & ~is_return))
counts["quantity_not_positive"] = int((~m).sum()); df = df[m]
cols = ["Invoice", "StockCode", "Description", "q", "t", "p", "cust", "Country"]
key = df[cols].copy(); key["Description"] = key["Description"].str.strip(); key["StockCode"] = key["StockCode"].str.strip()
dup = key.duplicated()
counts["duplicate"] = int(dup.sum()); df = df[~dup]
df["is_return"] = df["Invoice"].str.upper().str.startswith("C")
sales, returns = df[~df["is_return"]], df[df["is_return"]]
counts["sales_lines"], counts["returns_kept"] = len(sales), len(returns)
counts["customers"] = sales["cust"].nunique(); counts["invoices"] = sales["Invoice"].nunique()
counts["revenue"] = round(float((sales["q"] * sales["p"]).sum()), 6)

sales = sales.assign(amount=sales["q"] * sales["p"], day=sales["t"].dt.normalize())
as_of = sales["day"].max() + pd.Timedelta(days=1)
g = sales.groupby("cust")
feat = pd.DataFrame({
    "recency_days": (as_of - g["day"].max()).dt.days,
    "frequency": g["Invoice"].nunique(),
    "gross_spend": g["amount"].sum(),
    "tenure_days": (as_of - g["day"].min()).dt.days,
    "distinct_products": g["StockCode"].nunique(),
})
per_day = sales.groupby(["cust", "day"])["amount"].sum().reset_index()
pd_g = per_day.groupby("cust")
feat["btyd_frequency"] = pd_g.size() - 1
feat["btyd_t_days"] = (as_of - pd.Timedelta(days=1) - g["day"].min()).dt.days
first = pd_g["amount"].first()
feat["btyd_monetary_value"] = ((pd_g["amount"].sum() - first) / feat["btyd_frequency"]).where(feat["btyd_frequency"] > 0, 0.0)
ret = (returns["q"].abs() * returns["p"]).groupby(returns["cust"]).sum().reindex(feat.index).fillna(0)
# Net spend: sales minus returns; returns spread over the purchases in proportion to value.
feat["monetary"] = (feat["gross_spend"] - ret).round(6)
feat["return_rate"] = ret / feat["gross_spend"]
feat["btyd_monetary_value"] = (feat["btyd_monetary_value"] * feat["monetary"] / feat["gross_spend"]).where(feat["monetary"] > 0, 0.0)
# Issue 4 features: gaps between purchase days, recent windows, season, returns.
gaps = per_day.groupby("cust")["day"].diff().dt.days.groupby(per_day["cust"])
mean_gap = gaps.mean()
feat["std_days_between_purchases"] = gaps.std(ddof=0).fillna(0.0)
feat["cv_days_between_purchases"] = (feat["std_days_between_purchases"] / mean_gap).fillna(0.0)
feat["recency_over_mean_gap"] = (feat["recency_days"] / mean_gap).fillna(1.0)
for w in (30, 90, 180):
    recent = sales[sales["day"] >= as_of - pd.Timedelta(days=w)].groupby("cust")
    feat[f"spend_{w}d"] = recent["amount"].sum().reindex(feat.index).fillna(0.0)
    feat[f"orders_{w}d"] = recent["Invoice"].nunique().reindex(feat.index).fillna(0)
recent_days = feat["tenure_days"].clip(upper=90)
feat["spend_trend_90d"] = feat["spend_90d"] / recent_days / (feat["gross_spend"] / feat["tenure_days"])
feat["orders_trend_90d"] = feat["orders_90d"] / recent_days / (feat["frequency"] / feat["tenure_days"])
in_season = (sales["day"] >= as_of - pd.Timedelta(days=365)) & (sales["day"] < as_of - pd.Timedelta(days=275))
season = sales[in_season].groupby("cust")
feat["orders_same_season_last_year"] = season["Invoice"].nunique().reindex(feat.index).fillna(0)
feat["same_season_spend_share"] = season["amount"].sum().reindex(feat.index).fillna(0) / feat["gross_spend"]
past_returns = returns[returns["t"].dt.normalize() < as_of].groupby("cust")
feat["returned_orders"] = past_returns["Invoice"].nunique().reindex(feat.index).fillna(0)
feat["returned_lines"] = past_returns.size().reindex(feat.index).fillna(0)
feat = feat.sort_index(key=lambda s: s.str.len() * 10**9 + pd.to_numeric(s, errors="coerce").fillna(0))
feat["r_score"] = pd.qcut(feat["recency_days"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
feat["f_score"] = pd.qcut(feat["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
feat["m_score"] = pd.qcut(feat["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
feat.loc[feat["monetary"] <= 0, "m_score"] = 1
print(json.dumps({"counts": counts, "as_of": str(as_of.date()),
                  "features": json.loads(feat.round(6).to_json(orient="index"))}, indent=1))
