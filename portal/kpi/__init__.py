"""The staged KPI plan: stages, targets, maintained actuals, the dashboard, the budget and metric reports."""
