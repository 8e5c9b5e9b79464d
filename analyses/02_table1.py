"""CART-SIE: patient characteristics by simpleHT and by HT (Table 1).

Run: python analyses/02_table1.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.cli import run_item

if __name__ == "__main__":
    run_item("table1")
