"""The same read + clean + customer features as `rebuy run` (without the run folder),
done the usual pandas way, to time against rebuy. Prints seconds and peak memory.

Run: python pandas_pipeline.py FILE.csv[.gz]
"""
import resource, sys, time
import pandas as pd

NON_PRODUCT = ["POST", "DOT", "M", "C2", "D", "S", "B", "CRUK", "PADS", "BANK CHARGES",
               "AMAZONFEE", "ADJUST", "ADJUST2"]

start = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype={"Invoice": str, "StockCode": str, "Customer ID": str},
                 parse_dates=["InvoiceDate"])
read = time.perf_counter()
df = df.dropna(subset=["Quantity", "Price", "InvoiceDate"])
df["Customer ID"] = df["Customer ID"].str.replace(r"\.0$", "", regex=True)
df = df[df["Customer ID"].notna()]
code = df["StockCode"].str.strip().str.upper()
df = df[~(code.isin(NON_PRODUCT) | code.str.startswith("TEST"))]
df = df[df["Price"] > 0]
ret = df["Invoice"].str.startswith("C")
df = df[~((df["Quantity"] == 0) | ((df["Quantity"] < 0) & ~ret))]
df = df.drop_duplicates()
ret = df["Invoice"].str.startswith("C")
sales, returns = df[~ret].copy(), df[ret].copy()
sales["amount"] = sales["Quantity"] * sales["Price"]
sales["day"] = sales["InvoiceDate"].dt.normalize()
as_of = sales["day"].max() + pd.Timedelta(days=1)
g = sales.groupby("Customer ID")
feat = pd.DataFrame({
    "recency_days": (as_of - g["day"].max()).dt.days,
    "frequency": g["Invoice"].nunique(),
    "monetary": g["amount"].sum(),
    "tenure_days": (as_of - g["day"].min()).dt.days,
    "distinct_products": g["StockCode"].nunique(),
})
per_day = sales.groupby(["Customer ID", "day"])["amount"].sum().reset_index().groupby("Customer ID")
feat["btyd_frequency"] = per_day.size() - 1
returns["value"] = returns["Quantity"].abs() * returns["Price"]
feat["returns_value"] = returns.groupby("Customer ID")["value"].sum().reindex(feat.index).fillna(0)
feat["r"] = pd.qcut(feat["recency_days"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
feat["f"] = pd.qcut(feat["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
feat["m"] = pd.qcut(feat["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
done = time.perf_counter()
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pandas {pd.__version__}: read {read - start:.2f} s, clean+features {done - read:.2f} s, "
      f"total {done - start:.2f} s, peak {peak_mb:.0f} MB, {len(feat)} customers, {len(sales)} sales lines")
