"""What a student does with each notebook's widgets, and what must change on screen when they do.

``INTERACTIONS`` maps a notebook's stem to a function ``interact(page)``; a notebook without an entry
still gets the render, console and screenshot checks. Each function asserts that the view responds:
the displayed text, formula, value or picture differs after the click, drag or stroke.

Elements are found by the CSS hooks the views expose (see nnlib/widgets/__init__.py) and are always
scrolled into view before the mouse touches them: JupyterLab scrolls the notebook inside its own
panel, so an element can exist and still be outside the window.
"""
import time

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"


def hook(page, css_class, *, count=None):
    """Locator for the elements with CSS hook ``css_class`` in the open notebook (at least one)."""
    locator = page.locator(f"{NOTEBOOK} .{css_class}")
    found = locator.count()
    assert found >= 1, f"no element with CSS hook .{css_class} in the notebook: did the widget render?"
    if count is not None:
        assert found == count, f"expected {count} element(s) .{css_class}, found {found}"
    return locator


def part(view, css_class):
    """The one element with hook ``css_class`` inside the widget ``view``."""
    locator = view.locator(f".{css_class}")
    assert locator.count() >= 1, f"the view has no .{css_class}"
    return locator.first


def picture(locator):
    """A fingerprint of what an element shows: its images' sources, SVG markup and canvas pixels."""
    return locator.evaluate(
        """element => {
            const parts = [];
            element.querySelectorAll('img').forEach(img => parts.push(img.src));
            element.querySelectorAll('svg').forEach(svg => parts.push(svg.outerHTML));
            element.querySelectorAll('canvas').forEach(canvas => {
                try { parts.push(canvas.toDataURL()); } catch (error) { parts.push(String(error)); }
            });
            if (element.tagName === 'IMG') parts.push(element.src);
            if (element.tagName === 'svg') parts.push(element.outerHTML);
            if (element.tagName === 'CANVAS') parts.push(element.toDataURL());
            return parts.join('\\n');
        }"""
    )


def text(locator):
    return locator.inner_text().strip()


def shown(locator):
    """Text and picture together: "what the student sees" of an element, for before/after checks."""
    return text(locator) + "\n" + picture(locator)


def wait_until_changed(read, before, what, timeout=10):
    """Poll ``read()`` until it differs from ``before``; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout
    current = read()
    while current == before and time.monotonic() < deadline:
        time.sleep(0.1)
        current = read()
    assert current != before, f"{what} did not change within {timeout} s (still {str(before)[:300]!r})"
    return current


def click_slider_at(page, slider, fraction):
    """Click a widget slider's track at ``fraction`` (0 = left end, 1 = right end) with the mouse."""
    track = slider.locator(".noUi-base, .slider").first
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    assert box and box["width"] > 0, "slider track has no size on screen"
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)


def click(locator):
    locator.scroll_into_view_if_needed()
    locator.click()


def choose_other_option(dropdown):
    """Pick a different entry in an ipywidgets Dropdown; return the label chosen."""
    select = dropdown.locator("select").first
    select.scroll_into_view_if_needed()
    options = select.locator("option").all_inner_texts()
    assert len(options) >= 2, f"the dropdown offers only {options}: nothing to choose"
    current = select.evaluate("element => element.selectedIndex")
    choice = 1 if current == 0 else 0
    select.select_option(index=choice)
    return options[choice]


def move_slider_and_expect(page, slider, fraction, watched, what):
    """Click ``slider`` at ``fraction``; each (name, locator) in ``watched`` must then change."""
    before = {name: shown(locator) for name, locator in watched}
    click_slider_at(page, slider, fraction)
    for name, locator in watched:
        wait_until_changed(lambda locator=locator: shown(locator), before[name], f"{name} after moving {what}")


# --- views shared by several notebooks -------------------------------------------------------------

def step_counter(view):
    return text(part(view, "nnlib-step-counter"))


def wait_for_step(view, number, what, timeout=10):
    """Wait until the view's counter says "step <number> of ..."."""
    deadline = time.monotonic() + timeout
    while not step_counter(view).startswith(f"step {number} of") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert step_counter(view).startswith(f"step {number} of"), (
        f"{what}: expected step {number}, the counter says {step_counter(view)!r}"
    )


def check_stepper(page, view, what):
    """Next, Prev, Reset and Play move the step; the formula, values and diagram follow."""
    formula, value, diagram = (part(view, c) for c in ("nnlib-step-formula", "nnlib-step-value", "nnlib-diagram"))
    wait_for_step(view, 1, f"{what} at the start")
    # The diagram is compared as markup: steppers mark the current node/edge/cell with classes.
    before = {"formula": text(formula), "value": text(value), "diagram": diagram.inner_html()}

    click(part(view, "nnlib-next"))
    wait_for_step(view, 2, f"{what} after Next")
    after = {"formula": text(formula), "value": text(value), "diagram": diagram.inner_html()}
    unchanged = [name for name in before if before[name] == after[name]]
    assert not unchanged, f"{what}: after Next the {', '.join(unchanged)} did not change"

    click(part(view, "nnlib-next"))
    wait_for_step(view, 3, f"{what} after a second Next")
    click(part(view, "nnlib-prev"))
    wait_for_step(view, 2, f"{what} after Prev")
    click(part(view, "nnlib-reset"))
    wait_for_step(view, 1, f"{what} after Reset")
    wait_until_changed(lambda: text(formula), after["formula"], f"{what}: the formula after Reset")

    play = part(view, "nnlib-play").locator("button")
    shown_formula, counter = text(formula), step_counter(view)
    click(play.first)  # the play/pause toggle
    wait_until_changed(lambda: step_counter(view), counter, f"{what}: the step counter after Play")
    wait_until_changed(lambda: text(formula), shown_formula, f"{what}: the formula after Play")
    click(play.nth(1))  # stop: playing ends (and ipywidgets' Play returns to its first value)


def check_influence_explorer(page, view, what):
    """Next path moves the highlighted path; another source changes the paths and the total."""
    paths, diagram = part(view, "nnlib-influence-paths"), part(view, "nnlib-diagram")
    rows = paths.locator("tr.nnlib-path")
    if rows.count() > 1:
        selected = text(paths.locator("tr.nnlib-selected").first)
        picture_before = picture(diagram)
        click(part(view, "nnlib-path-next"))
        wait_until_changed(lambda: text(paths.locator("tr.nnlib-selected").first), selected,
                           f"{what}: the highlighted path after Next path")
        wait_until_changed(lambda: picture(diagram), picture_before, f"{what}: the diagram after Next path")
    source = part(view, "nnlib-influence-source")
    if source.locator("option").count() > 1:
        before = text(paths) + text(part(view, "nnlib-influence-total"))
        choose_other_option(source)
        wait_until_changed(lambda: text(paths) + text(part(view, "nnlib-influence-total")), before,
                           f"{what}: the paths and total after choosing another source")


# --- the harness's own notebook (tests/browser/data/harness_smoke.ipynb) -------------------------

def harness_smoke(page):
    """The slider moves the label and redraws the plot; Play advances the linked step slider."""
    slider = hook(page, "smoke-slider", count=1)
    label = hook(page, "smoke-label", count=1)
    plot = hook(page, "smoke-plot", count=1)
    label_before, plot_before = text(label), picture(plot)
    assert plot_before, "the plot shows no image before any interaction"
    click_slider_at(page, slider, 0.9)
    wait_until_changed(lambda: text(label), label_before, "the label next to the slider")
    wait_until_changed(lambda: picture(plot), plot_before, "the plot under the slider")

    step = hook(page, "smoke-step", count=1)
    readout = step.locator(".widget-readout")
    before = text(readout)
    click(hook(page, "smoke-play", count=1).locator("button").first)  # the Play (triangle) button
    wait_until_changed(lambda: text(readout), before, "the step slider driven by Play")


# --- the course notebooks -----------------------------------------------------------------------

def calculus_refresher(page):
    """01: the tangent explorer's sliders redraw plot and numbers; both influence explorers respond."""
    explorer = hook(page, "nnlib-tangent-explorer", count=1).first
    watched = [("the tangent plot", part(explorer, "nnlib-tangent-plot")),
               ("the numbers table", part(explorer, "nnlib-tangent-numbers"))]
    move_slider_and_expect(page, part(explorer, "nnlib-x-slider"), 0.2, watched, "the x slider")
    move_slider_and_expect(page, part(explorer, "nnlib-dx-slider"), 0.9, watched, "the Δx slider")
    views = hook(page, "nnlib-influence-explorer", count=2)
    for number in range(views.count()):
        check_influence_explorer(page, views.nth(number), f"influence explorer {number + 1}")


def forward_pass(page):
    """02: the forward stepper advances on Next and Play."""
    check_stepper(page, hook(page, "nnlib-forward-stepper", count=1).first, "the forward stepper")


def scalar_backprop(page):
    """03: the influence explorer responds; the backward stepper steps and checks numerically."""
    check_influence_explorer(page, hook(page, "nnlib-influence-explorer", count=1).first, "the influence explorer")
    stepper = hook(page, "nnlib-backward-stepper", count=1).first
    check_stepper(page, stepper, "the backward stepper")
    result = part(stepper, "nnlib-check-result")
    before = text(result)
    click(part(stepper, "nnlib-check-numerically"))
    wait_until_changed(lambda: text(result), before, "the numerical check's result")
    assert result.locator(".nnlib-check-ok").count() == 1, (
        f"the numerical check does not agree with backprop: {text(result)!r}"
    )


def jacobian_backprop(page):
    """04: the Jacobian explorer follows its inputs, layer and upstream choice; the bridge steps."""
    explorer = hook(page, "nnlib-jacobian-explorer", count=1).first
    heatmap = part(explorer, "nnlib-jacobian-heatmap")
    inputs = explorer.locator(".nnlib-jacobian-input")
    assert inputs.count() >= 1, "the Jacobian explorer has no input sliders"
    # The first layer is affine: its Jacobian is W whatever the input, so go to the next layer
    # (an activation, whose Jacobian depends on the input) before moving an input.
    before = shown(heatmap)
    choose_other_option(part(explorer, "nnlib-jacobian-layer"))
    wait_until_changed(lambda: shown(heatmap), before, "the Jacobian heat map after choosing another layer")
    move_slider_and_expect(page, inputs.first, 0.85, [("the Jacobian heat map", heatmap)], "the first input")
    upstream, vjp = part(explorer, "nnlib-jacobian-upstream"), part(explorer, "nnlib-vjp")
    if upstream.locator("option").count() > 1:
        before = shown(vjp)
        choose_other_option(upstream)
        wait_until_changed(lambda: shown(vjp), before, "the vector-Jacobian product after choosing another upstream")
    check_stepper(page, hook(page, "nnlib-gradient-bridge", count=1).first, "the gradient bridge")


def softmax_subgradients(page):
    """05: softmax bars and Jacobian follow a logit; the subgradient explorer judges the slope."""
    explorer = hook(page, "nnlib-softmax-explorer", count=1).first
    sliders = explorer.locator(".nnlib-z-slider")
    assert sliders.count() >= 2, "the softmax explorer should have one slider per logit"
    watched = [("the softmax bars", part(explorer, "nnlib-softmax-bars")),
               ("the softmax Jacobian", part(explorer, "nnlib-jacobian-heatmap"))]
    move_slider_and_expect(page, sliders.first, 0.95, watched, "the first logit")
    assert explorer.locator(".nnlib-softmax-check .nnlib-check-ok").count() == 1, (
        "the softmax Jacobian check does not say OK after moving a logit"
    )

    explorer = hook(page, "nnlib-subgradient-explorer", count=1).first
    plot, verdict = part(explorer, "nnlib-subgradient-plot"), part(explorer, "nnlib-subgradient-verdict")
    assert verdict.locator(".nnlib-check-ok").count() == 1, f"v = 0.5 is a valid ReLU subgradient: {text(verdict)!r}"
    move_slider_and_expect(page, part(explorer, "nnlib-slope-slider"), 0.98,
                           [("the subgradient plot", plot), ("the verdict", verdict)], "the slope slider")
    assert verdict.locator(".nnlib-check-bad").count() == 1, (
        f"a slope at the slider's far end should not be a ReLU subgradient at 0: {text(verdict)!r}"
    )
    before = shown(plot)
    choose_other_option(part(explorer, "nnlib-subgradient-function"))
    wait_until_changed(lambda: shown(plot), before, "the subgradient plot after choosing another function")


def digit_recognition(page):
    """06, unsolved: Start says which exercises to finish (no raw error); the canvas answers a mouse
    stroke with nnlib's reference model, and says so."""
    training = hook(page, "nnlib-live-training", count=1).first
    status = part(training, "nnlib-train-status")
    before_status = text(status)
    click(part(training, "nnlib-train-start"))
    after = wait_until_changed(lambda: text(status), before_status, "the training status after Start", timeout=20)
    if "training" in after and "Finish" not in after:        # "training…" first, then the verdict
        after = wait_until_changed(lambda: text(status), after, "the training status after 'training…'", timeout=20)
    assert "Finish exercises (b) backward" in after and "YOUR network" in after, (
        f"Start on the unsolved notebook should say which exercises to finish first, shows {after!r}"
    )
    assert "NotImplementedError" not in after and "error" not in after.lower(), f"a raw error is shown: {after!r}"
    assert not part(training, "nnlib-train-start").is_disabled(), "Start should stay available to try again"

    view = hook(page, "nnlib-digit-canvas-view", count=1).first
    # ipycanvas renders the Canvas widget as a <canvas> (the hook sits on it or on its wrapper).
    surface = view.locator(".nnlib-digit-canvas canvas")
    assert surface.count() >= 1, "the digit canvas has no <canvas> element (ipycanvas did not render)"
    surface = surface.first
    assert not part(view, "nnlib-digit-fallback").is_visible(), (
        "the canvas fallback message is still shown: the browser side of ipycanvas never got ready"
    )
    probabilities, area = part(view, "nnlib-digit-probabilities"), part(view, "nnlib-digit-canvas")
    before, ink_before = shown(probabilities), picture(area)
    surface.scroll_into_view_if_needed()
    box = surface.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, f"the drawing area is too small: {box}"
    # A "1": one vertical stroke down the middle, in small steps like a real hand.
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.7 * step / 20))
        time.sleep(0.02)
    page.mouse.up()
    wait_until_changed(lambda: picture(area), ink_before, "the canvas pixels after a stroke (no ink drawn)")
    wait_until_changed(lambda: shown(probabilities), before, "the digit probabilities after a stroke", timeout=15)
    assert view.locator(".nnlib-digit-verdict .nnlib-digit-prediction").count() == 1, (
        f"no prediction shown after drawing: {text(part(view, 'nnlib-digit-verdict'))!r}"
    )
    model = text(part(view, "nnlib-digit-verdict"))
    assert "nnlib's reference model until yours is trained" in model, (
        f"the canvas should say that nnlib's reference model answers until the student's is trained: {model!r}"
    )


INTERACTIONS = {
    "harness_smoke": harness_smoke,
    "01_calculus_refresher": calculus_refresher,
    "02_forward_pass": forward_pass,
    "03_scalar_backprop": scalar_backprop,
    "04_jacobian_backprop": jacobian_backprop,
    "05_softmax_subgradients": softmax_subgradients,
    "06_digit_recognition": digit_recognition,
}
