"""Customer value (DESIGN §6): per-customer metrics from linked orders, RFM scores and
segments, historical and predictive CLV, tier schemes, churn warnings, and the
customer-asset report's figures. Everything that touches many customers runs set-based
in SQL; the predictive model is fitted with numpy/scipy."""
