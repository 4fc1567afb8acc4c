//! Retention KPIs computed from business data and answers, and their linkage to NPS.
