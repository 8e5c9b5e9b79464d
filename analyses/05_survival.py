"""CART-SIE: Survival by HT and simpleHT (Figure 1, Supplementary Figure 2).

Run: python analyses/05_survival.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.cli import run_item

if __name__ == "__main__":
    run_item("survival")
