"""Layer 6: rendering and exports: tables, CSV, JSON, iCalendar, Gantt and forecast charts.

Reads timelines and forecasts; never changes a programme. Imports: `mentorflow._simulation`
and the layers below. Heavy libraries (matplotlib, icalendar, rich) are imported lazily.
"""
