"""Layer 6: rendering and exports: tables, CSV, JSON, iCalendar, Gantt and forecast charts.

Reads timelines, forecasts and matching proposals; never changes a programme. Imports:
`mentorflow._simulation`, `mentorflow._matching` and the layers below. Heavy libraries
(matplotlib, icalendar, rich) are imported lazily.
"""
