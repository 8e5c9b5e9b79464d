"""CART-SIE: Second primary malignancies (Results).

Run: python analyses/07_spm.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]
Without --data the built-in synthetic cohort is analysed.
"""

from cartsie.cli import run_item

if __name__ == "__main__":
    run_item("spm")
