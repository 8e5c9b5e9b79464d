"""CART-SIE: Response at day 90 (Results, Supplementary Table 3).

Run: python analyses/04_response.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.cli import run_item

if __name__ == "__main__":
    run_item("response")
