"""The KPI plan's scheduled work, run by portal/jobs.py under its lock: closing ended stages, report mails."""

from datetime import datetime

from portal.kpi import reports, stages


def close_stages(now: datetime) -> str:
    return f"{stages.close_due_stages(now)} KPI stages closed"


def send_reports(now: datetime) -> str:
    return f"{reports.send_due_reports(now)} KPI reports sent"
