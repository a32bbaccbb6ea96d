"""Scenario timelines for analysts: simulate, compare and export what-ifs (a public topic module).

A `Scenario` is a programme's definition, planned phase durations, and a script of dated
actions; write it in Python or as a TOML file (`load_scenario`). `simulate` drives the real
lifecycle, deadline and extension rules on a virtual clock and projects the rest from the plan;
`compare` sets a variant against a baseline; the exports turn a timeline into a terminal table,
CSV, JSON, an iCalendar file, a Gantt chart or a mermaid diagram, byte-identical for the same
input.

Examples:
    >>> from mentorflow.scenario import load_scenario, compare
    >>> happened = load_scenario("inclucities").simulate()
    >>> without = load_scenario("inclucities-without-extension").simulate()
    >>> without.breach_days, str(without.smallest_extension)
    (88, '3 months')
    >>> compare(happened, without).end_change_days
    -90
"""

from ._domain.distributions import Distribution as Distribution
from ._domain.distributions import Empirical as Empirical
from ._domain.distributions import Fixed as Fixed
from ._domain.distributions import Triangular as Triangular
from ._domain.distributions import Uniform as Uniform
from ._render.analysis import bottleneck_export as bottleneck_export
from ._render.analysis import plan_export as plan_export
from ._render.analysis import sensitivity_export as sensitivity_export
from ._render.analysis import slip_export as slip_export
from ._render.exports import comparison_csv as comparison_csv
from ._render.exports import comparison_json as comparison_json
from ._render.exports import comparison_table as comparison_table
from ._render.exports import mermaid as mermaid
from ._render.exports import timeline_rows as timeline_rows
from ._render.exports import timeline_table as timeline_table
from ._render.exports import to_csv as to_csv
from ._render.exports import to_json as to_json
from ._render.forecast_exports import forecast_csv as forecast_csv
from ._render.forecast_exports import forecast_json as forecast_json
from ._render.forecast_exports import forecast_rows as forecast_rows
from ._render.forecast_exports import forecast_table as forecast_table
from ._render.forecast_plot import plot as plot_forecast
from ._render.gantt import gantt as gantt
from ._render.ics import to_ics as to_ics
from ._render.progress import progress_bar as progress_bar
from ._render.report import report as report
from ._render.tornado import tornado as tornado
from ._simulation.compare import Comparison as Comparison
from ._simulation.compare import Slip as Slip
from ._simulation.compare import compare as compare
from ._simulation.critical import BottleneckReport as BottleneckReport
from ._simulation.critical import PairSlack as PairSlack
from ._simulation.critical import PhaseSlack as PhaseSlack
from ._simulation.critical import bottleneck as bottleneck
from ._simulation.files import shipped as shipped
from ._simulation.forecast import DeadlineOdds as DeadlineOdds
from ._simulation.forecast import Forecast as Forecast
from ._simulation.forecast import Spread as Spread
from ._simulation.montecarlo import MAX_RUNS as MAX_RUNS
from ._simulation.montecarlo import Progress as Progress
from ._simulation.montecarlo import montecarlo as montecarlo
from ._simulation.scenario import ACTIONS as ACTIONS
from ._simulation.scenario import MAX_ACTIONS as MAX_ACTIONS
from ._simulation.scenario import MAX_PAIRS as MAX_PAIRS
from ._simulation.scenario import Action as Action
from ._simulation.scenario import DeadlineRow as DeadlineRow
from ._simulation.scenario import PairSpec as PairSpec
from ._simulation.scenario import PhaseSpan as PhaseSpan
from ._simulation.scenario import ProgrammeSpec as ProgrammeSpec
from ._simulation.scenario import ReportingSpec as ReportingSpec
from ._simulation.scenario import Scenario as Scenario
from ._simulation.scenario import Timeline as Timeline
from ._simulation.scenario import VisitRow as VisitRow
from ._simulation.scenario import simulate as simulate
from ._simulation.scenario_file import load_scenario as load_scenario
from ._simulation.scenario_file import parse_scenario as parse_scenario
from ._simulation.sensitivity import SensitivityReport as SensitivityReport
from ._simulation.sensitivity import Summary as Summary
from ._simulation.sensitivity import Swing as Swing
from ._simulation.sensitivity import sensitivity as sensitivity
from ._simulation.whatif import PlanComparison as PlanComparison
from ._simulation.whatif import PlanRow as PlanRow
from ._simulation.whatif import SlipEffect as SlipEffect
from ._simulation.whatif import compare_forecasts as compare_forecasts
from ._simulation.whatif import slip_sweep as slip_sweep
from .exceptions import ScenarioError as ScenarioError

__all__ = [
    "ACTIONS",
    "Action",
    "BottleneckReport",
    "Comparison",
    "DeadlineOdds",
    "DeadlineRow",
    "Distribution",
    "Empirical",
    "Fixed",
    "Forecast",
    "MAX_ACTIONS",
    "MAX_PAIRS",
    "MAX_RUNS",
    "PairSlack",
    "PairSpec",
    "PhaseSlack",
    "PhaseSpan",
    "PlanComparison",
    "PlanRow",
    "ProgrammeSpec",
    "Progress",
    "ReportingSpec",
    "Scenario",
    "ScenarioError",
    "SensitivityReport",
    "Slip",
    "SlipEffect",
    "Spread",
    "Summary",
    "Swing",
    "Timeline",
    "Triangular",
    "Uniform",
    "VisitRow",
    "bottleneck",
    "bottleneck_export",
    "compare",
    "compare_forecasts",
    "comparison_csv",
    "comparison_json",
    "comparison_table",
    "forecast_csv",
    "forecast_json",
    "forecast_rows",
    "forecast_table",
    "gantt",
    "load_scenario",
    "mermaid",
    "montecarlo",
    "parse_scenario",
    "plan_export",
    "plot_forecast",
    "progress_bar",
    "report",
    "sensitivity",
    "sensitivity_export",
    "shipped",
    "simulate",
    "slip_export",
    "slip_sweep",
    "timeline_rows",
    "timeline_table",
    "to_csv",
    "to_ics",
    "to_json",
    "tornado",
]
