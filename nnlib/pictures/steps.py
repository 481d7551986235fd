"""HTML of one step of a trace (or any Step-like object): formula, numbers, description, terms.

Shared by every stepping view (:class:`nnlib.widgets.StepperView`); ``TABLE_STYLE`` pads the small
tables of the views, scoped by class so it cannot restyle the notebook.
"""

from __future__ import annotations

from html import escape

from nnlib.notation import fmt

__all__ = ["TABLE_STYLE", "terms_table_html", "step_details_html"]


def terms_table_html(step) -> str:
    """Table of a backward step's terms: local derivative × upstream = product, running total."""
    if not getattr(step, "terms", ()):
        return ""
    rows = ["<tr><th>#</th><th>local derivative</th><th>× upstream derivative</th><th>= product</th>"
            "<th>running total</th></tr>"]
    for n, (term, total) in enumerate(zip(step.terms, step.running), start=1):
        rows.append(
            f'<tr class="nnlib-term"><td>{n}</td>'
            f"<td>{escape(term.local_symbol)} = {escape(fmt(term.local))}</td>"
            f"<td>{escape(term.upstream_symbol)} = {escape(fmt(term.upstream))}</td>"
            f"<td>{escape(fmt(term.product))}</td><td><b>{escape(fmt(total))}</b></td></tr>")
    return (f'{TABLE_STYLE}<table class="nnlib-terms" style="border-collapse:collapse;font-size:90%">'
            + "".join(rows) + "</table>")


# cell padding for the small tables (scoped by class, so it cannot restyle the notebook)
TABLE_STYLE = ("<style>.nnlib-terms td,.nnlib-terms th,.nnlib-paths-table td,.nnlib-paths-table th,"
               ".nnlib-tangent-table td{padding:2px 10px;text-align:left}</style>")


def step_details_html(step, position: int, count: int) -> dict[str, str]:
    """HTML for the formula, value and description boxes of a Step-like object."""
    head = f'<span class="nnlib-step-counter">step {position + 1} of {count}</span>'
    formula = f"{head}<div style='font-size:115%'><b>{escape(step.formula)}</b></div>"
    rhs = f" = {escape(step.substituted)}" if step.substituted and step.substituted != step.result else ""
    value = (f"<div style='font-size:115%'>{escape(step.symbol)}{rhs} = "
             f"<b class='nnlib-step-result'>{escape(step.result)}</b></div>")
    description = f"<div style='color:#444'>{escape(step.description)}</div>"
    return {"formula": formula, "value": value, "description": description,
            "terms": terms_table_html(step)}
