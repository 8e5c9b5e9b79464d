"""CART-SIE: patient characteristics by simpleHT and by HT (Table 1).

Run: python analyses/02_table1.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.pipeline import script_main

if __name__ == "__main__":
    script_main("table1")
