"""CART-SIE: Survival by HT and simpleHT (Figure 1, Supplementary Figure 2).

Run: python analyses/05_survival.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.pipeline import script_main

if __name__ == "__main__":
    script_main("survival")
