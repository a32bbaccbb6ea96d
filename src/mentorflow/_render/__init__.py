"""Layer 6: rendering and exports: tables, CSV, JSON, iCalendar, Gantt and forecast charts,
pandas frames, notebook HTML and the shareable report.

Reads timelines, forecasts and matching proposals; never changes a programme. Imports:
`mentorflow._simulation`, `mentorflow._matching` and the layers below. Heavy libraries
(matplotlib, icalendar, rich, pandas) are imported lazily. Importing this package registers
the notebook and pandas views of the values below it (see `mentorflow._domain.views`).
"""

from . import frames as frames
from . import notebook as notebook
