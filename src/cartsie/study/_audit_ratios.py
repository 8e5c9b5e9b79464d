"""The audit's checks of ratios, rates and accuracy: each recomputed from other printed numbers.

- ``ratio_p`` -- the p-value a ratio and its 95% CI imply under a Wald test on the log scale;
- ``ratio_ci_symmetry`` -- whether the CI is log-symmetric about the ratio (a Wald CI is);
- ``or_from_rates`` -- an unadjusted odds ratio from the two rates it compares;
- ``likelihood_ratio`` / ``auc_from_sens_spec`` -- LR+, LR- and the AUC of a dichotomous score from
  its sensitivity and specificity;
- ``estimate_in_interval`` -- an estimate inside the interval printed beside it.

Each carries the rounding of every printed number through (``_audit_numbers``).
"""

from __future__ import annotations

import math

from cartsie._dist import norm_ppf, norm_sf
from cartsie.study import _audit_rules as rules
from cartsie.study._audit_numbers import Finding, Span, corners, fmt, fmt_span, number, p_value

#: the normal quantile of a two-sided 95% interval (the level every published CI is read at)
Z = float(norm_ppf(0.975))


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _sf2(z: float) -> float:
    """Two-sided normal tail 2 (1 - Phi(|z|)) (R: ``2 * pnorm(-abs(z))``)."""
    return 2.0 * float(norm_sf(abs(z))) if not math.isnan(z) else math.nan


def wald_p(ratio: float, lower: float, upper: float) -> float:
    """The Wald p-value implied by a ratio and its 95% CI.

    Parameters
    ----------
    ratio, lower, upper : float
        The ratio and its CI limits (all positive).

    Returns
    -------
    float
        ``2 * (1 - Phi(|log ratio| / se))`` with ``se = (log upper - log lower) / (2 z)``, ``z`` the
        0.975 normal quantile (R: ``2 * pnorm(-abs(log(ratio) / se))``); 0 for a zero-width CI.
    """
    se = (_log(upper) - _log(lower)) / (2 * Z)
    if se <= 0:
        return 0.0 if ratio != 1 else 1.0
    return _sf2(_log(ratio) / se)


def _wald_p_span(r: Span, lo: Span, hi: Span) -> Span:
    """The range of :func:`wald_p` over the rounding box: |log r| and the log width are each
    monotone, so their extremes give the extremes of z (and of p)."""
    logs = [abs(_log(r.lo)), abs(_log(r.hi))]
    a_min = 0.0 if r.lo <= 1 <= r.hi else min(logs)
    a_max = max(logs)
    w_min = _log(hi.lo) - _log(lo.hi)
    w_max = _log(hi.hi) - _log(lo.lo)
    z_max = math.inf if w_min <= 0 else 2 * Z * a_max / w_min
    z_min = 0.0 if math.isinf(w_max) else 2 * Z * a_min / w_max
    return Span(_sf2(z_max), _sf2(z_min))


def _read_triple(row: rules.Row) -> tuple[tuple[float, Span], ...] | None:
    """(value, lower, upper) of a row with an interval, as numbers with their rounding, or None."""
    parsed = [number(row[c]) for c in ("value", "ci_low", "ci_high")]
    if any(p is None for p in parsed):
        return None
    return tuple(p for p in parsed if p is not None)


def _printed_ratio(row: rules.Row) -> str:
    ci = f" ({row['ci_low'].strip()}-{row['ci_high'].strip()})" if row["ci_low"].strip() else ""
    return f"{row['statistic']} {row['value'].strip()}{ci}"


def ratio_p(row: rules.Row) -> Finding | None:
    """Check a ratio's printed p against the p its estimate and CI imply (log-symmetric Wald).

    Parameters
    ----------
    row : dict
        A ratio row (rule 7 of ``_audit_rules``).

    Returns
    -------
    Finding or None
        ``se = (log(hi) - log(lo)) / (2 z)``, ``z = log(ratio) / se``, ``p = 2 (1 - Phi(|z|))``
        (R: ``2 * pnorm(-abs(z))``, as ``summary.glm`` / ``summary.coxph`` / ``cmprsk::crr`` print
        it), over the rounding of the three printed numbers; consistent when that range meets the
        printed p's. ``None`` when the row prints no p; not checkable without a readable CI.
    """
    if not row["p"].strip():
        return None
    printed = p_value(row["p"])
    parsed = _read_triple(row)
    if printed is None or parsed is None or parsed[0][0] <= 0:
        what = "its p" if printed is None else "the ratio and both CI limits"
        return Finding(row["id"], "ratio_p", row["p"], "", None, f"cannot read {what} as numbers")
    (r, r_s), (lo, lo_s), (hi, hi_s) = parsed
    span = _wald_p_span(r_s, lo_s, hi_s)
    p = wald_p(r, lo, hi)
    se = (_log(hi) - _log(lo)) / (2 * Z)
    ok = span.overlaps(printed[1])
    t_r, t_lo, t_hi = (row[c].strip() for c in ("value", "ci_low", "ci_high"))
    detail = (
        f"Wald on the log scale: se = (log {t_hi} - log {t_lo}) / (2 x 1.96) = {fmt(se)}, "
        f"z = log({t_r}) / se = {fmt(_log(r) / se if se > 0 else math.inf)}, p = {fmt(p, 2)}; "
        f"the rounding of the printed numbers allows p in {fmt_span(span, 2)}, the printed "
        f"{row['p'].strip()} stands for {fmt_span(printed[1], 2)}"
    )
    if not ok:
        detail += (
            ": not the p of a Wald test on this ratio and CI (the p may come from another test, "
            "e.g. a likelihood-ratio or score test, or one of the numbers is misprinted)"
        )
    return Finding(row["id"], "ratio_p", row["p"].strip(), f"{fmt(p, 2)} {fmt_span(span, 2)}", ok, detail)


def _reconstructions(r: float, lo: float, hi: float, printed_p: Span | None) -> str:
    """What each pair of the three numbers implies for the third, with the p it gives."""
    mid = math.sqrt(lo * hi)
    options = [
        (f"were the limits right, the estimate would be {fmt(mid)}", mid, lo, hi),
        (
            f"were the estimate and upper limit right, the lower limit would be {fmt(r * r / hi)}",
            r,
            r * r / hi,
            hi,
        ),
        (
            f"were the estimate and lower limit right, the upper limit would be {fmt(r * r / lo)}",
            r,
            lo,
            r * r / lo,
        ),
    ]
    parts = []
    for text, rr, ll, hh in options:
        if hh <= ll:  # a zero-width interval is no reconstruction
            continue
        p = wald_p(rr, ll, hh)
        verdict = ""
        if printed_p is not None:
            verdict = ", as printed" if printed_p.contains(p) else ", not as printed"
        parts.append(f"{text} (p = {fmt(p, 2)}{verdict})")
    return "; ".join(parts)


def ratio_ci_symmetry(row: rules.Row) -> Finding:
    """Check that a ratio's CI is log-symmetric about it, as a Wald CI is.

    Parameters
    ----------
    row : dict
        A ratio row (rule 7 of ``_audit_rules``).

    Returns
    -------
    Finding
        The geometric midpoint ``sqrt(lo * hi)`` of the printed limits (a Wald CI ``exp(log r +/- z
        se)`` has the estimate there; R's ``confint.default``), over their rounding; consistent when
        it meets the printed estimate's rounding interval. When not, the detail gives what each pair
        of the three numbers implies for the third, and whether its p is the printed one.
    """
    parsed = _read_triple(row)
    if parsed is None or min(v for v, _ in parsed) <= 0:
        return Finding(
            row["id"],
            "ratio_ci_symmetry",
            _printed_ratio(row),
            "",
            None,
            "no CI printed" if not row["ci_low"].strip() else "cannot read the ratio and CI limits",
        )
    (r, r_s), (lo, lo_s), (hi, hi_s) = parsed
    mid = corners(lambda a, b: math.sqrt(a * b), lo_s, hi_s)
    ok = mid.overlaps(r_s)
    detail = (
        f"sqrt({row['ci_low'].strip()} x {row['ci_high'].strip()}) = {fmt(math.sqrt(lo * hi))} (the "
        f"limits' rounding allows {fmt_span(mid)}); the printed {row['value'].strip()} stands for "
        f"{fmt_span(r_s, 4)}"
    )
    if not ok:
        where = "outside its CI" if not lo <= r <= hi else ""
        if r in (lo, hi):
            which = "lower" if r == lo else "upper"
            where = f"equal to its {which} limit, which no Wald interval gives"
        left, right = _log(r) - _log(lo), _log(hi) - _log(r)
        parsed_p = p_value(row["p"])
        printed_p = None if parsed_p is None else parsed_p[1]
        detail += (
            f". The estimate is {where or 'off the geometric midpoint'} (log distances to the limits "
            f"{fmt(left)} and {fmt(right)}). A Wald interval fits two of the three numbers at most: "
            f"{_reconstructions(r, lo, hi, printed_p)}"
        )
        if row["statistic"] == "OR":
            detail += (
                ". A profile-likelihood CI (R's confint() of a glm) is not log-symmetric; a Wald CI "
                "(confint.default) is"
            )
    return Finding(
        row["id"], "ratio_ci_symmetry", _printed_ratio(row), f"sqrt(lo x hi) = {fmt_span(mid)}", ok, detail
    )


def _proportion(row: rules.Row | None) -> tuple[float, Span] | None:
    parsed = None if row is None else number(row["value"])
    if parsed is None or not 0 <= parsed[0] <= 100:
        return None
    s = parsed[1]
    return parsed[0] / 100, Span(max(s.lo, 0.0) / 100, min(s.hi, 100.0) / 100)


def _odds(p: float) -> float:
    return math.inf if p >= 1 else p / (1 - p)


def _ratio(x: float, y: float) -> float:
    if y == 0 or math.isinf(x):
        return math.nan if (x == 0 or math.isinf(y)) else math.inf
    return x / y


def odds_ratio(p_a: float, p_b: float) -> float:
    """The odds ratio of two proportions.

    Parameters
    ----------
    p_a, p_b : float
        Proportions (0-1) of the group compared and of the reference group.

    Returns
    -------
    float
        ``(p_a / (1 - p_a)) / (p_b / (1 - p_b))``: the OR of the unadjusted logistic model of the
        outcome on the group (R: ``exp(coef(glm(y ~ group, family = binomial)))``).
    """
    return _ratio(_odds(p_a), _odds(p_b))


def _counts_detail(a: float, b: float, n_a: int, n_b: int, row: rules.Row) -> str:
    """The OR, its Wald CI and p if every patient of the descriptive table's groups was counted."""
    k_a, k_b = round(a * n_a), round(b * n_b)
    cells = [k_a, n_a - k_a, k_b, n_b - k_b]
    text = f"with all {n_a} and {n_b} patients of the groups, the counts would be {k_a}/{n_a} and {k_b}/{n_b}"
    if min(cells) <= 0:
        return text
    log_or = math.log((k_a / (n_a - k_a)) / (k_b / (n_b - k_b)))
    se = math.sqrt(sum(1 / c for c in cells))
    text += (
        f": OR {fmt(math.exp(log_or))}, Wald 95% CI {fmt(math.exp(log_or - Z * se))}-"
        f"{fmt(math.exp(log_or + Z * se))}, p = {fmt(_sf2(log_or / se), 2)}"
    )
    parsed = _read_triple(row)
    if parsed is not None and parsed[1][0] > 0 and parsed[2][0] > parsed[1][0]:
        se_printed = (_log(parsed[2][0]) - _log(parsed[1][0])) / (2 * Z)
        text += (
            f"; the printed CI's width (se {fmt(se_printed)}) is that of about "
            f"{100 * (se / se_printed) ** 2:.0f}% as many patients"
        )
    return text


def or_from_rates(
    row: rules.Row, rate_a: rules.Row | None, rate_b: rules.Row | None, n_a: int | None, n_b: int | None
) -> Finding:
    """Check an unadjusted odds ratio against the two rates it compares.

    Parameters
    ----------
    row : dict
        The odds-ratio row ("A vs B").
    rate_a, rate_b : dict or None
        The printed rates (percent) of groups A and B (rule 8 of ``_audit_rules``).
    n_a, n_b : int or None
        The groups' sizes in a descriptive table (rule 9), for the detail.

    Returns
    -------
    Finding
        ``OR = (pA / (1 - pA)) / (pB / (1 - pB))`` over the rounding of both percentages (it rises
        with pA and falls with pB); consistent when it meets the printed OR's rounding. Not
        checkable when a rate is not printed.
    """
    a, b = _proportion(rate_a), _proportion(rate_b)
    printed = number(row["value"])
    if a is None or b is None or printed is None or rate_a is None or rate_b is None:
        names = rules.compared_groups(row["comparison"]) or ("A", "B")
        missing = " and ".join(g for g, p in zip(names, (a, b), strict=True) if p is None)
        return Finding(
            row["id"], "or_from_rates", row["value"], "", None, f"no rate printed for {missing or 'the OR'}"
        )
    span = corners(odds_ratio, a[1], b[1])
    value = odds_ratio(a[0], b[0])
    ok = span.overlaps(printed[1])
    detail = (
        f"{rate_a['comparison']} {rate_a['value']}% vs {rate_b['comparison']} {rate_b['value']}%: "
        f"({fmt(a[0])}/{fmt(1 - a[0])}) / ({fmt(b[0])}/{fmt(1 - b[0])}) = {fmt(value)}; the "
        f"percentages' rounding allows {fmt_span(span)}, the printed {row['value'].strip()} stands "
        f"for {fmt_span(printed[1], 4)}"
    )
    if n_a and n_b:
        detail += "; " + _counts_detail(a[0], b[0], n_a, n_b, row)
    return Finding(
        row["id"], "or_from_rates", row["value"].strip(), f"{fmt(value)} {fmt_span(span)}", ok, detail
    )


def _lr_pos(s: float, c: float) -> float:
    return _ratio(s, 1 - c)


def _lr_neg(s: float, c: float) -> float:
    return _ratio(1 - s, c)


def _auc(s: float, c: float) -> float:
    return (s + c) / 2


_ACCURACY = {
    "LR+": ("likelihood_ratio", _lr_pos, "LR+ = sens / (1 - spec)"),
    "LR-": ("likelihood_ratio", _lr_neg, "LR- = (1 - sens) / spec"),
    "AUC": ("auc_from_sens_spec", _auc, "AUC of a dichotomous score = (sens + spec) / 2"),
}


def accuracy(rows: dict[str, rules.Row]) -> list[Finding]:
    """Check likelihood ratios and the AUC of a dichotomous score against its sensitivity and
    specificity.

    Parameters
    ----------
    rows : dict
        One score's rows (rule 10 of ``_audit_rules``): sensitivity, specificity and any of LR+,
        LR-, AUC.

    Returns
    -------
    list of Finding
        ``LR+ = sens / (1 - spec)``, ``LR- = (1 - sens) / spec`` (R: ``epiR::epi.tests``'
        ``pLR``/``nLR``) and ``AUC = (sens + spec) / 2`` (the area under the two-segment ROC curve
        of a yes/no score; ``pROC::auc`` of a binary predictor), each over the rounding of both
        percentages (monotone in each); consistent when they meet the printed value's rounding.
    """
    sens, spec = _proportion(rows["sensitivity"]), _proportion(rows["specificity"])
    out = []
    for key, (check, f, formula) in _ACCURACY.items():
        row = rows.get(key)
        if row is None:
            continue
        printed = number(row["value"])
        if sens is None or spec is None or printed is None:
            out.append(Finding(row["id"], check, row["value"], "", None, "cannot read the numbers"))
            continue
        scale = 100.0 if row["statistic"] == "AUC_percent" else 1.0
        span = corners(f, sens[1], spec[1]).scaled(scale)
        value = f(sens[0], spec[0]) * scale
        ok = span.overlaps(printed[1])
        detail = (
            f"{formula}, sensitivity {rows['sensitivity']['value']}% and specificity "
            f"{rows['specificity']['value']}%: {fmt(value)}; their rounding allows {fmt_span(span)}, "
            f"the printed {row['value'].strip()} stands for {fmt_span(printed[1], 4)}"
        )
        if check == "auc_from_sens_spec" and not ok:
            detail += " (the AUC of a continuous score, or of a model with other terms, differs)"
        out.append(
            Finding(row["id"], check, row["value"].strip(), f"{fmt(value)} {fmt_span(span)}", ok, detail)
        )
    return out


def inside(value: Span, lower: Span, upper: Span) -> bool:
    """Whether values that round as printed can have ``lower <= value <= upper``.

    Parameters
    ----------
    value, lower, upper : Span
        The rounding intervals of the estimate and of the interval's limits.

    Returns
    -------
    bool
        ``value.hi >= lower.lo and value.lo <= upper.hi and lower.lo <= upper.hi``.
    """
    return value.hi >= lower.lo and value.lo <= upper.hi and lower.lo <= upper.hi


def estimate_in_interval(row: rules.Row) -> Finding | None:
    """Check that an estimate lies inside the interval printed beside it (CI or range).

    Parameters
    ----------
    row : dict
        A published row with ``ci_low`` and ``ci_high`` (not a ratio: ratios get
        :func:`ratio_ci_symmetry`).

    Returns
    -------
    Finding or None
        Consistent when numbers rounding as printed can satisfy ``low <= value <= high``;
        ``None`` when the row prints no interval.
    """
    if not (row["ci_low"].strip() and row["ci_high"].strip()):
        return None
    parsed = _read_triple(row)
    kind = "range" if "range" in row.get("note", "") else "CI"
    printed = f"{row['value'].strip()} ({kind} {row['ci_low'].strip()}-{row['ci_high'].strip()})"
    if parsed is None:
        return Finding(row["id"], "estimate_in_interval", printed, "", None, "cannot read the numbers")
    (v, v_s), (lo, lo_s), (hi, hi_s) = parsed
    ok = inside(v_s, lo_s, hi_s)
    detail = f"{fmt(lo)} <= {fmt(v)} <= {fmt(hi)}" if ok else f"{fmt(v)} is not inside {fmt(lo)}-{fmt(hi)}"
    return Finding(row["id"], "estimate_in_interval", printed, f"{kind} {fmt(lo)}-{fmt(hi)}", ok, detail)


def ratio_checks(rows: list[rules.Row]) -> list[Finding]:
    """Every ratio, rate, accuracy and interval check of the published rows, in the table's order.

    Parameters
    ----------
    rows : list of dict
        The published rows.

    Returns
    -------
    list of Finding
        ``ratio_ci_symmetry`` and ``ratio_p`` per ratio, ``or_from_rates`` per unadjusted odds ratio,
        the accuracy checks per score, ``estimate_in_interval`` per other row with an interval.
    """
    tables = rules.descriptive_tables(rows)
    pairs = {id(r): (a, b) for r, a, b in rules.rate_pairs(rows)}
    ratios = {id(r) for r in rules.ratio_rows(rows)}
    order = {id(r): k for k, r in enumerate(rows)}
    accuracy_by_first = {}
    for s in rules.accuracy_sets(rows):  # reported where the score's first row is
        first = min(s.values(), key=lambda r: order[id(r)])
        accuracy_by_first[id(first)] = s
    out: list[Finding] = []
    for r in rows:
        if id(r) in ratios:
            out.append(ratio_ci_symmetry(r))
            found = ratio_p(r)
            if found is not None:
                out.append(found)
            if id(r) in pairs:
                a, b = pairs[id(r)]
                n_a = None if a is None else rules.group_size(tables, a)
                n_b = None if b is None else rules.group_size(tables, b)
                out.append(or_from_rates(r, a, b, n_a, n_b))
        elif r["statistic"] != rules.SUMMARY:
            found = estimate_in_interval(r)
            if found is not None:
                out.append(found)
        if id(r) in accuracy_by_first:
            out.extend(accuracy(accuracy_by_first[id(r)]))
    return out
