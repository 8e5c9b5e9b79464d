"""One contract for every public result (issue 12): summary, tidy, glance, repr, HTML, print_summary."""

import io
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from cartsie._results import TIDY_COLUMNS, Result
from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.competing import cumulative_incidence, fine_gray, gray_test
from cartsie.descriptive import chisq_test, fisher_exact, kruskal_wallis, table_one
from cartsie.discrimination import auc, delong_test, diagnostic_metrics
from cartsie.prognostic import concordance, validate_score
from cartsie.survival import cox, kaplan_meier, logrank, median_followup, rmst


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 300
    x = rng.normal(size=n)
    g = rng.integers(0, 2, n)
    t = rng.exponential(np.exp(-0.5 * x - 0.4 * g))
    c = rng.exponential(1.5, n)
    status = (t <= c).astype(int)
    cause = np.where(status == 1, rng.integers(1, 3, n), 0)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x + 0.5 * g)))).astype(int)
    return pd.DataFrame(
        {
            "time": np.minimum(t, c),
            "status": status,
            "cause": cause,
            "x": x,
            "g": g,
            "grp": np.where(g == 1, "b", "a"),
            "y": y,
            "s2": x + rng.normal(size=n),
        }
    )


def results(d: pd.DataFrame) -> dict[str, Result]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox(d, "time", "status", ["x", "grp"])
        fg = fine_gray(d, "time", "cause", ["x", "g"])
        return {
            "kaplan_meier": kaplan_meier(d, "time", "status", group="grp"),
            "logrank": logrank(d, "time", "status", "grp"),
            "median_followup": median_followup(d, "time", "status"),
            "cox": fit,
            "cox_zph": fit.check_ph(),
            "cumulative_incidence": cumulative_incidence(d, "time", "cause", group="grp"),
            "gray_test": gray_test(d, "time", "cause", "grp"),
            "fine_gray": fg,
            "fine_gray_wald": fg.wald_test(),
            "logistic": logistic(d, "y", ["x", "grp"]),
            "lp_adjusted": lp_adjusted(d, "g", ["x"], outcome="y", model="logistic"),
            "fisher_exact": fisher_exact(pd.crosstab(d["g"], d["y"])),
            "chisq_test": chisq_test(pd.crosstab(d["g"], d["y"])),
            "kruskal_wallis": kruskal_wallis(d, "x", "grp"),
            "table_one": table_one(d, "grp", ["x", "y"], categorical=["y"]),
            "diagnostic_metrics": diagnostic_metrics(d["y"], d["g"]),
            "auc": auc(d["y"], d["x"]),
            "delong_test": delong_test(d["y"], d["x"], d["s2"]),
            "concordance": concordance(d, "time", "status", "x"),
            "cox_concordance": fit.concordance,
            "rmst": rmst(d, "time", "status", 1.0, group="grp"),
            "validate_score": validate_score(d, "x", {"T": ("time", "status")}, times=[0.5, 1.0]),
        }


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


@pytest.mark.parametrize(
    "name",
    [
        "kaplan_meier", "logrank", "median_followup", "cox", "cox_zph", "cumulative_incidence", "gray_test",
        "fine_gray", "fine_gray_wald", "logistic", "lp_adjusted", "fisher_exact", "chisq_test",
        "kruskal_wallis", "table_one", "diagnostic_metrics", "auc", "delong_test",
    ],
)  # fmt: skip
def test_every_result_follows_the_protocol(data, name):
    res = results(data)[name]
    assert isinstance(res, Result)
    assert isinstance(type(res).summary, property), "summary is a property"
    summary = res.summary
    assert isinstance(summary, pd.DataFrame) and len(summary) > 0
    assert "p" not in summary.columns, "p_value, never p"
    tidy = res.tidy()
    assert list(tidy.columns) == list(TIDY_COLUMNS) and len(tidy) > 0
    assert tidy["term"].map(type).eq(str).all()
    glance = res.glance()
    assert isinstance(glance, pd.DataFrame) and len(glance) == 1
    text = repr(res)
    assert len(text) < 2000 and type(res).__name__ not in ("",) and "\n" in text
    parser = _Parser()
    parser.feed(res._repr_html_())
    assert "table" in parser.tags and "td" in parser.tags
    for fmt in ("text", "markdown", "html", "latex"):
        out = res.print_summary(fmt=fmt, file=io.StringIO())
        assert isinstance(out, str) and len(out) > 20
    with pytest.raises(ValueError, match="fmt must be one of"):
        res.print_summary(fmt="pdf", file=io.StringIO())


@pytest.mark.parametrize("name", ["cox", "fine_gray", "logistic"])
def test_tidy_is_on_the_model_scale_and_exponentiates_to_the_printed_ratios(data, name):
    res = results(data)[name]
    ratio = {"cox": "hr", "fine_gray": "shr", "logistic": "odds_ratio"}[name]
    s, tidy = res.summary, res.tidy()
    np.testing.assert_allclose(tidy["estimate"], s["coef"], rtol=1e-12)
    np.testing.assert_allclose(tidy["std_error"], s["se"], rtol=1e-12)
    np.testing.assert_allclose(tidy["p_value"], s["p_value"], rtol=1e-12)
    ratios = res.tidy(exponentiate=True)
    np.testing.assert_allclose(ratios["estimate"], s[ratio], rtol=1e-12)
    np.testing.assert_allclose(ratios[["ci_lower", "ci_upper"]], s[["ci_lower", "ci_upper"]], rtol=1e-12)
    assert res.glance().loc[0, "n"] == res.n


def test_exponentiate_is_refused_where_there_is_no_log_scale(data):
    with pytest.raises(ValueError, match="log scale"):
        results(data)["auc"].tidy(exponentiate=True)


def test_glance_holds_the_model_facts(data):
    r = results(data)
    fit = r["cox"]
    g = fit.glance().iloc[0]
    assert (g["n"], g["events"], g["loglik"]) == (fit.n, fit.n_events, fit.loglik)
    assert r["logistic"].glance().loc[0, "aic"] == r["logistic"].aic
    assert r["kaplan_meier"].glance().loc[0, "groups"] == 2


def test_reprs_are_short_even_for_long_tables():
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"time": rng.exponential(size=5000), "status": rng.integers(0, 2, 5000),
                      "grp": rng.integers(0, 40, 5000)})  # fmt: skip
    km = kaplan_meier(d, "time", "status", group="grp")
    assert len(repr(km)) < 2000 and "(40 rows)" in repr(km)
