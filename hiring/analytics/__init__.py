"""Pure statistics for reports: plain numbers in, plain floats and dicts out.

- :mod:`hiring.analytics.reliability`: do interviewers agree? (ICC, Krippendorff's alpha,
  Cohen's kappa, bootstrap interval, agreement bands)
- :mod:`hiring.analytics.fairness`: adverse impact (selection and scoring impact ratios with the
  four-fifths rule, significance tests, Mantel-Haenszel pooling across requisitions)

Nothing here imports Flask or touches the database, so reports, CLI commands and model cards
all share one implementation and it can be tested against published worked examples.
"""
