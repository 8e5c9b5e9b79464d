"""CART-SIE: Non-relapse mortality (Results).

Run: python analyses/06_nrm.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.pipeline import script_main

if __name__ == "__main__":
    script_main("nrm")
