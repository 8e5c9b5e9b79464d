"""CART-SIE: Patient flow (Supplementary Figure 1).

Run: python analyses/01_flow.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.cli import run_item

if __name__ == "__main__":
    run_item("flow")
