"""Lessons: the list of lessons, and inside one, its stops one at a time around the player.

The page's URL names the lesson and the stop (`?lesson=me-want-cookie&stop=3`), so every stop
is a link a teacher can hand out; the player adds the generation and its view to the same URL.
Next / Back (or PageDown / PageUp, what a presentation clicker sends) move between stops; each
stop commands the player to its step, unit and panel. Lesson files and their placeholders are
the core's (babylm/lessons.py); this page only lays them out.
"""

from __future__ import annotations

import streamlit as st

from babylm.lessons import Lesson, ShownStop, find, load_lessons, show_stop
from babylm.safe_text import md
from babylm.view import ViewState

from . import state
from .generate_page import generation
from .player_component import player

GATE_PANELS = ("i", "f", "g", "o", "r", "z", "n")  # a stop pointing at one opens the gates


@st.cache_resource(ttl=30, show_spinner=False)
def lessons() -> list[Lesson]:
    """The lesson files, re-read at most every 30 s, so a dropped-in file shows up by itself."""
    return load_lessons()


@st.cache_resource(max_entries=256, show_spinner=False)
def _shown(model_key: str, lesson_key: int, number: int, _lesson: Lesson, _baby) -> ShownStop:
    return show_stop(_lesson, number, _baby.model, _baby.vocab)


def shown(model_key: str, lesson: Lesson, number: int, baby) -> ShownStop:
    """A stop's texts computed from the model, once per model and lesson version (a frozen
    ShownStop, shared read-only by every session)."""
    return _shown(model_key, hash(lesson), number, lesson, baby)


def go(name: str | None, number: int | None = None) -> None:
    """Open a lesson at a stop (or the list): the URL says where, the rerun shows it."""
    # One write, so one browser history entry per stop: Back goes to the previous stop.
    st.query_params.from_dict({} if name is None else {"lesson": name, "stop": str(number or 1)})
    if name is not None:
        st.session_state["lesson_place"] = (name, str(number or 1))
    else:  # "All lessons": the list, also when coming back later
        st.session_state.pop("lesson_place", None)
    st.session_state["lesson_visit"] = st.session_state.get("lesson_visit", 0) + 1


def move(name: str, delta: int, stops: int) -> None:
    """Back or Next from the stop the URL is on now, not the one the button was drawn at: a
    clicker's second PageDown, pressed before the page has redrawn, moves on from the first
    one's stop instead of repeating it. (Two presses within a few milliseconds still count once:
    Streamlit merges both clicks of one button into a single rerun.)"""
    try:
        current = int(st.query_params.get("stop", "1")) if st.query_params.get("lesson") == name else 1
    except ValueError:
        current = 1
    go(name, min(max(1, current + delta), stops))


def listing(all_lessons: list[Lesson]) -> None:
    st.markdown("#### Lessons")
    st.caption("Each lesson walks through the player stop by stop, with a few sentences to read "
               "and a question to ask the class. Every number in them comes from the model.")
    for lesson in all_lessons:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(f"**{lesson.title}** · {len(lesson.stops)} stops  \n{lesson.summary}")
            right.button("Start ▶", key=f"start-{lesson.name}", type="primary", width="stretch",
                         on_click=go, args=(lesson.name, 1))
    st.caption("Teachers: add a lesson by dropping a TOML file in assets/lessons/ (see the README, “Lessons”).")


def stop_number(lesson: Lesson) -> int:
    """The stop the link names; a bad one shows stop 1 and says so in one line."""
    raw = st.query_params.get("stop", "1")
    number = int(raw) if raw.isdigit() else 0
    if not 1 <= number <= len(lesson.stops):
        st.info(f"This lesson has stops 1 to {len(lesson.stops)}: showing stop 1.", icon=":material/info:")
        number = 1
    return number


def view_of(stop: ShownStop) -> ViewState:
    unit = (stop.unit[0] - 1, stop.unit[1] - 1) if stop.unit else None
    return ViewState(t=stop.step - 1, gates=stop.panel in GATE_PANELS, unit=unit)


def command_of(stop: ShownStop, lesson: Lesson) -> dict:
    view = view_of(stop).to_player()
    visit = st.session_state.get("lesson_visit", 0)
    char = stop.char - 1 if stop.char else None  # the player counts characters from 0
    command = dict(view, id=f"{lesson.name}:{stop.number}:{visit}", highlight=stop.panel, char=char,
                   play=False)
    command.update({k: v for k, v in (("sampling", stop.sampling), ("quiz", stop.quiz)) if v is not None})
    return command


def lesson_view(lesson: Lesson) -> None:
    number = stop_number(lesson)
    st.session_state["lesson_place"] = (lesson.name, str(number))  # where a return to Lessons comes back to
    # The shipped model, always: a lesson's words ("c and b come first", the steps it stops at)
    # were written about it, and a model of one's own would put other bars under them.
    model = state.pretrained()
    try:
        stop = shown(model.key, lesson, number, model.baby)
    except ValueError as err:
        st.error(f"Can't show this stop: {md(str(err))}.", icon=":material/warning:")
        return
    # One bar that wraps: the title, then Back / Next / All lessons in a row (also on a phone).
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    bar.markdown(f"#### {lesson.title} <span class='lesson-counter'>· {stop.counter}</span>",
                 unsafe_allow_html=True, width="stretch")
    back, next_, list_ = bar, bar, bar
    # No tooltips: the keys are shown on the buttons, and on a touch screen a tooltip stayed
    # over the next stop after the tap.
    back.button("◀ Back", key="lesson-back", disabled=number == 1, shortcut="PageUp",
                on_click=move, args=(lesson.name, -1, len(lesson.stops)))
    next_.button("Next ▶", key="lesson-next", type="primary", disabled=number == len(lesson.stops),
                 shortcut="PageDown", on_click=move, args=(lesson.name, +1, len(lesson.stops)))
    list_.button("All lessons", key="lesson-list", on_click=go, args=(None,))
    st.markdown(f"<div class='lesson-text' data-stop='{number}'>{_html(stop.text)}</div>",
                unsafe_allow_html=True)
    if stop.question:
        st.markdown(f"<div class='lesson-question'><span class='lesson-q'>?</span> {_html(stop.question)}</div>",
                    unsafe_allow_html=True)  # a drawn "?": an emoji shows as an empty box without an emoji font
    if state.active() is not model:
        st.caption("Lessons use the shipped model they were written about; your own model is still "
                   "the one Generate uses.")
    trace, data, trace_id = generation(model.key, stop.settings, model.baby)
    player(data, trace_id, view_of(stop), command=command_of(stop, lesson))


def _html(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br>"))


STYLE = """<style>
.lesson-counter { font-size: 1rem; color: #5b6375; font-weight: 400; }
.lesson-text { font-size: 1.15rem; line-height: 1.45; margin: 0 0 0.3rem; }
.lesson-q { display: inline-block; width: 1.4em; height: 1.4em; line-height: 1.4em; text-align: center;
             border-radius: 50%; background: #e8590c; color: white; font-weight: 700; margin-right: 0.3em; }
/* A phone has no PageUp/PageDown: no key hints on the buttons of a touch screen. */
@media (hover: none) and (pointer: coarse) { button kbd[aria-label^="Shortcut Page"] { display: none; } }
.lesson-question { font-size: 1.1rem; background: #fff4e6; border-left: 4px solid #e8590c;
                   padding: 0.4rem 0.8rem; border-radius: 4px; margin-bottom: 0.4rem; }
</style>"""


def page() -> None:
    st.html(STYLE)
    all_lessons = lessons()
    name = st.query_params.get("lesson")
    place = st.session_state.get("lesson_place")
    if not name and place:  # back from another page: the stop the class was on, not the list
        name = place[0]
        st.query_params.update(lesson=place[0], stop=place[1])
    if not name:
        listing(all_lessons)
        return
    try:
        lesson = find(name, all_lessons)
    except ValueError as err:
        st.info(f"{md(str(err))}.", icon=":material/info:")
        listing(all_lessons)
        return
    lesson_view(lesson)
