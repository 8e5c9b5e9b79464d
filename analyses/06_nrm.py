"""CART-SIE: Non-relapse mortality (Results).

Run: python analyses/06_nrm.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.cli import run_item

if __name__ == "__main__":
    run_item("nrm")
